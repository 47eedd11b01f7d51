import type { ActiveUsersPage, ActivityRecordInput, StatsRecord } from '../domain/activity.js';
import { combinedEpoch } from '../domain/cursor.js';
import { partitionKeys, type PublishCommand } from '../redis/keys.js';
import type { LuaClient } from '../redis/lua.js';
import { partitionOfUser } from '../redis/partitions.js';
import { coalesced } from './coalesce.js';
import { assemblePage, mergePages, planPage } from './merge-pages.js';
import { mergeReplays } from './merge-replay.js';
import { mergeTopPaths, sumStats, topList, type PathList } from './merge-stats.js';
import { decodePageCursor } from './paging.js';
import { createPartitionReads, type PartitionReads } from './partition-reads.js';
import { runParts, splitBatch, type BatchPart } from './partitioned-record.js';
import { createRedisPartition, type RedisPartition } from './redis.js';
import { DEFAULT_HISTORY, type ActiveUsersQuery, type ActivityStore, type HistoryOptions, type RecordResult } from './types.js';

/** Options of {@link createPartitionedRedisStore}. */
export interface PartitionedRedisStoreOptions {
  /** A command connection: one Redis, or a Cluster client. Shared: the store never quits it. */
  readonly redis: LuaClient;
  /** `REDIS_PREFIX`: every key and channel starts with it. */
  readonly prefix: string;
  /** How many partitions (1 to `MAX_PARTITIONS`); every process of a deployment must agree. */
  readonly partitions: number;
  /** `PUBLISH` on one Redis, `SPUBLISH` on a Redis Cluster (each partition's channel on its keys' master). */
  readonly publish: PublishCommand;
  /** Told how many changes each partition's write published (for metrics). @defaultValue ignore */
  readonly onPublished?: (count: number) => void;
  /** How much history each partition keeps for `replay`. @defaultValue 10000 changes, 10 minutes */
  readonly history?: HistoryOptions;
}

/**
 * The Redis store split into partitions, each a one-partition Redis store
 * (./redis.ts) under its own hash tag with its own change log, epoch and
 * channel (`partitionKeys`, `changeChannels(prefix, partitions, publish)`), so that on a Redis Cluster
 * the partitions' writes spread over the masters. Every script runs within
 * one partition. One partition on one Redis is exactly the one Redis store
 * (same keys, same channel, same cursors); on a Cluster its channel carries
 * its tag (see `changeChannels`).
 *
 * With several partitions:
 * - A user's sessions, name and figures live in the user's partition
 *   (`partitionOfUser`); a session id is looked up in its user's partition
 *   only: naming an id that another partition's user holds starts a distinct
 *   session there (a mismatch is found within a partition and within a
 *   batch, not across partitions' stored sessions).
 * - `record`/`recordCount` split the batch by partition (see
 *   ./partitioned-record.ts; order kept within each part) and run the parts
 *   in parallel, each atomic. When a part is refused, the call throws
 *   `PartitionedMismatchError` (a `SessionUserMismatchError`) listing every
 *   refused index of the whole batch; the refusing partitions wrote nothing,
 *   the others recorded and published their parts (said in the error).
 * - `endSession` asks every partition; `expireIdle` spreads its limit over
 *   the partitions with sessions to end; `eraseUser` works in the user's
 *   partition; `trimHistory` in each.
 * - `activeUsers` without a path filter reads in two phases: each partition's
 *   next `first + 1` positions (no user loaded), then, from the partitions
 *   holding the page's users only, those users: O(P × first) positions and
 *   `first` users in all (./merge-pages.ts). With a path filter, each
 *   partition's whole page, merged by position.
 * - `stats` sums the figures and merges top paths exactly, starting from
 *   path lists that come with each partition's figures (./merge-stats.ts,
 *   which states the worst case). Concurrent `stats` calls with the same
 *   limit share one merge, started no earlier than each call (./coalesce.ts);
 *   its `at` is the latest `now` among them.
 * - Each partition's part of a snapshot is atomic with its cursor; the
 *   snapshot's cursor is the vector of them, its epoch `combinedEpoch` of theirs.
 * - `replay` replays each partition after its entry of the position (see
 *   ./merge-replay.ts); replayed changes carry their `partition`. Published
 *   ones do not: a feed knows it from the channel.
 */
