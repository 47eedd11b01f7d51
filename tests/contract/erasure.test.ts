import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ActivityChange, ActivityRecordInput, SessionRecord } from '../../server/domain/activity.js';
import type { ActivityStore, ReplayResult } from '../../server/store/types.js';
import { homePosition, homeUser } from '../support/partition-users.js';
import { findInEngine, nextPublished, storeEngines, type StoreEngine } from '../support/store-engines.js';

/**
 * `ActivityStore.eraseUser`, written once and run against every engine
 * (issue 10, item 3): every session ended once with ids-only announcements,
 * every trace of the person gone (Redis scanned key by key), the others
 * untouched, and resuming across it still works. Erin and Otto are users
 * of one partition (partition 0), whose cursors the tests number.
 */

const T0 = 1_700_000_000_123;
const NOW = T0 + 1_000;

/** Erin's personal fields: none of them may survive her erasure anywhere. */
const ERIN = { userName: 'Erin Erasable', ipAddress: '198.51.100.77', userAgent: 'ErasableAgent/1.0', path: '/erase-me/secret' };
const ERIN_TRACES = Object.values(ERIN);
/** Otto's, which must all stay. */
const OTTO = { userName: 'Otto Other', ipAddress: '203.0.113.9', userAgent: 'OtherAgent/2.0', path: '/other' };
const OTTO_TRACES = Object.values(OTTO);

function event(sessionId: string, userId: string, at: number, fields: Partial<ActivityRecordInput> = {}): ActivityRecordInput {
  return { sessionId, userId, userName: null, ipAddress: null, path: null, userAgent: null, at, ...fields };
}

/** A session as an ERASED end announces it: ids, times and count, every personal field null. */
function erasedRecord(erin: string, id: string, fields: Pick<SessionRecord, 'startedAt' | 'lastSeen' | 'eventCount'>): SessionRecord {
  return { id, userId: erin, userName: null, ipAddress: null, path: null, userAgent: null, ...fields };
}

/**
 * Erin holds three sessions (erin-1 with every personal field, and the most
 * recent after its update), Otto one: changes 1 to 7, five of them about Erin
 * (1, 2, 3, 6, 7).
 */
async function erinAndOtto(store: ActivityStore, erin: string, otto: string): Promise<void> {
  await store.record(
    [event('erin-1', erin, T0, ERIN), event('erin-2', erin, T0 + 1), event('otto-1', otto, T0 + 1, OTTO), event('erin-3', erin, T0 + 2, { path: '/erase-me/other' })],
    NOW,
  );
  await store.record([event('erin-1', erin, T0 + 3, { path: '/erase-me/later' })], NOW);
}

function recovered(result: ReplayResult): readonly ActivityChange[] {
  if (!result.recovered) throw new Error(`expected a recovered replay, got ${result.reason}`);
  return result.changes;
}

const containing = (json: string, needles: readonly string[]): string[] => needles.filter((needle) => json.includes(needle));

