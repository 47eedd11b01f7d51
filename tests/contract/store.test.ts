import { isDeepStrictEqual } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseChanges } from '../../server/domain/change-codec.js';
import { statsAt } from '../../server/domain/stats-at.js';
import { MINUTE_HISTORY_LENGTH, SECOND_WINDOW_LENGTH, type ActivityChange, type ActivityRecordInput, type SessionRecord } from '../../server/domain/activity.js';
import { InvalidCursorError, SessionUserMismatchError } from '../../server/core/errors.js';
import type { ActiveUsersPage } from '../../server/domain/activity.js';
import type { ActivityStore } from '../../server/store/types.js';
import { homeUser } from '../support/partition-users.js';
import { storeEngines, type EngineCase } from '../support/store-engines.js';

/**
 * The ActivityStore contract, written once and run against every engine
 * (memory; Redis with one partition; several partitions on one Redis and on
 * a real Redis Cluster). Changes are observed the way other processes see
 * them: on the memory change feed, or on every partition's Redis channel
 * through a separate subscriber parsed by the codec. Cursors count per
 * partition: the tests whose changes must come in one order name users of
 * one partition ({@link Harness.user}).
 */

/** Collects published changes and checks that each partition's cursors arrive as 1, 2, 3... (none lost, none twice). */
class ChangeLog {
  /** Changes in arrival order, without their `partition` (kept in `partitions`), so that they compare with the one-partition records. */
  readonly received: ActivityChange[] = [];
  readonly partitions: number[] = [];
  readonly problems: string[] = [];
  publishes = 0;
  #taken = 0;
  #next = new Map<number, number>();
  #waiters: { readonly until: number; readonly arrived: () => void }[] = [];

