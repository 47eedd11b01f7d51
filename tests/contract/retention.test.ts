import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ActivityChange, ActivityRecordInput } from '../../server/domain/activity.js';
import { createSweeper, type Sweeper } from '../../server/store/sweeper.js';
import type { ActivityStore, HistoryOptions, ReplayResult } from '../../server/store/types.js';
import { countCommands } from '../bench/redis-commands.js';
import { EventQueue } from '../support/event-queue.js';
import { homePosition, homeUser } from '../support/partition-users.js';
import { spawnRedis, type SpawnedRedis } from '../support/redis-server.js';
import { findInEngine, redisEngine, storeEngines, type RedisSide, type StoreEngine } from '../support/store-engines.js';

/**
 * History retention (issue 10, item 2), on every engine: `trimHistory`
 * deletes what was written before its cutoff, replays from before it answer
 * `CURSOR_TOO_OLD`, the sweeper trims one sweep early, and on Redis the
 * stream expires by itself when no process sweeps. The Redis engine runs on
 * a redis-server of this suite's own, so that its commands can be counted
 * (the cluster engine on the suite's cluster). The users are of one
 * partition (partition 0), whose cursors the tests number.
 */

const T0 = 1_700_000_000_123;
/** Write times: what the history's age is measured by. */
const W = T0 + 1_000;
const HISTORY: HistoryOptions = { size: 10_000, maxAgeMs: 60_000 };

const ANN = { userName: 'Ann Aged', ipAddress: '192.0.2.44', userAgent: 'AgedAgent/3.1', path: '/aged/page' };
const ANN_TRACES = Object.values(ANN);
const OTTO = { userName: 'Otto Young', ipAddress: '203.0.113.10', userAgent: 'YoungAgent/1.0', path: '/young' };
const OTTO_TRACES = Object.values(OTTO);

function event(sessionId: string, userId: string, at: number, fields: Partial<ActivityRecordInput> = {}): ActivityRecordInput {
  return { sessionId, userId, userName: null, ipAddress: null, path: null, userAgent: null, at, ...fields };
}

function recovered(result: ReplayResult): readonly ActivityChange[] {
  if (!result.recovered) throw new Error(`expected a recovered replay, got ${result.reason}`);
  return result.changes;
}

const TOO_OLD = { recovered: false, reason: 'CURSOR_TOO_OLD' };

let spawned: SpawnedRedis;
beforeAll(async () => {
  spawned = await spawnRedis();
});
afterAll(() => spawned.dispose());

/** Where `needles` still occur in the engine's Redis (none on memory). */
async function inRedis(e: StoreEngine, needles: readonly string[]): Promise<unknown[]> {
  return findInEngine(e, needles);
}

const ENGINES = storeEngines();

