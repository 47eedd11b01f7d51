import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryFeed } from '../../server/bus/memory.js';
import type { ActivityChange, ActivityRecordInput } from '../../server/domain/activity.js';
import { redisKeys } from '../../server/redis/keys.js';
import { createMemoryStore } from '../../server/store/memory.js';
import { createRedisStore } from '../../server/store/redis.js';
import type { ActivityStore, HistoryOptions, ReplayResult } from '../../server/store/types.js';
import { connectTestRedis, uniquePrefix } from '../support/redis.js';

/**
 * The history half of the ActivityStore contract (`replay` and epochs),
 * written once and run against every engine, each built with a small
 * history so its bounds are reachable.
 */

interface HistoryHarness {
  /** A store with the given history; `peer` shares its data (another process of the deployment). */
  make(history: HistoryOptions): { store: ActivityStore; peer: ActivityStore };
  /** Drops every key of this deployment, as FLUSHALL would (memory: none to drop). */
  flush?(): Promise<void>;
  close(): Promise<void>;
}

function memoryHarness(): HistoryHarness {
  const { feed, deliver } = createMemoryFeed();
  return {
    make: (history) => {
      const store = createMemoryStore({ deliver, history });
      return { store, peer: store };
    },
    close: () => feed.close(),
  };
}

function redisHarness(): HistoryHarness {
  const prefix = uniquePrefix('history');
  const keys = redisKeys(prefix);
  const clients: Redis[] = [connectTestRedis(), connectTestRedis()];
  const [redis, peerRedis] = clients as [Redis, Redis];
  const dropKeys = async (): Promise<void> => {
    // Only this suite's keys: the test Redis is shared, so no FLUSHALL.
    const found = await redis.keys(`${prefix}*`);
    if (found.length > 0) await redis.del(...found);
  };
  return {
    make: (history) => ({ store: createRedisStore({ redis, keys, history }), peer: createRedisStore({ redis: peerRedis, keys, history }) }),
    flush: dropKeys,
    close: async () => {
      await dropKeys();
      await Promise.all(clients.map((client) => client.quit()));
    },
  };
}

const T0 = 1_700_000_000_123;
const HISTORY: HistoryOptions = { size: 100, maxAgeMs: 60_000 };

function event(sessionId: string, userId: string, at = T0): ActivityRecordInput {
  return { sessionId, userId, userName: null, ipAddress: null, path: '/p', userAgent: null, at };
}

function recovered(result: ReplayResult): readonly ActivityChange[] {
  if (!result.recovered) throw new Error(`expected a recovered replay, got ${result.reason}`);
  return result.changes;
}

describe.each([
  { engine: 'memory', harness: memoryHarness },
  { engine: 'redis', harness: redisHarness },
])('ActivityStore history contract: $engine', ({ harness }) => {
  let h: HistoryHarness;
  let store: ActivityStore;
  let peer: ActivityStore;
  let epoch: string;

  beforeEach(async () => {
    h = harness();
    ({ store, peer } = h.make(HISTORY));
    ({ epoch } = await store.snapshot({ first: 1 }, T0, 1));
  });
  afterEach(() => h.close());

  it('replays every change after the cursor, in order, with the newest cursor', async () => {
    await store.record([event('s1', 'u1'), event('s2', 'u2')], T0);
    await peer.endSession('s1', T0 + 1);
    const all = recovered(await store.replay({ epoch, sinceSeq: 0, limit: 100 }, T0 + 2));
    expect(all.map((c) => [c.cursor, c.type])).toEqual([
      [1, 'SessionStarted'],
      [2, 'UserJoined'],
      [3, 'SessionStarted'],
      [4, 'UserJoined'],
      [5, 'SessionEnded'],
      [6, 'UserLeft'],
    ]);
    expect(all[4]).toMatchObject({ type: 'SessionEnded', reason: 'LOGOUT', at: T0 + 1, session: { id: 's1', userId: 'u1', path: '/p' } });
    const tail = await peer.replay({ epoch, sinceSeq: 4, limit: 100 }, T0 + 2);
    expect(tail).toEqual({ recovered: true, changes: all.slice(4), cursor: 6 });
  });

  it('recovers with nothing to replay when the cursor is the newest, and shares the epoch between processes', async () => {
    await store.record([event('s1', 'u1')], T0);
    expect(await peer.replay({ epoch, sinceSeq: 2, limit: 10 }, T0)).toEqual({ recovered: true, changes: [], cursor: 2 });
    expect((await peer.snapshot({ first: 1 }, T0, 1)).epoch).toBe(epoch);
  });

  it('says OTHER_EPOCH for a cursor of another epoch, or one this log never reached', async () => {
    await store.record([event('s1', 'u1')], T0);
    expect(await store.replay({ epoch: 'another', sinceSeq: 1, limit: 10 }, T0)).toEqual({ recovered: false, reason: 'OTHER_EPOCH' });
    expect(await store.replay({ epoch, sinceSeq: 3, limit: 10 }, T0)).toEqual({ recovered: false, reason: 'OTHER_EPOCH' });
  });

  it('says CURSOR_TOO_OLD when the changes after it left the history (by size) or exceed the limit', async () => {
    // 60 sessions, 120 changes: the first 20 are beyond a history of 100.
    for (let i = 0; i < 60; i++) await store.record([event(`s${i}`, `u${i}`)], T0);
    expect(await store.replay({ epoch, sinceSeq: 19, limit: 1000 }, T0)).toEqual({ recovered: false, reason: 'CURSOR_TOO_OLD' });
    expect(recovered(await store.replay({ epoch, sinceSeq: 20, limit: 1000 }, T0))).toHaveLength(100);
    expect(await store.replay({ epoch, sinceSeq: 20, limit: 99 }, T0)).toEqual({ recovered: false, reason: 'CURSOR_TOO_OLD' });
  });

  it('says CURSOR_TOO_OLD when the next change was written longer ago than the max age', async () => {
    await store.record([event('s1', 'u1')], T0);
    await store.record([event('s2', 'u2')], T0 + 30_000);
    expect(recovered(await store.replay({ epoch, sinceSeq: 0, limit: 10 }, T0 + 60_000))).toHaveLength(4);
    expect(await store.replay({ epoch, sinceSeq: 0, limit: 10 }, T0 + 60_001)).toEqual({ recovered: false, reason: 'CURSOR_TOO_OLD' });
    // Measured from the first change wanted: the later write is still young enough.
    expect(recovered(await store.replay({ epoch, sinceSeq: 2, limit: 10 }, T0 + 60_001))).toHaveLength(2);
  });

  it('starts a new epoch when the log starts afresh, so old cursors are from another epoch', async () => {
    await store.record([event('s1', 'u1')], T0);
    if (h.flush) await h.flush();
    else ({ store } = h.make(HISTORY)); // memory: a restarted process
    await store.record([event('s2', 'u2'), event('s3', 'u3')], T0);
    const fresh = await store.snapshot({ first: 1 }, T0, 1);
    expect(fresh.epoch).not.toBe(epoch);
    expect(fresh.cursor).toBe(4);
    expect(await store.replay({ epoch, sinceSeq: 2, limit: 10 }, T0)).toEqual({ recovered: false, reason: 'OTHER_EPOCH' });
    expect(recovered(await store.replay({ epoch: fresh.epoch, sinceSeq: 2, limit: 10 }, T0))).toHaveLength(2);
  });
});
