import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SESSIONS_PER_USER, type ActivityRecordInput } from '../../server/domain/activity.js';
import { SESSION_SCAN_BOUND } from '../../server/store/paging.js';
import type { ActiveUsersPage } from '../../server/domain/activity.js';
import type { ActivityStore } from '../../server/store/types.js';
import { countCommands } from '../bench/redis-commands.js';
import { spawnRedis, type SpawnedRedis } from '../support/redis-server.js';
import { storeEngines, type EngineCase } from '../support/store-engines.js';

/**
 * One user's cost is bounded (issue 8, item 10), on every engine: a user
 * may hold any number of sessions, and a listing reads only a page of them,
 * from an index ordered by `lastSeen`. On Redis, the commands a read or a
 * write runs are counted on a redis-server of this suite's own, where no
 * other suite's commands mix in.
 */

const T0 = 1_700_000_000_123;
const NOW = T0 + 10_000;
const HEAVY = 400;

interface Harness {
  readonly store: ActivityStore;
  /**
   * Runs `during` and counts the Redis commands it caused, by name (lower
   * case), and the keys they looked up (hits and misses); null on the memory engine.
   */
  count<T>(during: () => Promise<T>): Promise<{ value: T; byCommand: Record<string, number> | null; lookups: number | null }>;
  close(): Promise<void>;
}

let spawned: SpawnedRedis;
beforeAll(async () => {
  spawned = await spawnRedis();
});
afterAll(() => spawned.dispose());

const ENGINES = storeEngines();

/** An engine on this suite's own Redis (the cluster engine on the suite's cluster), its commands counted on every node. */
async function harness(engine: EngineCase): Promise<Harness> {
  const e = await engine.make({ redisUrl: spawned.url, label: 'user-sessions' });
  const nodes = e.redis?.nodes ?? [];
  return {
    store: e.store,
    count: async (during) => {
      if (nodes.length === 0) return { value: await during(), byCommand: null, lookups: null };
      const before = await keyLookups(nodes);
      const { value, byCommand } = await countCommands(nodes, during);
      return { value, byCommand, lookups: (await keyLookups(nodes)) - before };
    },
    close: async () => {
      await e.store.close();
      await e.close();
    },
  };
}

/** Keys looked up so far by every command (`keyspace_hits` + `keyspace_misses`), scripts' included, on all `nodes`. */
async function keyLookups(nodes: readonly Redis[]): Promise<number> {
  const counts = await Promise.all(
    nodes.map(async (redis) => {
      const info = await redis.info('stats');
      const field = (name: string): number => Number(new RegExp(`${name}:(\\d+)`).exec(info)?.[1] ?? Number.NaN);
      return field('keyspace_hits') + field('keyspace_misses');
    }),
  );
  return counts.reduce((total, count) => total + count, 0);
}

function event(sessionId: string, userId: string, at: number, path: string | null = null): ActivityRecordInput {
  return { sessionId, userId, userName: null, ipAddress: '192.0.2.1', path, userAgent: null, at };
}

/** `count` sessions of one user, ten per millisecond so that ties on lastSeen are ordered by id. */
function sessionsOf(userId: string, count: number, path: (i: number) => string | null = () => '/p'): ActivityRecordInput[] {
  return Array.from({ length: count }, (_, i) => event(`${userId}-${String(i).padStart(4, '0')}`, userId, T0 + Math.floor(i / 10), path(i)));
}

/** Redis's ZREVRANGE order: lastSeen descending, then id descending (ASCII ids here). */
function mostRecentFirst(inputs: readonly ActivityRecordInput[]): string[] {
  return [...inputs].sort((a, b) => b.at - a.at || (a.sessionId < b.sessionId ? 1 : -1)).map((e) => e.sessionId);
}

const node = (page: ActiveUsersPage, i = 0) => page.edges[i]?.node;