describe.each(ENGINES)('ActivityStore.trimHistory: $engine', ({ make, partitions }) => {
  const at = (seq: number): readonly number[] => homePosition(partitions, seq);
  const user = (base: string): string => homeUser(base, partitions);
  let e: StoreEngine;
  let store: ActivityStore;
  let epoch: string;

  beforeEach(async () => {
    e = await make({ history: HISTORY, redisUrl: spawned.url, label: 'retention' });
    ({ store } = e);
    ({ epoch } = await store.snapshot({ first: 1 }, W, 1));
  });
  afterEach(() => e.close());

  const replay = (sinceSeq: number, now = W): Promise<ReplayResult> => store.replay({ epoch, since: at(sinceSeq), limit: 10_000 }, now);

  it("deletes an ended session's changes: nothing of its name, address, agent or path is left", async () => {
    await store.record([event('ann-1', user('ann'), T0, ANN)], W);
    await store.endSession('ann-1', W + 10);
    expect(JSON.stringify(recovered(await replay(0)))).toContain(ANN.ipAddress);
    if (e.redis) expect(await inRedis(e, ANN_TRACES)).not.toEqual([]);
    expect(await store.trimHistory(W + 11)).toBe(4);
    expect(await inRedis(e, ANN_TRACES)).toEqual([]);
    // No replay hands anything of Ann back: from before the trim it is too old, after it there is nothing.
    for (const sinceSeq of [0, 1, 2, 3]) expect(await replay(sinceSeq, W + 11)).toEqual(TOO_OLD);
    expect(await replay(4, W + 11)).toEqual({ recovered: true, changes: [], cursor: at(4) });
    const page = await store.activeUsers({ first: 10 });
    expect(page.edges).toEqual([]);
  });

  it('answers CURSOR_TOO_OLD from before a trimmed range, and recovers after it', async () => {
    await store.record([event('ann-1', user('ann'), T0, ANN)], W); // 1, 2
    await store.record([event('otto-1', user('otto'), T0 + 1, OTTO)], W + 100); // 3, 4
    expect(await store.trimHistory(W + 50)).toBe(2);
    expect(await replay(0)).toEqual(TOO_OLD);
    expect(await e.peer.replay({ epoch, since: at(1), limit: 100 }, W)).toEqual(TOO_OLD);
    expect(recovered(await replay(2)).map((c) => c.cursor)).toEqual([3, 4]);
    expect(recovered(await replay(3)).map((c) => c.cursor)).toEqual([4]);
    expect(await store.trimHistory(W + 50)).toBe(0);
  });

  it('deletes nothing and answers 0 when nothing was written before the cutoff', async () => {
    expect(await store.trimHistory(W)).toBe(0);
    await store.record([event('ann-1', user('ann'), T0, ANN)], W);
    // Strictly before: a change written at the cutoff stays.
    expect(await store.trimHistory(W)).toBe(0);
    expect(recovered(await replay(0))).toHaveLength(2);
  });

  it('trims more entries than one Redis call looks at', async () => {
    const many = Array.from({ length: 2_500 }, (_, i) => event(`s${i}`, user(`u${i}`), T0));
    await store.record(many, W); // 1 to 5000
    await store.record([event('otto-1', user('otto'), T0, OTTO)], W + 100); // 5001, 5002
    expect(await store.trimHistory(W + 1)).toBe(5_000);
    expect(await replay(4_999)).toEqual(TOO_OLD);
    expect(recovered(await replay(5_000)).map((c) => c.cursor)).toEqual([5_001, 5_002]);
  });

  it('keeps an erased gap above the floor: a cursor before it, right after a trimmed range, still recovers', async () => {
    await store.record([event('ann-1', user('ann'), T0, ANN)], W); // 1, 2: trimmed
    await store.record([event('erin-1', user('erin'), T0)], W + 100); // 3, 4: erased
    await store.record([event('otto-1', user('otto'), T0, OTTO)], W + 100); // 5, 6
    await store.eraseUser(user('erin'), W + 100); // 7, 8
    expect(await store.trimHistory(W + 50)).toBe(2);
    expect(await replay(1)).toEqual(TOO_OLD);
    expect(recovered(await replay(2)).map((c) => c.cursor)).toEqual([5, 6, 7, 8]);
  });
});

describe('the Redis history when no process sweeps it', () => {
  let e: StoreEngine;
  let redis: RedisSide;
  let epoch: string;
  // One partition: the keys are `redisKeys`', the position one cursor.
  const at = (seq: number): readonly number[] => [seq];
  const user = (base: string): string => base;

  beforeEach(async () => {
    e = await redisEngine({ history: HISTORY, redisUrl: spawned.url, label: 'retention-backstop' });
    if (!e.redis) throw new Error('the Redis engine has a Redis side');
    redis = e.redis;
    ({ epoch } = await e.store.snapshot({ first: 1 }, W, 1));
  });
  afterEach(() => e.close());

  it('expires the stream HISTORY_MAX_AGE_MS after the last write', async () => {
    await e.store.record([event('ann-1', user('ann'), T0, ANN)], W);
    const ttl = await redis.client.pttl(redis.keys.history);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(HISTORY.maxAgeMs);
  });

  it('answers CURSOR_TOO_OLD from before a stream that vanished, before and after the next write', async () => {
    await e.store.record([event('ann-1', user('ann'), T0, ANN)], W); // 1, 2
    await redis.client.del(redis.keys.history); // as its expiry would
    expect(await e.store.replay({ epoch, since: at(0), limit: 100 }, W)).toEqual(TOO_OLD);
    expect(recovered(await e.store.replay({ epoch, since: at(2), limit: 100 }, W))).toEqual([]);
    await e.store.record([event('otto-1', user('otto'), T0, OTTO)], W + 1); // 3, 4
    expect(await e.store.replay({ epoch, since: at(0), limit: 100 }, W + 1)).toEqual(TOO_OLD);
    expect(await e.peer.replay({ epoch, since: at(1), limit: 100 }, W + 1)).toEqual(TOO_OLD);
    expect(recovered(await e.store.replay({ epoch, since: at(2), limit: 100 }, W + 1)).map((c) => c.cursor)).toEqual([3, 4]);
    expect(await redis.client.get(redis.keys.historyFloor)).toBe('2');
  });

  it('costs one XRANGE, in one script call, when there is nothing to trim', async () => {
    await e.store.record([event('ann-1', user('ann'), T0, ANN)], W);
    await e.store.trimHistory(W); // loads the script, so that the count below has no EVAL
    const { value, byCommand } = await countCommands(redis.nodes, () => e.store.trimHistory(W));
    expect(value).toBe(0);
    expect(byCommand).toEqual({ evalsha: 1, xrange: 1 });
  });
});

