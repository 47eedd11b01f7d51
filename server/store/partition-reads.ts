import type { StatsRecord } from '../domain/activity.js';
import type { PublishCommand, StoreKeys } from '../redis/keys.js';
import type { LuaClient } from '../redis/lua.js';
import { firstDepth, WHOLE_PATH_SET, type PathList, type PathSource } from './merge-stats.js';
import type { PagePosition } from './paging.js';
import { bindStoreScripts } from './redis-scripts.js';
import { parsePageKeysReply, parsePathListReply, parsePathScoresReply, parseStatsForMergeReply } from './redis-replies.js';
import type { HistoryOptions } from './types.js';

/**
 * The reads a merge across partitions makes of one partition, beyond its
 * store's: cheap first rounds (figures with a path list, positions without
 * users) and the deeper rounds of the topPaths merge (./merge-stats.ts).
 */
export interface PartitionReads extends PathSource {
  /** The figures (topPaths empty) and the path list a merge for the top `limit` starts from, in one script. */
  statsForMerge(now: number, limit: number): Promise<{ readonly stats: StatsRecord; readonly paths: PathList }>;
  /** The positions of the next `count` active users strictly after `after`, by (lastSeen, userId) descending. */
  pageKeys(count: number, after: PagePosition | null): Promise<PagePosition[]>;
}

/** Options of {@link createPartitionReads}: one partition's, as its store has them. */
export interface PartitionReadsOptions {
  readonly redis: LuaClient;
  readonly keys: StoreKeys;
  readonly history: HistoryOptions;
  readonly publish: PublishCommand;
}

/** Binds {@link PartitionReads} to one partition's keys (the scripts are shared with its store: loaded once per process). */
export function createPartitionReads({ redis, keys, history, publish }: PartitionReadsOptions): PartitionReads {
  const scripts = bindStoreScripts(redis, keys, history, publish);
  return {
    statsForMerge: async (now, limit) => parseStatsForMergeReply(await scripts.statsForMerge(now, firstDepth(limit), WHOLE_PATH_SET)),
    pathList: async (depth) => parsePathListReply(await scripts.pathList(depth, WHOLE_PATH_SET)),
    pathScores: async (paths) => (paths.length === 0 ? [] : parsePathScoresReply(await scripts.pathScores(paths), paths.length)),
    pageKeys: async (count, after) => parsePageKeysReply(await scripts.pageKeys(count, after)),
  };
}