describe.each(storeEngines())('ActivityStore.eraseUser: $engine', ({ make, partitions }) => {
  const [erin, otto] = ['erin', 'otto'].map((base) => homeUser(base, partitions)) as [string, string];
  const at = (seq: number): readonly number[] => homePosition(partitions, seq);
  // In a multi-partition engine, changes on the feed and in replays name their partition: the home one.
  const home = partitions > 1 ? { partition: 0 } : {};
  let e: StoreEngine;
  let store: ActivityStore;
  let epoch: string;

  beforeEach(async () => {
    e = await make({ label: 'erasure' });
    ({ store } = e);
    ({ epoch } = await store.snapshot({ first: 1 }, NOW, 1));
  });
  afterEach(() => e.close());

  let probes = 0;
  /** Proves nothing was published since the last change taken: a probe write's changes come next. */
  async function expectNothingMorePublished(): Promise<void> {
    const id = `probe${++probes}`;
    await store.record([event(id, homeUser(`${id}-user`, partitions), T0)], NOW);
    const [started] = await nextPublished(e, 2);
    expect(started?.change).toMatchObject({ type: 'SessionStarted', session: { id } });
  }

  /** What the store's reads (a page, a snapshot, a replay from the first cursor) still hold of `needles`. */
  async function foundInReads(needles: readonly string[]): Promise<string[]> {
    const page = await store.activeUsers({ first: 100 });
    const snapshot = await store.snapshot({ first: 100 }, NOW, 10);
    const replay = await store.replay({ epoch, since: at(0), limit: 10_000 }, NOW);
    return containing(JSON.stringify([page, snapshot, replay]), needles);
  }

  it('ends each session with an ERASED SessionEnded of ids and times, oldest first, then one erased UserLeft, and says what it removed', async () => {
    await erinAndOtto(store, erin, otto);
    await nextPublished(e, 7);
    const reportedBefore = e.reported.length;
    expect(await store.eraseUser(erin, NOW + 5)).toEqual({ userId: erin, endedSessions: ['erin-2', 'erin-3', 'erin-1'], historyEntriesRemoved: 5 });
    expect((await nextPublished(e, 4)).map((p) => p.change)).toEqual([
      { type: 'SessionEnded', cursor: 8, at: NOW + 5, reason: 'ERASED', session: erasedRecord(erin, 'erin-2', { startedAt: T0 + 1, lastSeen: T0 + 1, eventCount: 1 }), ...home },
      { type: 'SessionEnded', cursor: 9, at: NOW + 5, reason: 'ERASED', session: erasedRecord(erin, 'erin-3', { startedAt: T0 + 2, lastSeen: T0 + 2, eventCount: 1 }), ...home },
      { type: 'SessionEnded', cursor: 10, at: NOW + 5, reason: 'ERASED', session: erasedRecord(erin, 'erin-1', { startedAt: T0, lastSeen: T0 + 3, eventCount: 2 }), ...home },
      { type: 'UserLeft', cursor: 11, at: NOW + 5, user: { id: erin, name: null }, path: null, erased: true, ...home },
    ]);
    // Published like any write: one publish, counted once.
    expect(e.reported.slice(reportedBefore)).toEqual([4]);
    await expectNothingMorePublished();
  });

  it('publishes announcements that hold nothing personal, on the wire and in the history', async () => {
    await erinAndOtto(store, erin, otto);
    await nextPublished(e, 7);
    await store.eraseUser(erin, NOW + 5);
    const announced = await nextPublished(e, 4);
    expect(announced.flatMap((p) => containing(p.json, ERIN_TRACES))).toEqual([]);
    const replayed = recovered(await store.replay({ epoch, since: at(7), limit: 100 }, NOW + 5));
    expect(replayed).toEqual(announced.map((p) => p.change));
    expect(containing(JSON.stringify(replayed), ERIN_TRACES)).toEqual([]);
  });

  it("leaves other users' sessions, names and history entries as they were", async () => {
    await erinAndOtto(store, erin, otto);
    await store.eraseUser(erin, NOW + 5);
    const page = await store.activeUsers({ first: 10 });
    expect(page.edges.map((edge) => edge.node)).toEqual([
      {
        id: otto,
        name: OTTO.userName,
        lastSeen: T0 + 1,
        sessionCount: 1,
        sessions: [{ id: 'otto-1', userId: otto, ...OTTO, startedAt: T0 + 1, lastSeen: T0 + 1, eventCount: 1 }],
      },
    ]);
    expect(await store.stats(NOW, 10)).toMatchObject({ activeUsers: 1, activeSessions: 1, topPaths: [{ path: OTTO.path, sessions: 1 }] });
    const replayed = recovered(await store.replay({ epoch, since: at(0), limit: 100 }, NOW + 5));
    expect(replayed.map((c) => [c.cursor, c.type])).toEqual([
      [4, 'SessionStarted'],
      [5, 'UserJoined'],
      [8, 'SessionEnded'],
      [9, 'SessionEnded'],
      [10, 'SessionEnded'],
      [11, 'UserLeft'],
    ]);
    expect(replayed[0]).toMatchObject({ session: { id: 'otto-1', ...OTTO } });
  });

  it('is idempotent: erasing again, from any process, ends nothing and removes nothing', async () => {
    await erinAndOtto(store, erin, otto);
    await store.eraseUser(erin, NOW + 5);
    await nextPublished(e, 11);
    const nothing = { userId: erin, endedSessions: [], historyEntriesRemoved: 0 };
    expect(await store.eraseUser(erin, NOW + 6)).toEqual(nothing);
    expect(await e.peer.eraseUser(erin, NOW + 7)).toEqual(nothing);
    expect(await store.eraseUser('nobody', NOW + 8)).toEqual({ userId: 'nobody', endedSessions: [], historyEntriesRemoved: 0 });
    await expectNothingMorePublished();
  });

  it('removes the history of a user whose sessions already ended, publishing nothing', async () => {
    await store.record([event('erin-1', erin, T0, ERIN)], NOW);
    await store.endSession('erin-1', NOW + 1);
    await store.record([event('otto-1', otto, T0 + 2, OTTO)], NOW + 2);
    await nextPublished(e, 6);
    expect(await store.eraseUser(erin, NOW + 3)).toEqual({ userId: erin, endedSessions: [], historyEntriesRemoved: 4 });
    await expectNothingMorePublished();
    const replayed = recovered(await store.replay({ epoch, since: at(0), limit: 100 }, NOW + 3));
    expect(replayed.map((c) => c.cursor)).toEqual([5, 6, 7, 8]);
    expect(await foundInReads(ERIN_TRACES)).toEqual([]);
  });

  it('replays across an erasure: the others’ changes and the announcements, none of the erased entries', async () => {
    await store.record([event('otto-1', otto, T0, OTTO)], NOW); // 1, 2
    const before = (await store.snapshot({ first: 1 }, NOW, 1)).cursor[0] as number;
    await store.record([event('erin-1', erin, T0 + 1, ERIN)], NOW); // 3, 4
    await store.record([event('otto-1', otto, T0 + 2, { path: '/other/next' })], NOW); // 5
    await store.record([event('erin-2', erin, T0 + 3)], NOW); // 6
    await store.record([event('otto-2', otto, T0 + 4)], NOW); // 7
    await store.endSession('erin-2', NOW + 1); // 8
    expect(await store.eraseUser(erin, NOW + 2)).toEqual({ userId: erin, endedSessions: ['erin-1'], historyEntriesRemoved: 4 }); // 9, 10
    const result = await e.peer.replay({ epoch, since: at(before), limit: 100 }, NOW + 2);
    expect(result.recovered && result.cursor).toEqual(at(10));
    const replayed = recovered(result);
    expect(replayed.map((c) => [c.cursor, c.type])).toEqual([
      [5, 'SessionUpdated'],
      [7, 'SessionStarted'],
      [9, 'SessionEnded'],
      [10, 'UserLeft'],
    ]);
    expect(containing(JSON.stringify(replayed), ERIN_TRACES)).toEqual([]);
  });

  it('recovers from a cursor right before an erased entry at the head of the history', async () => {
    await store.record([event('erin-1', erin, T0, ERIN)], NOW); // 1, 2: the head
    await store.record([event('otto-1', otto, T0 + 1, OTTO)], NOW); // 3, 4
    await store.eraseUser(erin, NOW + 1); // 5, 6
    for (const seq of [0, 1, 2]) {
      const replayed = recovered(await store.replay({ epoch, since: at(seq), limit: 100 }, NOW + 1));
      expect(replayed.map((c) => c.cursor)).toEqual([3, 4, 5, 6]);
    }
  });

  it('leaves nothing of the user: not in any read, not in any Redis key or stream entry', async () => {
    await erinAndOtto(store, erin, otto);
    await store.endSession('erin-3', NOW + 1);
    // The same checks find the data while it is there, and find the user who stays.
    expect(await foundInReads(ERIN_TRACES)).toEqual(ERIN_TRACES);
    if (e.redis) expect(await findInEngine(e, ERIN_TRACES)).not.toEqual([]);
    await store.eraseUser(erin, NOW + 2);
    expect(await foundInReads(ERIN_TRACES)).toEqual([]);
    expect(await foundInReads(OTTO_TRACES)).toEqual(OTTO_TRACES);
    if (!e.redis) return;
    expect(await findInEngine(e, ERIN_TRACES)).toEqual([]);
    expect(await findInEngine(e, OTTO_TRACES)).not.toEqual([]);
  });

  /** 1,200 sessions of Erin, more than one Redis erase call ends, a few per millisecond. */
  const HEAVY = 1_200;
  const heavyErin = (): ActivityRecordInput[] =>
    Array.from({ length: HEAVY }, (_, i) => event(`erin-${String(i).padStart(4, '0')}`, erin, T0 + Math.floor(i / 7), i === 0 ? ERIN : {}));

  it(`erases a user with ${HEAVY} sessions whole, oldest first, the UserLeft last`, async () => {
    const sessions = heavyErin();
    await store.record(sessions, NOW);
    await nextPublished(e, HEAVY + 1);
    const erased = await store.eraseUser(erin, NOW + 1);
    expect(erased.endedSessions).toEqual(sessions.map((s) => s.sessionId));
    expect(erased.historyEntriesRemoved).toBe(HEAVY + 1);
    const announced = (await nextPublished(e, HEAVY + 1)).map((p) => p.change);
    expect(announced.filter((c) => c.type === 'SessionEnded' && c.reason === 'ERASED')).toHaveLength(HEAVY);
    expect(announced.at(-1)).toEqual({ type: 'UserLeft', cursor: 2 * (HEAVY + 1), at: NOW + 1, user: { id: erin, name: null }, path: null, erased: true, ...home });
    expect((await store.activeUsers({ first: 10, filter: { userId: erin } })).edges).toEqual([]);
    expect(await store.stats(NOW, 10)).toMatchObject({ activeUsers: 0, activeSessions: 0, topPaths: [] });
    expect(await foundInReads(ERIN_TRACES)).toEqual([]);
    await expectNothingMorePublished();
  });

  it('ends each session exactly once when two processes erase the same user at the same time', async () => {
    await store.record(heavyErin(), NOW);
    await nextPublished(e, HEAVY + 1);
    const reportedBefore = e.reported.length;
    const [mine, theirs] = await Promise.all([store.eraseUser(erin, NOW + 1), e.peer.eraseUser(erin, NOW + 1)]);
    const ended = [...mine.endedSessions, ...theirs.endedSessions];
    expect(ended).toHaveLength(HEAVY);
    expect(new Set(ended).size).toBe(HEAVY);
    expect(mine.historyEntriesRemoved + theirs.historyEntriesRemoved).toBe(HEAVY + 1);
    const announced = (await nextPublished(e, HEAVY + 1)).map((p) => p.change);
    const endedIds = announced.flatMap((c) => (c.type === 'SessionEnded' ? [c.session.id] : []));
    expect(new Set(endedIds).size).toBe(HEAVY);
    expect(announced.filter((c) => c.type === 'UserLeft')).toHaveLength(1);
    expect(announced.at(-1)?.type).toBe('UserLeft');
    expect(e.reported.slice(reportedBefore).reduce((sum, count) => sum + count, 0)).toBe(HEAVY + 1);
    await expectNothingMorePublished();
  });
});