describe.each(ENGINES)('one user with many sessions: $engine', (engine) => {
  let h: Harness;
  let store: ActivityStore;

  beforeEach(async () => {
    h = await harness(engine);
    ({ store } = h);
  });
  afterEach(() => h.close());

  it(`lists ${HEAVY} sessions a page at a time, most recent first, with the exact sessionCount`, async () => {
    const heavy = sessionsOf('heavy', HEAVY);
    await store.record(heavy, NOW);
    const expected = mostRecentFirst(heavy);
    const byDefault = node(await store.activeUsers({ first: 1 }));
    expect(byDefault?.sessionCount).toBe(HEAVY);
    expect(byDefault?.sessions.map((s) => s.id)).toEqual(expected.slice(0, SESSIONS_PER_USER.max));
    const ten = node(await store.activeUsers({ first: 1, sessionsPerUser: 10 }));
    expect([ten?.sessionCount, ten?.lastSeen, ten?.sessions.map((s) => s.id)]).toEqual([HEAVY, T0 + 39, expected.slice(0, 10)]);
    const snapshot = await store.snapshot({ first: 5, sessionsPerUser: 3 }, NOW, 5);
    expect(snapshot.page.edges.map((e) => [e.node.sessionCount, e.node.sessions.map((s) => s.id)])).toEqual([[HEAVY, expected.slice(0, 3)]]);
  });

  it('keeps the order as sessions move and end; the user is as recent as their latest remaining session', async () => {
    await store.record([...sessionsOf('heavy', HEAVY), event('light-1', 'light', T0 + 50)], NOW);
    await store.record([event('heavy-0000', 'heavy', T0 + 100)], NOW);
    const moved = node(await store.activeUsers({ first: 1, sessionsPerUser: 2 }));
    expect([moved?.id, moved?.lastSeen, moved?.sessions.map((s) => s.id)]).toEqual(['heavy', T0 + 100, ['heavy-0000', 'heavy-0399']]);
    expect(await store.endSession('heavy-0000', NOW)).toMatchObject({ id: 'heavy-0000' });
    const page = await store.activeUsers({ first: 2, sessionsPerUser: 1 });
    expect(page.edges.map((e) => [e.node.id, e.node.lastSeen, e.node.sessionCount, e.node.sessions.map((s) => s.id)])).toEqual([
      ['light', T0 + 50, 1, ['light-1']],
      ['heavy', T0 + 39, HEAVY - 1, ['heavy-0399']],
    ]);
    expect(await store.expireIdle(T0 + 39, NOW, 1000)).toBe(HEAVY - 11);
    expect(node(await store.activeUsers({ first: 1, filter: { userId: 'heavy' } }))).toMatchObject({ sessionCount: 10, lastSeen: T0 + 39 });
  });

  it('keeps a one-user page small in bytes however many sessions the user holds', async () => {
    await store.record(sessionsOf('heavy', HEAVY), NOW);
    const page = await store.activeUsers({ first: 1, sessionsPerUser: SESSIONS_PER_USER.default });
    const bytes = Buffer.byteLength(JSON.stringify(page));
    // About 170 bytes a session: ten of them, not 400 (which would be about 68 KB).
    expect(bytes).toBeLessThan(3_000);
    expect(node(page)?.sessions).toHaveLength(SESSIONS_PER_USER.default);
  });

  it(`looks at each user's ${SESSION_SCAN_BOUND} most recent sessions for a pathPrefix, and counts them against the page's scan bound`, async () => {
    // The only /rare session of `deep` is its oldest, past the scan bound; `near`'s is the last one within it.
    const deep = sessionsOf('deep', SESSION_SCAN_BOUND + 1, (i) => (i === 0 ? '/rare' : '/common'));
    const near = sessionsOf('near', SESSION_SCAN_BOUND, (i) => (i === 0 ? '/rare' : '/common')).map((e) => ({ ...e, at: e.at - 1000 }));
    await store.record([...deep, ...near], NOW);
    const rare = await store.activeUsers({ first: 5, filter: { pathPrefix: '/rare' } });
    expect(rare.edges.map((e) => [e.node.id, e.node.sessionCount, e.node.sessions.map((s) => s.id)])).toEqual([['near', SESSION_SCAN_BOUND, ['near-0000']]]);
  });

  it('stops a pathPrefix page once the sessions looked at reach the scan bound, and resumes after the last user looked at', async () => {
    // Six users of 200 sessions on /common, newest first u5..u0, then `rare`: 1000 sessions (five users) fill the bound.
    const crowd = Array.from({ length: 6 }, (_, u) => sessionsOf(`u${u}`, SESSION_SCAN_BOUND).map((e) => ({ ...e, at: e.at + 100 * (u + 1), path: '/common' })));
    await store.record([...crowd.flat(), event('rare-1', 'rare', T0 - 5, '/rare')], NOW);
    const first = await store.activeUsers({ first: 1, filter: { pathPrefix: '/rare' } });
    if (engine.partitions > 1) {
      // The bound holds per partition, each scanning only its users' sessions: here none reaches it, and the first page finds `rare`.
      expect(first.edges.map((e) => e.node.id)).toEqual(['rare']);
      return;
    }
    expect(first.edges).toEqual([]);
    expect(first.hasNextPage).toBe(true);
    const second = await store.activeUsers({ first: 1, after: first.endCursor, filter: { pathPrefix: '/rare' } });
    expect([second.edges.map((e) => e.node.id), second.hasNextPage]).toEqual([['rare'], false]);
  });

  it('reads and writes a heavy user at the cost of a light one (Redis commands counted)', async () => {
    await store.record([...sessionsOf('heavy', HEAVY), event('light-1', 'light', T0 - 2, '/p'), event('light-2', 'light', T0 - 1, '/p')], NOW);
    // Loads the end script, so that neither count below includes its first EVAL.
    expect(await store.endSession('never-started', NOW)).toBeNull();
    const read = await h.count(() => store.activeUsers({ first: 1, sessionsPerUser: SESSIONS_PER_USER.default }));
    expect(read.value).toMatchObject({ hasNextPage: true, edges: [{ node: { id: 'heavy', sessionCount: HEAVY } }] });
    expect(node(read.value)?.sessions).toHaveLength(SESSIONS_PER_USER.default);
    const recordHeavy = await h.count(() => store.record([event('heavy-0001', 'heavy', T0 + 60, '/p')], NOW));
    const recordLight = await h.count(() => store.record([event('light-1', 'light', T0 + 1, '/p')], NOW));
    const endHeavy = await h.count(() => store.endSession('heavy-0002', NOW));
    const endLight = await h.count(() => store.endSession('light-2', NOW));
    expect([endHeavy.value?.id, endLight.value?.id]).toEqual(['heavy-0002', 'light-2']);
    if (engine.partitions > 1) {
      // Every partition is read (one script each) and asked for the session: the heavy user still costs what a light one does.
      expect(recordHeavy.byCommand).toEqual(recordLight.byCommand);
      expect(endHeavy.byCommand).toEqual(endLight.byCommand);
      return;
    }
    if (engine.engine === 'memory') return;
    // One range of the users and one of the user's sessions, one MGET of the listed sessions: never the user's 400.
    expect(read.byCommand).toMatchObject({ zrevrange: 2, zcard: 1, mget: 1 });
    expect(read.lookups).toBeLessThan(2 * SESSIONS_PER_USER.default);
    expect(recordHeavy.byCommand).toEqual(recordLight.byCommand);
    expect(recordHeavy.lookups).toBe(recordLight.lookups);
    expect(endHeavy.byCommand).toEqual(endLight.byCommand);
    expect(endHeavy.byCommand).toMatchObject({ zrevrange: 1, mget: 1 });
  });
});