describe.each(ENGINES)('the sweeper trims the history: $engine', ({ make, partitions }) => {
  const at = (seq: number): readonly number[] => homePosition(partitions, seq);
  const user = (base: string): string => homeUser(base, partitions);
  const MAX_AGE_MS = HISTORY.maxAgeMs;
  const INTERVAL_MS = 10_000;
  let e: StoreEngine;
  let epoch: string;
  let sweeper: Sweeper;
  let now: number;
  let errors: EventQueue<unknown>;

  /** A sweeper on a clock the test sets; its own timer never fires within a test (`INTERVAL_MS` of real time). */
  function sweeperFor(store: ActivityStore, idleTimeoutMs = 3_600_000): Sweeper {
    return createSweeper({ store, clock: { now: () => now }, idleTimeoutMs, historyMaxAgeMs: MAX_AGE_MS, intervalMs: INTERVAL_MS, onError: errors.push });
  }

  beforeEach(async () => {
    e = await make({ history: HISTORY, redisUrl: spawned.url, label: 'retention-sweeper' });
    ({ epoch } = await e.store.snapshot({ first: 1 }, W, 1));
    errors = new EventQueue<unknown>();
    sweeper = sweeperFor(e.store);
  });
  afterEach(async () => {
    sweeper.stop();
    await e.close();
  });

  const replay = (sinceSeq: number): Promise<ReplayResult> => e.store.replay({ epoch, since: at(sinceSeq), limit: 100 }, now);

  it('trims with each sweep what will be over age by the next one', async () => {
    await e.store.record([event('ann-1', user('ann'), T0, ANN)], W); // 1, 2
    await e.store.endSession('ann-1', W + 1); // 3, 4
    await e.store.record([event('otto-1', user('otto'), T0, OTTO)], W + 15_000); // 5, 6
    // The sweep at W + 50 s trims what is written before W, which is over age at the next sweep: nothing.
    now = W + MAX_AGE_MS - INTERVAL_MS;
    await sweeper.sweep();
    expect(recovered(await replay(0))).toHaveLength(6);
    // One millisecond later, the changes written at W would pass the age before the next sweep.
    now += 1;
    await sweeper.sweep();
    expect(await replay(0)).toEqual(TOO_OLD);
    expect(recovered(await replay(2)).map((c) => c.cursor)).toEqual([3, 4, 5, 6]);
    now = W + 1 + MAX_AGE_MS - INTERVAL_MS + 1;
    await sweeper.sweep();
    expect(recovered(await replay(4)).map((c) => c.cursor)).toEqual([5, 6]);
    expect(await inRedis(e, ANN_TRACES)).toEqual([]);
    if (e.redis) expect(await inRedis(e, OTTO_TRACES)).not.toEqual([]);
    expect(errors.seen).toEqual([]);
  });

  it('still ends idle sessions when trimming fails, and reports the failure', async () => {
    const failure = new Error('trimming failed');
    const failingTrim: ActivityStore = { ...e.store, trimHistory: () => Promise.reject(failure) };
    sweeper.stop();
    sweeper = sweeperFor(failingTrim, 1_000);
    await e.store.record([event('ann-1', user('ann'), T0, ANN)], W);
    now = T0 + 1_001;
    expect(await sweeper.sweep()).toBe(1);
    expect(errors.seen).toEqual([failure]);
  });
});
