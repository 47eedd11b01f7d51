import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ActivityChange, ActivityRecordInput } from '../../server/domain/activity.js';
import { partitionKeys } from '../../server/redis/keys.js';
import { PartitionedMismatchError } from '../../server/store/partitioned-record.js';
import type { ReplayResult } from '../../server/store/types.js';
import { userIn } from '../support/partition-users.js';
import { nextPublished, storeEngines, type StoreEngine } from '../support/store-engines.js';

/**
 * Writes and replays across partitions (issue 12, items 2 and 4), on
 * several partitions of one Redis and of a real Redis Cluster: a batch split
 * by partition and its refusals, expiry spread over partitions, and a
 * replay from a position (a cursor per partition) with no gap, no repeat,
 * and the "not recovered" rule when any one partition cannot serve it.
 */

const T0 = 1_700_000_000_123;
const NOW = T0 + 10_000;
const HISTORY = { size: 20, maxAgeMs: 600_000 };

function event(sessionId: string, userId: string, at: number, path: string | null = '/p'): ActivityRecordInput {
  return { sessionId, userId, userName: null, ipAddress: null, path, userAgent: null, at };
}

function recovered(result: ReplayResult): readonly ActivityChange[] {
  if (!result.recovered) throw new Error(`expected a recovered replay, got ${result.reason}`);
  return result.changes;
}

const partitioned = storeEngines().filter((engine) => engine.partitions > 1);

