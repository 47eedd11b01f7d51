import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ActivityChange, ActivityRecordInput } from '../../server/domain/activity.js';
import type { ActivityStore, HistoryOptions, ReplayResult } from '../../server/store/types.js';
import { homePosition, homeUser } from '../support/partition-users.js';
import { memoryEngine, storeEngines, type StoreEngine } from '../support/store-engines.js';

/**
 * The history half of the ActivityStore contract (`replay` and epochs),
 * written once and run against every engine, each built with a small
 * history so its bounds are reachable. The users are of one partition
 * (partition 0), whose cursors the positions name; the other partitions
 * stay at 0.
 */

const T0 = 1_700_000_000_123;
const HISTORY: HistoryOptions = { size: 100, maxAgeMs: 60_000 };

function event(sessionId: string, userId: string, at = T0): ActivityRecordInput {
  return { sessionId, userId, userName: null, ipAddress: null, path: '/p', userAgent: null, at };
}

function recovered(result: ReplayResult): readonly ActivityChange[] {
  if (!result.recovered) throw new Error(`expected a recovered replay, got ${result.reason}`);
  return result.changes;
}

describe.each(storeEngines())('ActivityStore history contract: $engine', ({ make, partitions }) => {
  let e: StoreEngine;
  let store: ActivityStore;
  let peer: ActivityStore;
  let epoch: string;
  const at = (seq: number): readonly number[] => homePosition(partitions, seq);
  const [u1, u2, u3] = ['u1', 'u2', 'u3'].map((base) => homeUser(base, partitions)) as [string, string, string];
  // In a multi-partition engine, replayed changes name their partition: the home one.
  const home = partitions > 1 ? { partition: 0 } : {};

  beforeEach(async () => {
    e = await make({ history: HISTORY, label: 'history' });
    ({ store, peer } = e);
    ({ epoch } = await store.snapshot({ first: 1 }, T0, 1));
  });
  afterEach(() => e.close());

  it('replays every change after the cursor, in order, with the newest cursor', async () => {
    await store.record([event('s1', u1), event('s2', u2)], T0);
    await peer.endSession('s1', T0 + 1);
    const all = recovered(await store.replay({ epoch, since: at(0), limit: 100 }, T0 + 2));
    expect(all.map((c) => [c.cursor, c.type])).toEqual([
      [1, 'SessionStarted'],
      [2, 'UserJoined'],
      [3, 'SessionStarted'],
      [4, 'UserJoined'],
      [5, 'SessionEnded'],
      [6, 'UserLeft'],
    ]);
    expect(all[4]).toMatchObject({ type: 'SessionEnded', reason: 'LOGOUT', at: T0 + 1, session: { id: 's1', userId: u1, path: '/p' }, ...home });
    const tail = await peer.replay({ epoch, since: at(4), limit: 100 }, T0 + 2);
    expect(tail).toEqual({ recovered: true, changes: all.slice(4), cursor: at(6) });
  });

  it('recovers with nothing to replay when the cursor is the newest, and shares the epoch between processes', async () => {
    await store.record([event('s1', u1)], T0);
    expect(await peer.replay({ epoch, since: at(2), limit: 10 }, T0)).toEqual({ recovered: true, changes: [], cursor: at(2) });
    expect((await peer.snapshot({ first: 1 }, T0, 1)).epoch).toBe(epoch);
  });

  it('says OTHER_EPOCH for a cursor of another epoch, or one this log never reached', async () => {
    await store.record([event('s1', u1)], T0);
    expect(await store.replay({ epoch: 'another', since: at(1), limit: 10 }, T0)).toEqual({ recovered: false, reason: 'OTHER_EPOCH' });
    expect(await store.replay({ epoch, since: at(3), limit: 10 }, T0)).toEqual({ recovered: false, reason: 'OTHER_EPOCH' });
  });

  it('says CURSOR_TOO_OLD when the changes after it left the history (by size) or exceed the limit', async () => {
    // 60 sessions, 120 changes: the first 20 are beyond a history of 100.
    for (let i = 0; i < 60; i++) await store.record([event(`s${i}`, homeUser(`u${i}`, partitions))], T0);
    expect(await store.replay({ epoch, since: at(19), limit: 1000 }, T0)).toEqual({ recovered: false, reason: 'CURSOR_TOO_OLD' });
    expect(recovered(await store.replay({ epoch, since: at(20), limit: 1000 }, T0))).toHaveLength(100);
    expect(await store.replay({ epoch, since: at(20), limit: 99 }, T0)).toEqual({ recovered: false, reason: 'CURSOR_TOO_OLD' });
  });

  it('says CURSOR_TOO_OLD when the next change was written longer ago than the max age', async () => {
    await store.record([event('s1', u1)], T0);
    await store.record([event('s2', u2)], T0 + 30_000);
    expect(recovered(await store.replay({ epoch, since: at(0), limit: 10 }, T0 + 60_000))).toHaveLength(4);
    expect(await store.replay({ epoch, since: at(0), limit: 10 }, T0 + 60_001)).toEqual({ recovered: false, reason: 'CURSOR_TOO_OLD' });
    // Measured from the first change wanted: the later write is still young enough.
    expect(recovered(await store.replay({ epoch, since: at(2), limit: 10 }, T0 + 60_001))).toHaveLength(2);
  });

  it('starts a new epoch when the log starts afresh, so old cursors are from another epoch', async () => {
    await store.record([event('s1', u1)], T0);
    // Memory: a restarted process, whose new store starts a new log.
    const restarted = e.redis ? null : await memoryEngine({ history: HISTORY });
    if (e.redis) await e.redis.flush();
    if (restarted) ({ store } = restarted);
    await store.record([event('s2', u2), event('s3', u3)], T0);
    const fresh = await store.snapshot({ first: 1 }, T0, 1);
    expect(fresh.epoch).not.toBe(epoch);
    expect(fresh.cursor).toEqual(at(4));
    expect(await store.replay({ epoch, since: at(2), limit: 10 }, T0)).toEqual({ recovered: false, reason: 'OTHER_EPOCH' });
    expect(recovered(await store.replay({ epoch: fresh.epoch, since: at(2), limit: 10 }, T0))).toHaveLength(2);
    await restarted?.close();
  });
});