export function createPartitionedRedisStore(options: PartitionedRedisStoreOptions): ActivityStore {
  const { redis, prefix, partitions, publish, onPublished = () => {}, history = DEFAULT_HISTORY } = options;
  const keySets = partitionKeys(prefix, partitions, publish);
  const parts = keySets.map((keys) => createRedisPartition({ redis, keys, publish, onPublished, history }));
  if (partitions === 1) return (parts[0] as RedisPartition).store;
  const reads = keySets.map((keys) => createPartitionReads({ redis, keys, history, publish }));
  const stores = parts.map((part) => part.store);
  const storeOf = (userId: string): ActivityStore => stores[partitionOfUser(userId, partitions)] as ActivityStore;
  const sub = (inputs: readonly ActivityRecordInput[], part: BatchPart): ActivityRecordInput[] => part.indexes.map((i) => inputs[i] as ActivityRecordInput);
  const eachStore = <T>(call: (store: ActivityStore) => Promise<T>): Promise<T[]> => Promise.all(stores.map(call));

  const storeAt = (partition: number): ActivityStore => stores[partition] as ActivityStore;
  // Each partition's figures, read with its path list, which the merge deepens where it must.
  const merged = async (read: readonly StatsRecord[], lists: readonly PathList[], now: number, topPathsLimit: number): Promise<StatsRecord> =>
    sumStats(read, await mergeTopPaths(reads, lists, topPathsLimit), now);
  const stats = coalesced(async (topPathsLimit: number, now: number) => {
    const read = await Promise.all(reads.map((part) => part.statsForMerge(now, topPathsLimit)));
    return merged(read.map((r) => r.stats), read.map((r) => r.paths), now, topPathsLimit);
  });

  const page = async (query: ActiveUsersQuery): Promise<ActiveUsersPage> => {
    const userId = query.filter?.userId;
    if (userId) return storeOf(userId).activeUsers(query);
    if (query.filter?.pathPrefix || query.first <= 0) return mergePages(await eachStore((store) => store.activeUsers(query)), query.first);
    return twoPhasePage(reads, stores, query);
  };

  return {
    partitions,
    record: async (inputs, now) =>
      runParts(splitBatch(inputs, partitions), inputs.length, async (part): Promise<RecordResult[]> => storeAt(part.partition).record(sub(inputs, part), now)),
    recordCount: async (inputs, now) => {
      const done = await runParts(splitBatch(inputs, partitions), inputs.length, async (part) => {
        const count = await storeAt(part.partition).recordCount(sub(inputs, part), now);
        return new Array<number>(count).fill(1);
      });
      return done.length;
    },
    endSession: async (sessionId, now) => (await eachStore((store) => store.endSession(sessionId, now))).find((s) => s !== null) ?? null,
    expireIdle: (cutoff, now, limit) => expireSpread(stores, cutoff, now, limit),
    eraseUser: (userId, now) => storeOf(userId).eraseUser(userId, now),
    trimHistory: async (cutoff) => sum(await eachStore((store) => store.trimHistory(cutoff))),
    stats: (now, topPathsLimit) => stats(topPathsLimit, now),
    activeUsers: page,
    snapshot: async (query, now, topPathsLimit) => {
      // Each partition's snapshot is one script: its page, figures and cursor describe one moment of it.
      const snapshots = await eachStore((store) => store.snapshot(query, now, topPathsLimit));
      return {
        cursor: snapshots.map((s) => s.cursor[0] as number),
        epoch: combinedEpoch(snapshots.map((s) => s.epoch)),
        stats: await merged(snapshots.map((s) => s.stats), snapshots.map((s) => topList(s.stats.topPaths, topPathsLimit)), now, topPathsLimit),
        page: mergePages(snapshots.map((s) => s.page), query.first),
      };
    },
    replay: async (query, now) => {
      if (query.since.length !== partitions) return { recovered: false, reason: 'OTHER_EPOCH' };
      const replies = await Promise.all(parts.map((part, i) => part.replayAnyEpoch(query.since[i] as number, query.limit, now)));
      return mergeReplays(replies, query);
    },
    close: async () => {},
  } satisfies ActivityStore;
}

/**
 * A page without a path filter (see {@link planPage}): the partitions'
 * positions first, then the page's users from the partitions holding them.
 * The cursor is decoded first, so a bad one throws before any Redis call.
 */
async function twoPhasePage(reads: readonly PartitionReads[], stores: readonly ActivityStore[], query: ActiveUsersQuery): Promise<ActiveUsersPage> {
  const after = query.after ? decodePageCursor(query.after) : null;
  const plan = planPage(await Promise.all(reads.map((part) => part.pageKeys(query.first + 1, after))), query.first);
  const held = plan.counts.flatMap((count, i) => (count > 0 ? [(stores[i] as ActivityStore).activeUsers({ ...query, first: count })] : []));
  return assemblePage(await Promise.all(held), plan);
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/**
 * `expireIdle` over partitions: the limit is shared out evenly among the
 * partitions still holding idle sessions, in rounds (each round in
 * parallel); a partition that ends fewer than its share has no more and
 * drops out, and the budget it left goes to the others in the next round.
 * So the total is `limit` unless every partition ran out: a sweeper that
 * stops at a short answer has ended every idle session. At most P + 1
 * rounds.
 */
async function expireSpread(stores: readonly ActivityStore[], cutoff: number, now: number, limit: number): Promise<number> {
  let open = [...stores];
  let remaining = limit;
  while (remaining > 0 && open.length > 0) {
    const base = Math.floor(remaining / open.length);
    const extra = remaining % open.length;
    const shares = open.map((_, i) => base + (i < extra ? 1 : 0));
    const ended = await Promise.all(open.map((store, i) => ((shares[i] as number) > 0 ? store.expireIdle(cutoff, now, shares[i] as number) : Promise.resolve(-1))));
    remaining -= sum(ended.map((n) => Math.max(n, 0)));
    // A partition given a share that ended fewer has nothing more; one given none this round stays.
    open = open.filter((_, i) => (ended[i] as number) < 0 || ended[i] === shares[i]);
  }
  return limit - remaining;
}