describe.each(partitioned)('writes and replays across partitions: $engine', ({ make, partitions }) => {
  let e: StoreEngine;
  /** A user of `partition`, named after `base`. */
  const user = (partition: number, base: string): string => userIn(partition, base, partitions);

  beforeEach(async () => {
    e = await make({ label: 'partitioned-writes', history: HISTORY });
  });
  afterEach(() => e.close());

  /** One event per partition, each a new session of a user of that partition. */
  const onePerPartition = (round: number): ActivityRecordInput[] =>
    Array.from({ length: partitions }, (_, p) => event(`s-${p}-${round}`, user(p, `u-${p}`), T0 + round));

  it('replays every change after a position, each once, tagged with its partition, in cursor order within each', async () => {
    await e.store.record(onePerPartition(0), NOW);
    const start = await e.store.snapshot({ first: 1 }, NOW, 1);
    await nextPublished(e, 2 * partitions);
    for (let round = 1; round <= 3; round++) await e.store.record(onePerPartition(round), NOW + round);
    await e.peer.endSession('s-1-2', NOW + 9);
    const published = (await nextPublished(e, 3 * partitions + 1)).map((p) => p.change);
    const result = await e.peer.replay({ epoch: start.epoch, since: start.cursor, limit: 100 }, NOW + 9);
    const replayed = recovered(result);
    const key = (c: ActivityChange): string => `${c.partition}:${c.cursor}`;
    expect(replayed.map(key).sort()).toEqual(published.map(key).sort());
    expect(new Set(replayed.map(key)).size).toBe(replayed.length);
    for (let p = 0; p < partitions; p++) {
      const cursors = replayed.filter((c) => c.partition === p).map((c) => c.cursor);
      expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
    }
    expect(result.recovered && result.cursor).toEqual((await e.store.snapshot({ first: 1 }, NOW, 1)).cursor);
    expect(recovered(await e.store.replay({ epoch: start.epoch, since: result.recovered ? result.cursor : [], limit: 1 }, NOW + 9))).toEqual([]);
  });

  it('answers OTHER_EPOCH for a position of another length, or once one partition started afresh', async () => {
    await e.store.record(onePerPartition(0), NOW);
    const { epoch, cursor } = await e.store.snapshot({ first: 1 }, NOW, 1);
    expect(await e.store.replay({ epoch, since: cursor.slice(1), limit: 100 }, NOW)).toEqual({ recovered: false, reason: 'OTHER_EPOCH' });
    expect(await e.store.replay({ epoch, since: [...cursor, 0], limit: 100 }, NOW)).toEqual({ recovered: false, reason: 'OTHER_EPOCH' });
    // A cursor this log never reached, in one partition.
    expect(await e.store.replay({ epoch, since: cursor.map((c, i) => (i === 1 ? c + 5 : c)), limit: 100 }, NOW)).toEqual({ recovered: false, reason: 'OTHER_EPOCH' });
    // Partition 1 loses its counter and epoch, as a master restarted empty would.
    const keys = partitionKeys(e.redis?.prefix ?? '', partitions)[1];
    if (!keys || !e.redis) throw new Error('a Redis engine has its keys');
    await e.redis.client.del(keys.seq, keys.epoch, keys.history, keys.historyFloor);
    await e.store.record(onePerPartition(1), NOW);
    expect(await e.store.replay({ epoch, since: cursor, limit: 100 }, NOW)).toEqual({ recovered: false, reason: 'OTHER_EPOCH' });
    const fresh = await e.store.snapshot({ first: 1 }, NOW, 1);
    expect(fresh.epoch).not.toBe(epoch);
    expect(fresh.cursor[1]).toBe(1);
    expect(recovered(await e.store.replay({ epoch: fresh.epoch, since: fresh.cursor, limit: 100 }, NOW))).toEqual([]);
  });

  it('answers CURSOR_TOO_OLD when one partition no longer holds what was missed, or all together missed more than the limit', async () => {
    const { epoch, cursor } = await e.store.snapshot({ first: 1 }, NOW, 1);
    await e.store.record(onePerPartition(0), NOW);
    // 2 × partitions changes missed, 2 in each: over a limit of 3, though no partition alone is.
    expect(await e.store.replay({ epoch, since: cursor, limit: 3 }, NOW)).toEqual({ recovered: false, reason: 'CURSOR_TOO_OLD' });
    expect(recovered(await e.store.replay({ epoch, since: cursor, limit: 2 * partitions }, NOW))).toHaveLength(2 * partitions);
    // Partition 2 alone writes past its history of 20.
    const many = Array.from({ length: 11 }, (_, i) => event(`busy-${i}`, user(2, `busy-${i}`), T0 + i));
    await e.store.record(many, NOW);
    expect(await e.store.replay({ epoch, since: cursor, limit: 1_000 }, NOW)).toEqual({ recovered: false, reason: 'CURSOR_TOO_OLD' });
  });

  it('records the other partitions’ parts of a refused batch, and names every refused event of the whole batch', async () => {
    const [a, b, c] = [user(0, 'a'), user(1, 'b'), user(2, 'c')];
    await e.store.record([event('sa', a, T0), event('sb', b, T0)], NOW);
    await nextPublished(e, 4);
    // Index 1 names a's session for another user of a's partition; index 3 names sb twice for two users (b's
    // partition decides); index 0 and 4 are fine elsewhere.
    const a2 = user(0, 'a2');
    const batch = [event('sc', c, T0 + 1), event('sa', a2, T0 + 1), event('sb', b, T0 + 1), event('sb', c, T0 + 2), event('sc2', c, T0 + 3)];
    const error: unknown = await e.store.record(batch, NOW).then(
      () => null,
      (refusal: unknown) => refusal,
    );
    expect(error).toBeInstanceOf(PartitionedMismatchError);
    const refusal = error as PartitionedMismatchError;
    expect(refusal.indexes).toEqual([1, 3]);
    // Partitions 0 and 1 refused their parts, whole; partition 2 recorded its own (sc, sc2), and published it.
    expect(refusal.recorded).toBe(2);
    expect(refusal.message).toContain('2 events of the batch in other partitions were recorded');
    expect((await e.store.stats(NOW, 10)).activeSessions).toBe(4);
    expect((await nextPublished(e, 3)).map((p) => [p.change.type, p.change.partition])).toEqual([
      ['SessionStarted', 2],
      ['UserJoined', 2],
      ['SessionStarted', 2],
    ]);
    expect((await e.store.activeUsers({ first: 10, filter: { userId: a } })).edges[0]?.node.sessions.map((s) => s.eventCount)).toEqual([1]);
  });

  it('ends a session in whichever partition holds it, and spreads an expiry limit over the partitions', async () => {
    const inputs = Array.from({ length: 5 * partitions }, (_, i) => event(`idle-${i}`, user(i % partitions, `idle-${i}`), T0 + i));
    await e.store.record(inputs, NOW);
    expect(await e.store.endSession('idle-1', NOW)).toMatchObject({ id: 'idle-1', userId: user(1, 'idle-1') });
    expect(await e.peer.endSession('idle-1', NOW)).toBeNull();
    // Each call ends its whole limit while any partition has idle sessions left: a short answer means none is left.
    const counts: number[] = [];
    for (let ended = 4; ended === 4; ) counts.push((ended = await e.store.expireIdle(T0 + 1_000, NOW, 4)));
    expect(counts.reduce((sum, n) => sum + n, 0)).toBe(5 * partitions - 1);
    expect(counts.slice(0, -1).every((n) => n === 4)).toBe(true);
    expect((await e.store.stats(NOW, 1)).activeSessions).toBe(0);
  });

  it('erases a user in their partition alone', async () => {
    const [erin, otto] = [user(1, 'erin'), user(0, 'otto')];
    await e.store.record([event('erin-1', erin, T0, '/erin'), event('otto-1', otto, T0, '/otto')], NOW);
    expect(await e.store.eraseUser(erin, NOW)).toEqual({ userId: erin, endedSessions: ['erin-1'], historyEntriesRemoved: 2 });
    expect((await e.store.stats(NOW, 5)).topPaths).toEqual([{ path: '/otto', sessions: 1 }]);
  });
});