  push(partition: number, changes: readonly ActivityChange[]): void {
    for (const { partition: _omitted, ...change } of changes) {
      const due = (this.#next.get(partition) ?? 0) + 1;
      if (change.cursor !== due) this.problems.push(`cursor ${change.cursor} where ${due} was due in partition ${partition}`);
      this.#next.set(partition, change.cursor);
      this.received.push(change as ActivityChange);
      this.partitions.push(partition);
    }
    const ready = this.#waiters.filter((w) => w.until <= this.received.length);
    this.#waiters = this.#waiters.filter((w) => w.until > this.received.length);
    for (const waiter of ready) waiter.arrived();
  }

  /** The cursor of each of `count` partitions' newest change received (0 before any). */
  position(count: number): number[] {
    return Array.from({ length: count }, (_, partition) => this.#next.get(partition) ?? 0);
  }

  /** Resolves with the next `count` changes not yet taken, as soon as they have arrived. */
  async next(count: number): Promise<ActivityChange[]> {
    const until = this.#taken + count;
    if (this.received.length < until) await this.#arrival(until);
    const changes = this.received.slice(this.#taken, until);
    this.#taken = until;
    return changes;
  }

  #arrival(until: number): Promise<void> {
    return new Promise((resolve, reject) => {
      // Only a guard, so that a missing change fails with a count instead of the test timeout.
      const timer = setTimeout(() => reject(new Error(`waited for change ${until}, ${this.received.length} arrived`)), 5_000);
      this.#waiters.push({
        until,
        arrived: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }
}

interface Harness {
  readonly store: ActivityStore;
  /** A store as another process holds it: its own connection to the same data (memory: the same store). */
  readonly peer: ActivityStore;
  readonly changes: ChangeLog;
  /** What the stores' `onPublished` hooks reported, in order; `store` and `peer` both report here. */
  readonly reported: number[];
  close(): Promise<void>;
}

/** Opens an engine whose every published batch goes to a change log, checked against the wire shape. */
async function harness(engine: EngineCase): Promise<Harness> {
  const changes = new ChangeLog();
  const onBatch = (partition: number, message: string): void => {
    changes.publishes++;
    try {
      const parsed = parseChanges(message);
      // parseChanges reads an absent field as null; the wire format wants every field present.
      if (!isDeepStrictEqual(JSON.parse(message), parsed)) changes.problems.push(`not in the wire shape: ${message}`);
      changes.push(partition, parsed);
    } catch (error) {
      changes.problems.push(String(error));
    }
  };
  const e = await engine.make({ label: 'store', onBatch });
  return {
    store: e.store,
    peer: e.peer,
    changes,
    reported: e.reported,
    close: async () => {
      await Promise.all([e.store.close(), e.peer.close()]);
      await e.close();
    },
  };
}

/** 13-digit epoch ms with odd low digits, so that any float formatting loss shows. */
const T0 = 1_700_000_000_123;
const NOW = T0 + 1_000;

/** A batch of three events: session s1 of `u1` on /a, then moved to /b, then `u2`'s s2. */
function movingBatch(u1: string, u2: string): ActivityRecordInput[] {
  return [event('s1', u1, T0, { path: '/a' }), event('s1', u1, T0 + 1, { path: '/b' }), event('s2', u2, T0 + 2)];
}

/** The changes {@link movingBatch} publishes, as `[type, cursor]`, on an empty store. */
const MOVING_BATCH_CHANGES = [
  ['SessionStarted', 1],
  ['UserJoined', 2],
  ['SessionUpdated', 3],
  ['SessionStarted', 4],
  ['UserJoined', 5],
];

function event(sessionId: string, userId: string, at: number, fields: Partial<ActivityRecordInput> = {}): ActivityRecordInput {
  return { sessionId, userId, userName: null, ipAddress: null, path: null, userAgent: null, at, ...fields };
}

function session(id: string, userId: string, fields: Partial<SessionRecord> = {}): SessionRecord {
  return { id, userId, userName: null, ipAddress: null, path: null, userAgent: null, startedAt: T0, lastSeen: T0, eventCount: 1, ...fields };
}

/** A whole `eventsPerMinute`: zeros for the older minutes, then `recent`, whose last entry is the current minute. */
const perMinute = (...recent: number[]): number[] => [...zeros(MINUTE_HISTORY_LENGTH - recent.length), ...recent];
const perSecond = (...recent: number[]): number[] => [...zeros(SECOND_WINDOW_LENGTH - recent.length), ...recent];
const zeros = (length: number): number[] => new Array<number>(length).fill(0);

const cursorOf = (lastSeen: number, userId: string): string => Buffer.from(`${lastSeen}:${userId}`).toString('base64url');
const ids = (page: ActiveUsersPage): string[] => page.edges.map((edge) => edge.node.id);

async function mismatchOf(write: Promise<unknown>): Promise<readonly number[]> {
  const error: unknown = await write.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(error instanceof SessionUserMismatchError)) throw new Error(`expected SessionUserMismatchError, got ${String(error)}`);
  return error.indexes;
}

describe.each(storeEngines())('ActivityStore contract: $engine', (engine) => {
  let h: Harness;
  let store: ActivityStore;
  let changes: ChangeLog;
  const { partitions } = engine;
  // Users whose changes the tests expect in one order: all in partition 0.
  const [u1, u2, u3, u9] = ['u1', 'u2', 'u3', 'u9'].map((base) => homeUser(base, partitions)) as [string, string, string, string];

  beforeEach(async () => {
    h = await harness(engine);
    ({ store, changes } = h);
  });

  afterEach(async () => {
    await h.close();
    expect(changes.problems).toEqual([]);
  });

  let probes = 0;

  /**
   * Proves nothing was published since the last change taken: a probe write's
   * changes come next (and the log checks their cursors follow on).
   */
  async function expectNothingMorePublished(): Promise<void> {
    const id = `probe${++probes}`;
    const user = homeUser(`${id}-user`, partitions);
    await store.record([event(id, user, T0)], NOW);
    const [started, joined] = await changes.next(2);
    expect(started).toMatchObject({ type: 'SessionStarted', session: { id } });
    expect(joined).toMatchObject({ type: 'UserJoined', user: { id: user } });
  }

  describe('record', () => {
    it('starts a session with SessionStarted then UserJoined, in one publish, cursors from 1', async () => {
      const input = event('s1', u1, T0, { userName: 'Ann', ipAddress: '10.0.0.1', path: '/home', userAgent: 'UA/1' });
      const expected = session('s1', u1, { userName: 'Ann', ipAddress: '10.0.0.1', path: '/home', userAgent: 'UA/1' });
      expect(await store.record([input], NOW)).toEqual([{ session: expected }]);
      expect(await changes.next(2)).toEqual([
        { type: 'SessionStarted', cursor: 1, at: T0, session: expected },
        { type: 'UserJoined', cursor: 2, at: T0, user: { id: u1, name: 'Ann' }, path: '/home' },
      ]);
      expect(changes.publishes).toBe(1);
    });

    it('starts a second session of an active user without UserJoined', async () => {
      await store.record([event('s1', u1, T0)], NOW);
      await store.record([event('s2', u1, T0 + 5)], NOW);
      const all = await changes.next(3);
      expect(all.map((c) => c.type)).toEqual(['SessionStarted', 'UserJoined', 'SessionStarted']);
      await expectNothingMorePublished();
    });

    it('updates a session from a later event; null fields keep their values', async () => {
      await store.record([event('s1', u1, T0, { userName: 'Ann', ipAddress: '10.0.0.1', path: '/a', userAgent: 'UA/1' })], NOW);
      const [result] = await store.record([event('s1', u1, T0 + 7, { userName: 'Annie', ipAddress: '10.0.0.2', path: '/b' })], NOW);
      const expected = session('s1', u1, { userName: 'Annie', ipAddress: '10.0.0.2', path: '/b', userAgent: 'UA/1', lastSeen: T0 + 7, eventCount: 2 });
      expect(result?.session).toEqual(expected);
      const [, , updated] = await changes.next(3);
      expect(updated).toEqual({ type: 'SessionUpdated', cursor: 3, at: T0 + 7, session: expected, previousPath: '/a' });
      await store.record([event('s1', u1, T0 + 8)], NOW);
      const [again] = await changes.next(1);
      expect(again).toMatchObject({ type: 'SessionUpdated', previousPath: '/b', session: { ...expected, lastSeen: T0 + 8, eventCount: 3 } });
    });

    it('only counts an older event: fields, lastSeen and the user name stay', async () => {
      await store.record([event('s1', u1, T0 + 10, { userName: 'Ann', path: '/new' })], NOW);
      const [result] = await store.record([event('s1', u1, T0, { userName: 'Old', path: '/old', ipAddress: '10.9.9.9' })], NOW);
      const expected = session('s1', u1, { userName: 'Ann', path: '/new', startedAt: T0 + 10, lastSeen: T0 + 10, eventCount: 2 });
      expect(result?.session).toEqual(expected);
      const [, , updated] = await changes.next(3);
      expect(updated).toEqual({ type: 'SessionUpdated', cursor: 3, at: T0, session: expected, previousPath: '/new' });
      const page = await store.activeUsers({ first: 10 });
      expect(page.edges[0]?.node).toMatchObject({ id: u1, name: 'Ann', lastSeen: T0 + 10 });
      expect((await store.stats(NOW, 10)).topPaths).toEqual([{ path: '/new', sessions: 1 }]);
    });

    it("follows the user's latest named event across sessions for the user's name", async () => {
      await store.record([event('s1', u1, T0, { userName: 'Ann' }), event('s2', u1, T0 + 10, { userName: 'Annie' })], NOW);
      await store.record([event('s1', u1, T0 + 5, { userName: 'Older' }), event('s2', u1, T0 + 20)], NOW);
      const node = (await store.activeUsers({ first: 1 })).edges[0]?.node;
      expect(node?.name).toBe('Annie');
      expect(node?.sessions.map((s) => [s.id, s.userName])).toEqual([
        ['s2', 'Annie'],
        ['s1', 'Older'],
      ]);
    });

    it('applies a batch in order as one publish with increasing cursors; results show the state after the batch', async () => {
      const results = await store.record(movingBatch(u1, u2), NOW);
      const s1 = session('s1', u1, { path: '/b', lastSeen: T0 + 1, eventCount: 2 });
      expect(results.map((r) => r.session)).toEqual([s1, s1, session('s2', u2, { startedAt: T0 + 2, lastSeen: T0 + 2 })]);
      const all = await changes.next(5);
      expect(all.map((c) => [c.type, c.cursor])).toEqual(MOVING_BATCH_CHANGES);
      expect(all[2]).toMatchObject({ previousPath: '/a', session: s1 });
      expect(changes.publishes).toBe(1);
    });

    it("rejects a batch naming another user's session: nothing written, nothing published", async () => {
      await store.record([event('s1', u1, T0, { path: '/a' })], NOW);
      await changes.next(2);
      const batch = [event('s2', u2, T0, { path: '/b' }), event('s1', u2, T0 + 1), event('s3', u3, T0), event('s1', u9, T0)];
      expect(await mismatchOf(store.record(batch, NOW))).toEqual([1, 3]);
      expect(await store.stats(NOW, 10)).toEqual({
        activeUsers: 1,
        activeSessions: 1,
        eventsLastMinute: 1,
        eventsPerSecond: perSecond(1),
        eventsPerMinute: perMinute(1),
        topPaths: [{ path: '/a', sessions: 1 }],
        at: NOW,
      });
      expect(ids(await store.activeUsers({ first: 10 }))).toEqual([u1]);
      expect(await store.endSession('s2', NOW)).toBeNull();
      await expectNothingMorePublished();
    });

    it('rejects a batch that gives one new session two users', async () => {
      const batch = [event('s1', u1, T0), event('s1', u2, T0 + 1), event('s2', u2, T0), event('s1', u2, T0 + 2)];
      expect(await mismatchOf(store.record(batch, NOW))).toEqual([1, 3]);
      expect((await store.stats(NOW, 10)).activeSessions).toBe(0);
      await expectNothingMorePublished();
      expect(changes.received[0]?.cursor).toBe(1);
    });

    it('publishes nothing for an empty batch', async () => {
      expect(await store.record([], NOW)).toEqual([]);
      await expectNothingMorePublished();
      expect(changes.received[0]?.cursor).toBe(1);
    });

    it('records with recordCount exactly as with record, answering only how many events', async () => {
      expect(await store.recordCount(movingBatch(u1, u2), NOW)).toBe(3);
      const all = await changes.next(5);
      expect(all.map((c) => [c.type, c.cursor])).toEqual(MOVING_BATCH_CHANGES);
      expect(all[2]).toEqual({ type: 'SessionUpdated', cursor: 3, at: T0 + 1, session: session('s1', u1, { path: '/b', lastSeen: T0 + 1, eventCount: 2 }), previousPath: '/a' });
      expect([changes.publishes, h.reported]).toEqual([1, [5]]);
      expect(await mismatchOf(store.recordCount([event('s3', u3, T0), event('s1', u9, T0)], NOW))).toEqual([1]);
      expect(await store.recordCount([], NOW)).toBe(0);
      expect((await store.stats(NOW, 10)).eventsLastMinute).toBe(3);
      await expectNothingMorePublished();
    });

    it('keeps every string exactly, whether its batch needs JSON escapes or not', async () => {
      const odd = 'a "quote", a \\ backslash, a / slash,\n\u0001 é 😀 \u2028';
      // The first batch holds strings JSON escapes, the later ones none: a session written by one is read and moved by the other.
      await store.record([event('s1', u1, T0, { userName: odd, path: '/p/1', userAgent: odd }), event('s2', u2, T0, { path: '/p/1' })], NOW);
      const [result] = await store.record([event('s1', u1, T0 + 1, { ipAddress: '10.0.0.1' }), event('s2', u2, T0 + 1, { path: '/p/1' })], NOW);
      const s1 = session('s1', u1, { userName: odd, ipAddress: '10.0.0.1', path: '/p/1', userAgent: odd, lastSeen: T0 + 1, eventCount: 2 });
      expect(result?.session).toEqual(s1);
      const [, joined, , , updated, moved] = await changes.next(6);
      expect(joined).toEqual({ type: 'UserJoined', cursor: 2, at: T0, user: { id: u1, name: odd }, path: '/p/1' });
      expect(updated).toEqual({ type: 'SessionUpdated', cursor: 5, at: T0 + 1, session: s1, previousPath: '/p/1' });
      expect(moved).toMatchObject({ type: 'SessionUpdated', previousPath: '/p/1', session: { id: 's2', path: '/p/1' } });
      // The same path, once sent escaped and once not, is one path.
      expect((await store.stats(NOW, 10)).topPaths).toEqual([{ path: '/p/1', sessions: 2 }]);
      const page = await store.activeUsers({ first: 10, filter: { pathPrefix: '/p/' } });
      expect(page.edges.map((edge) => [edge.node.id, edge.node.name, edge.node.sessions])).toEqual([
        [u2, null, [session('s2', u2, { path: '/p/1', lastSeen: T0 + 1, eventCount: 2 })]],
        [u1, odd, [s1]],
      ]);
      expect(await store.endSession('s1', NOW)).toEqual(s1);
      expect(await changes.next(2)).toEqual([
        { type: 'SessionEnded', cursor: 7, at: NOW, session: s1, reason: 'LOGOUT' },
        { type: 'UserLeft', cursor: 8, at: NOW, user: { id: u1, name: odd }, path: '/p/1' },
      ]);
    });
  });

  describe('ending sessions', () => {
    it('ends a session by logout: SessionEnded then UserLeft, once', async () => {
      await store.record([event('s1', u1, T0, { userName: 'Ann', path: '/a' }), event('s1', u1, T0 + 3, { path: '/b' })], NOW);
      await changes.next(3);
      const last = session('s1', u1, { userName: 'Ann', path: '/b', lastSeen: T0 + 3, eventCount: 2 });
      expect(await store.endSession('s1', NOW + 9)).toEqual(last);
      expect(await changes.next(2)).toEqual([
        { type: 'SessionEnded', cursor: 4, at: NOW + 9, session: last, reason: 'LOGOUT' },
        { type: 'UserLeft', cursor: 5, at: NOW + 9, user: { id: u1, name: 'Ann' }, path: '/b' },
      ]);
      expect(await store.endSession('s1', NOW + 10)).toBeNull();
      expect(await store.stats(NOW, 10)).toMatchObject({ activeUsers: 0, activeSessions: 0, topPaths: [] });
      await expectNothingMorePublished();
    });

    it("keeps a user with another session, moved back to that session's lastSeen", async () => {
      await store.record([event('s1', u1, T0 + 10), event('s2', u1, T0), event('s3', u2, T0 + 5)], NOW);
      await changes.next(5);
      expect(ids(await store.activeUsers({ first: 10 }))).toEqual([u1, u2]);
      await store.endSession('s1', NOW);
      expect(await changes.next(1)).toMatchObject([{ type: 'SessionEnded', session: { id: 's1' } }]);
      const page = await store.activeUsers({ first: 10 });
      expect(page.edges.map((e) => [e.node.id, e.node.lastSeen, e.cursor])).toEqual([
        [u2, T0 + 5, cursorOf(T0 + 5, u2)],
        [u1, T0, cursorOf(T0, u1)],
      ]);
      await expectNothingMorePublished();
    });

    it('expires idle sessions oldest first, up to the limit, strictly before the cutoff', async () => {
      await store.record([event('s3', u1, T0 + 2), event('s1', u1, T0), event('s2', u2, T0 + 1), event('s4', u3, T0 + 3)], NOW);
      await changes.next(7);
      expect(await store.expireIdle(T0 + 3, NOW + 1, 2)).toBe(2);
      expect(await changes.next(3)).toEqual([
        { type: 'SessionEnded', cursor: 8, at: NOW + 1, session: session('s1', u1), reason: 'IDLE_TIMEOUT' },
        { type: 'SessionEnded', cursor: 9, at: NOW + 1, session: session('s2', u2, { startedAt: T0 + 1, lastSeen: T0 + 1 }), reason: 'IDLE_TIMEOUT' },
        { type: 'UserLeft', cursor: 10, at: NOW + 1, user: { id: u2, name: null }, path: null },
      ]);
      expect(await store.expireIdle(T0 + 3, NOW + 2, 10)).toBe(1);
      expect((await changes.next(2)).map((c) => c.type)).toEqual(['SessionEnded', 'UserLeft']);
      expect(await store.expireIdle(T0 + 3, NOW + 3, 10)).toBe(0);
      expect(ids(await store.activeUsers({ first: 10 }))).toEqual([u3]);
      await expectNothingMorePublished();
    });

    it('expires by when a session was last seen, not when it started, oldest last sight first', async () => {
      // s1 starts first but is seen again later; s2 starts after it and is never seen again.
      await store.record([event('s1', u1, T0), event('s2', u2, T0 + 1)], NOW);
      await store.record([event('s1', u1, T0 + 10)], NOW);
      await changes.next(5);
      expect(await store.expireIdle(T0 + 5, NOW + 1, 10)).toBe(1);
      expect(await changes.next(2)).toMatchObject([{ type: 'SessionEnded', session: { id: 's2' } }, { type: 'UserLeft' }]);
      expect(ids(await store.activeUsers({ first: 10 }))).toEqual([u1]);
      // Both idle: the one last seen earlier goes first, whatever the start order.
      await store.record([event('s3', u3, T0 + 2), event('s3', u3, T0 + 12)], NOW);
      await changes.next(3);
      expect(await store.expireIdle(T0 + 20, NOW + 2, 1)).toBe(1);
      expect(await changes.next(2)).toMatchObject([{ type: 'SessionEnded', session: { id: 's1', lastSeen: T0 + 10 } }, { type: 'UserLeft' }]);
      expect(await store.expireIdle(T0 + 20, NOW + 3, 10)).toBe(1);
      expect(await changes.next(2)).toMatchObject([{ type: 'SessionEnded', session: { id: 's3', lastSeen: T0 + 12 } }, { type: 'UserLeft' }]);
      await expectNothingMorePublished();
    });

    it('finds an idle session behind more sessions seen since they started than one expiry step looks at', async () => {
      // More than EXPIRY_REPAIRS_PER_CALL (redis-bounded-calls.ts) sessions start before the idle one and are all seen again.
      const busy = Array.from({ length: 2_100 }, (_, i) => event(`busy${i}`, u1, T0));
      await store.record(busy, NOW);
      await store.record([event('idle', u2, T0 + 1)], NOW);
      await store.record(busy.map((e) => ({ ...e, at: T0 + 100 })), NOW);
      await changes.next(2 * busy.length + 3);
      expect(await store.expireIdle(T0 + 50, NOW + 1, 1)).toBe(1);
      expect(await changes.next(2)).toMatchObject([{ type: 'SessionEnded', session: { id: 'idle' } }, { type: 'UserLeft' }]);
      expect(await store.expireIdle(T0 + 50, NOW + 2, 10)).toBe(0);
      expect((await store.stats(NOW + 2, 1)).activeSessions).toBe(busy.length);
      await expectNothingMorePublished();
    });

    it('forgets a user who left: their next session joins again, unnamed unless named', async () => {
      await store.record([event('s1', u1, T0, { userName: 'Ann' })], NOW);
      await store.endSession('s1', NOW);
      await store.record([event('s2', u1, T0 + 1)], NOW);
      const all = await changes.next(6);
      expect(all.map((c) => c.type)).toEqual(['SessionStarted', 'UserJoined', 'SessionEnded', 'UserLeft', 'SessionStarted', 'UserJoined']);
      expect(all[5]).toMatchObject({ user: { id: u1, name: null } });
    });
  });

  describe('onPublished', () => {
    it('reports how many changes each write published, and nothing for a write that published none', async () => {
      await store.record([event('s1', u1, T0), event('s2', u1, T0 + 1)], NOW); // SessionStarted, UserJoined, SessionStarted
      await store.record([event('s1', u1, T0 + 2)], NOW); // SessionUpdated
      await mismatchOf(store.record([event('s1', u2, T0 + 3)], NOW));
      expect(await store.endSession('never-started', NOW)).toBeNull();
      await store.endSession('s1', NOW); // SessionEnded (u1 keeps s2)
      expect(await store.expireIdle(T0 + 100, NOW, 10)).toBe(1); // SessionEnded, UserLeft
      expect(await store.expireIdle(T0 + 100, NOW, 10)).toBe(0);
      expect(await changes.next(7)).toHaveLength(7);
      expect(h.reported).toEqual([3, 1, 1, 2]);
    });
  });

  describe('stats', () => {
    it('counts users and sessions, moves paths with sessions, orders ties by path', async () => {
      await store.record(
        [event('s1', u1, T0, { path: '/b' }), event('s2', u1, T0, { path: '/a' }), event('s3', u2, T0, { path: '/c' }), event('s4', u3, T0, { path: '/c' })],
        NOW,
      );
      expect(await store.stats(NOW, 10)).toEqual({
        activeUsers: 3,
        activeSessions: 4,
        eventsLastMinute: 4,
        eventsPerSecond: perSecond(4),
        eventsPerMinute: perMinute(4),
        topPaths: [
          { path: '/c', sessions: 2 },
          { path: '/a', sessions: 1 },
          { path: '/b', sessions: 1 },
        ],
        at: NOW,
      });
      expect((await store.stats(NOW, 2)).topPaths).toEqual([
        { path: '/c', sessions: 2 },
        { path: '/a', sessions: 1 },
      ]);
      await store.record([event('s3', u2, T0 + 1, { path: '/b' }), event('s4', u3, T0 + 1)], NOW);
      expect((await store.stats(NOW, 10)).topPaths).toEqual([
        { path: '/b', sessions: 2 },
        { path: '/a', sessions: 1 },
        { path: '/c', sessions: 1 },
      ]);
      await store.endSession('s4', NOW);
      await store.endSession('s2', NOW);
      expect(await store.stats(NOW, 10)).toMatchObject({ activeUsers: 2, activeSessions: 2, topPaths: [{ path: '/b', sessions: 2 }] });
      expect((await store.stats(NOW, 0)).topPaths).toEqual([]);
    });

    it('counts events received in the 60 seconds up to now, by receipt time', async () => {
      const second = Math.floor(T0 / 1000) * 1000;
      await store.record([event('s1', u1, T0), event('s1', u1, T0)], second + 500);
      await store.record([event('s1', u1, T0)], second + 30_000);
      await store.record([event('s1', u1, T0), event('s1', u1, T0), event('s1', u1, T0)], second + 59_999);
      expect((await store.stats(second - 1, 1)).eventsLastMinute).toBe(0);
      expect((await store.stats(second, 1)).eventsLastMinute).toBe(2);
      expect((await store.stats(second + 59_999, 1)).eventsLastMinute).toBe(6);
      expect((await store.stats(second + 60_000, 1)).eventsLastMinute).toBe(4);
      expect((await store.stats(second + 89_999, 1)).eventsLastMinute).toBe(4);
      expect((await store.stats(second + 90_000, 1)).eventsLastMinute).toBe(3);
      expect(await store.stats(second + 118_999, 1)).toMatchObject({ eventsLastMinute: 3, at: second + 118_999 });
      expect((await store.stats(second + 119_000, 1)).eventsLastMinute).toBe(0);
      expect((await store.stats(second + 59_999, 1)).eventsPerSecond).toEqual([2, ...zeros(29), 1, ...zeros(28), 3]);
    });

    it('reads, when nothing happened since, what statsAt carries earlier figures forward to', async () => {
      const second = Math.floor(T0 / 1000) * 1000;
      await store.record([event('s1', u1, T0, { path: '/a' }), event('s2', u2, T0, { path: '/b' })], second + 500);
      await store.record([event('s1', u1, T0 + 1)], second + 42_250);
      await store.record([event('s3', u3, T0 + 2, { path: '/a' })], second + 61_000);
      const earlier = await store.stats(second + 61_999, 10);
      // Past the second, the minute, the window's end and the history's: every boundary a slide can cross.
      for (const later of [62_000, 101_000, 102_500, 121_000, 121_001, 180_000, 1_861_000, 1_900_000]) {
        expect(statsAt(earlier, second + later)).toEqual(await store.stats(second + later, 10));
      }
    });

    describe('eventsPerMinute', () => {
      const minuteOfT0 = Math.floor(T0 / 60_000) * 60_000;
      /** `ms` into the minute that starts `minutes` after the minute of T0. */
      const at = (minutes: number, ms = 0): number => minuteOfT0 + minutes * 60_000 + ms;
      const history = async (now: number): Promise<readonly number[]> => (await store.stats(now, 1)).eventsPerMinute;

      it('counts every event of a batch in the minute it was received, oldest minute first, zeros included', async () => {
        await store.record([event('s1', u1, T0), event('s1', u1, T0)], at(0, 500));
        await store.record([event('s1', u1, T0), event('s2', u2, T0), event('s1', u1, T0)], at(1));
        // Received late but still inside the window: it lands in its own minute, not the newest.
        await store.record([event('s1', u1, T0)], at(0, 59_999));
        await store.record([event('s2', u2, T0)], at(5, 1));
        const expected = perMinute(3, 3, 0, 0, 0, 1);
        expect(expected).toHaveLength(30);
        expect(await history(at(5, 30_000))).toEqual(expected);
        expect((await store.snapshot({ first: 1 }, at(5, 59_999), 1)).stats.eventsPerMinute).toEqual(expected);
      });

      it('slides by whole minutes: a minute leaves 30 minutes after it began, a later one is never counted early', async () => {
        await store.record([event('s1', u1, T0), event('s1', u1, T0)], at(0, 1));
        await store.record([event('s1', u1, T0)], at(3, 59_999));
        expect(await history(at(0) - 1)).toEqual(perMinute());
        expect(await history(at(0))).toEqual(perMinute(2));
        expect(await history(at(3))).toEqual(perMinute(2, 0, 0, 1));
        expect(await history(at(29, 59_999))).toEqual([2, 0, 0, 1, ...zeros(26)]);
        expect(await history(at(30))).toEqual([0, 0, 1, ...zeros(27)]);
        expect(await history(at(31, 59_999))).toEqual([0, 1, ...zeros(28)]);
        expect(await history(at(32))).toEqual([1, ...zeros(29)]);
        expect(await history(at(32, 59_999))).toEqual([1, ...zeros(29)]);
        expect(await history(at(33))).toEqual(perMinute());
      });

      it('counts nothing for a rejected batch', async () => {
        await store.record([event('s1', u1, T0)], NOW);
        await expect(store.record([event('s2', u2, T0), event('s1', u2, T0)], NOW)).rejects.toBeInstanceOf(SessionUserMismatchError);
        expect(await history(NOW)).toEqual(perMinute(1));
      });
    });
  });

  describe('activeUsers', () => {
    /** d (T0+9), then c, b, a tied at T0+5 (userId descending), then e (T0+1). */
    async function fiveUsers(): Promise<void> {
      await store.record(
        [
          event('a1', 'a', T0 + 5, { path: '/docs/a' }),
          event('b1', 'b', T0 + 5, { path: '/home' }),
          event('c1', 'c', T0 + 5, { path: '/docs/c' }),
          event('d1', 'd', T0 + 2, { path: '/docs/old', userName: 'Dee' }),
          event('d2', 'd', T0 + 9, { path: '/home' }),
          event('e1', 'e', T0 + 1, { path: '/docs/e' }),
        ],
        NOW,
      );
    }

    it('pages by lastSeen descending, ties by userId descending, sessions most recent first', async () => {
      await fiveUsers();
      const first = await store.activeUsers({ first: 2 });
      expect(first.edges.map((e) => e.cursor)).toEqual([cursorOf(T0 + 9, 'd'), cursorOf(T0 + 5, 'c')]);
      expect(first).toMatchObject({ hasNextPage: true, endCursor: cursorOf(T0 + 5, 'c') });
      expect(first.edges[0]?.node).toEqual({
        id: 'd',
        name: 'Dee',
        lastSeen: T0 + 9,
        sessionCount: 2,
        sessions: [
          session('d2', 'd', { path: '/home', startedAt: T0 + 9, lastSeen: T0 + 9 }),
          session('d1', 'd', { path: '/docs/old', userName: 'Dee', startedAt: T0 + 2, lastSeen: T0 + 2 }),
        ],
      });
      const second = await store.activeUsers({ first: 2, after: first.endCursor });
      expect([ids(second), second.hasNextPage]).toEqual([['b', 'a'], true]);
      const third = await store.activeUsers({ first: 2, after: second.endCursor });
      expect(third).toMatchObject({ hasNextPage: false, endCursor: cursorOf(T0 + 1, 'e') });
      expect(ids(third)).toEqual(['e']);
      expect(await store.activeUsers({ first: 2, after: third.endCursor })).toEqual({ edges: [], hasNextPage: false, endCursor: null });
    });

    it('resumes after the cursor position even when that user moved or left', async () => {
      await fiveUsers();
      const first = await store.activeUsers({ first: 2 });
      await store.record([event('c1', 'c', T0 + 50), event('a1', 'a', T0 + 60)], NOW);
      const second = await store.activeUsers({ first: 2, after: first.endCursor });
      expect(ids(second)).toEqual(['b', 'e']);
      await store.endSession('b1', NOW);
      expect(ids(await store.activeUsers({ first: 2, after: cursorOf(T0 + 5, 'b') }))).toEqual(['e']);
      expect(ids(await store.activeUsers({ first: 5, after: cursorOf(T0 + 5, 'bb') }))).toEqual(['e']);
      expect(ids(await store.activeUsers({ first: 5, after: cursorOf(T0 + 100, 'z') }))).toEqual(['a', 'c', 'd', 'e']);
    });

    it('rejects a cursor it did not issue', async () => {
      await fiveUsers();
      const forged = ['not a cursor', cursorOf(T0, 'd').slice(1), Buffer.from('12').toString('base64url'), Buffer.from('x:u').toString('base64url'), `${cursorOf(T0, 'd')}=`];
      for (const after of forged) {
        await expect(store.activeUsers({ first: 2, after })).rejects.toBeInstanceOf(InvalidCursorError);
        await expect(store.snapshot({ first: 2, after }, NOW, 5)).rejects.toBeInstanceOf(InvalidCursorError);
      }
    });

    it('filters by userId, honouring the cursor', async () => {
      await fiveUsers();
      const only = await store.activeUsers({ first: 2, filter: { userId: 'b' } });
      expect(only).toEqual({ edges: [expect.objectContaining({ cursor: cursorOf(T0 + 5, 'b') })], hasNextPage: false, endCursor: cursorOf(T0 + 5, 'b') });
      expect(ids(await store.activeUsers({ first: 2, after: cursorOf(T0 + 5, 'c'), filter: { userId: 'b' } }))).toEqual(['b']);
      expect(ids(await store.activeUsers({ first: 2, after: cursorOf(T0 + 5, 'b'), filter: { userId: 'b' } }))).toEqual([]);
      expect(ids(await store.activeUsers({ first: 2, filter: { userId: 'nobody' } }))).toEqual([]);
      expect(ids(await store.activeUsers({ first: 2, filter: { userId: 'b', pathPrefix: '/docs' } }))).toEqual([]);
    });

    it('filters by pathPrefix: matching sessions only, users with at least one', async () => {
      await fiveUsers();
      const first = await store.activeUsers({ first: 2, filter: { pathPrefix: '/docs/' } });
      expect(first.edges.map((e) => [e.node.id, e.node.sessions.map((s) => s.id)])).toEqual([
        ['d', ['d1']],
        ['c', ['c1']],
      ]);
      expect(first.hasNextPage).toBe(true);
      const second = await store.activeUsers({ first: 2, after: first.endCursor, filter: { pathPrefix: '/docs/' } });
      expect([ids(second), second.hasNextPage]).toEqual([['a', 'e'], false]);
      expect(ids(await store.activeUsers({ first: 5, filter: { pathPrefix: '' } }))).toEqual(['d', 'c', 'b', 'a', 'e']);
    });

    it('stops a pathPrefix scan at its bound with a short page that resumes', async () => {
      const crowd = Array.from({ length: 1001 }, (_, i) => event(`crowd${i}`, `crowd${String(i).padStart(4, '0')}`, T0 + 1 + i, { path: '/common' }));
      await store.record([event('rare1', 'rare', T0, { path: '/rare' }), ...crowd], NOW);
      if (partitions > 1) {
        // The bound holds per partition: each scans its share of the crowd (under the bound here), so the first page finds the rare user.
        expect(await store.activeUsers({ first: 1, filter: { pathPrefix: '/rare' } })).toMatchObject({ hasNextPage: false, endCursor: cursorOf(T0, 'rare') });
        return;
      }
      const first = await store.activeUsers({ first: 1, filter: { pathPrefix: '/rare' } });
      // 1000 users examined, newest first: crowd1000 down to crowd0001.
      expect(first).toEqual({ edges: [], hasNextPage: true, endCursor: cursorOf(T0 + 2, 'crowd0001') });
      const second = await store.activeUsers({ first: 1, after: first.endCursor, filter: { pathPrefix: '/rare' } });
      expect([ids(second), second.hasNextPage]).toEqual([['rare'], false]);
    });
  });

  describe('snapshot', () => {
    it('starts at cursor 0 with nothing active', async () => {
      expect(await store.snapshot({ first: 5 }, NOW, 5)).toEqual({
        cursor: new Array<number>(partitions).fill(0),
        epoch: expect.stringMatching(/^[A-Za-z0-9_-]{1,32}$/),
        stats: { activeUsers: 0, activeSessions: 0, eventsLastMinute: 0, eventsPerSecond: perSecond(), eventsPerMinute: perMinute(), topPaths: [], at: NOW },
        page: { edges: [], hasNextPage: false, endCursor: null },
      });
    });

    it('reads the cursor of the last published change with matching stats and page', async () => {
      await store.record([event('s1', u1, T0, { path: '/a' }), event('s2', u2, T0 + 1, { path: '/b' })], NOW);
      await store.endSession('s1', NOW);
      await changes.next(6);
      const snapshot = await store.snapshot({ first: 1, filter: { pathPrefix: '/' } }, NOW, 5);
      expect(snapshot.cursor).toEqual(changes.position(partitions));
      expect(snapshot.stats).toEqual({
        activeUsers: 1,
        activeSessions: 1,
        eventsLastMinute: 2,
        eventsPerSecond: perSecond(2),
        eventsPerMinute: perMinute(2),
        topPaths: [{ path: '/b', sessions: 1 }],
        at: NOW,
      });
      expect(snapshot.page).toEqual(await store.activeUsers({ first: 1, filter: { pathPrefix: '/' } }));
      expect(ids(snapshot.page)).toEqual([u2]);
    });
  });

  describe('several processes', () => {
    it('ends each idle session exactly once when two stores sweep at the same time', async () => {
      const batch = Array.from({ length: 30 }, (_, i) => event(`s${i}`, `u${i % 10}`, T0 + i));
      await store.record(batch, NOW);
      await changes.next(40);
      // Small batches, so that the two sweepers interleave.
      const sweep = async (sweeper: ActivityStore): Promise<number> => {
        let total = 0;
        for (;;) {
          const ended = await sweeper.expireIdle(T0 + 100, NOW, 4);
          total += ended;
          if (ended < 4) return total;
        }
      };
      const [mine, theirs] = await Promise.all([sweep(store), sweep(h.peer)]);
      expect(mine + theirs).toBe(30);
      const ended = await changes.next(40);
      const endedIds = ended.flatMap((c) => (c.type === 'SessionEnded' ? [c.session.id] : []));
      expect(new Set(endedIds).size).toBe(30);
      expect(endedIds).toHaveLength(30);
      expect(ended.filter((c) => c.type === 'UserLeft')).toHaveLength(10);
      // Each change is reported by the one store that wrote it: 40 recorded, 40 swept.
      expect(h.reported.reduce((sum, count) => sum + count, 0)).toBe(80);
      await expectNothingMorePublished();
    });

    it('ends a session once when logouts race each other and expiry', async () => {
      const batch = Array.from({ length: 10 }, (_, i) => event(`s${i}`, `u${i}`, T0 + i));
      await store.record(batch, NOW);
      await changes.next(20);
      const logouts = batch.flatMap(({ sessionId }) => [store.endSession(sessionId, NOW), h.peer.endSession(sessionId, NOW)]);
      const [expired, ...results] = await Promise.all([h.peer.expireIdle(T0 + 100, NOW, 100), ...logouts]);
      expect(expired + results.filter((r) => r !== null).length).toBe(10);
      const ended = await changes.next(20);
      expect(ended.filter((c) => c.type === 'SessionEnded')).toHaveLength(10);
      expect(ended.filter((c) => c.type === 'UserLeft')).toHaveLength(10);
      await expectNothingMorePublished();
    });
  });
});
