import type { PathCount, StatsRecord } from '../domain/activity.js';
import { compareMembers } from './paging.js';

/**
 * Merging `stats` of several partitions: counts are summed, and `topPaths`
 * merged exactly. A path's sessions spread over partitions (users, not
 * paths, choose the partition), so a path outside every partition's top k
 * can still be in the global top k. The merge is a threshold merge: take
 * each partition's top `depth`, get the exact total of every path seen
 * (its count in every partition), and stop once the k-th best total beats
 * anything not seen yet: a path no partition listed has, in each partition,
 * at most that partition's last listed count. Otherwise it deepens
 * (doubling `depth`), bounded by the paths that exist.
 */

/** Where the merge reads one partition's paths from. */
export interface PathSource {
  /** The `limit` busiest paths, ties by path ascending. */
  topPaths(limit: number): Promise<PathCount[]>;
  /** The session count on each of `paths`, in order. */
  pathScores(paths: readonly string[]): Promise<number[]>;
}

/** Sums figures of the partitions; `topPaths` are merged by {@link mergeTopPaths} and given here. */
export function sumStats(stats: readonly StatsRecord[], topPaths: PathCount[], now: number): StatsRecord {
  const sum = (pick: (s: StatsRecord) => number): number => stats.reduce((total, s) => total + pick(s), 0);
  const minutes = stats[0]?.eventsPerMinute.length ?? 0;
  return {
    activeUsers: sum((s) => s.activeUsers),
    activeSessions: sum((s) => s.activeSessions),
    eventsLastMinute: sum((s) => s.eventsLastMinute),
    eventsPerMinute: Array.from({ length: minutes }, (_, i) => sum((s) => s.eventsPerMinute[i] ?? 0)),
    topPaths,
    at: now,
  };
}

/** Busiest first, ties by path ascending in Redis's member order: as one store lists them. */
const byTotal = (a: PathCount, b: PathCount): number => b.sessions - a.sessions || compareMembers(a.path, b.path);

/**
 * Whether the `limit`-th best of `ranked` beats every path the lists did
 * not show. Such a path has at most each unfinished list's last count (a
 * finished list, shorter than `depth`, showed all of its partition); when it
 * ties the bound it has exactly those counts, so it sorts after each of
 * those lists' last path (they are ordered by path within a count).
 */
function settled(ranked: readonly PathCount[], lists: readonly PathCount[][], depth: number, limit: number): boolean {
  const open = lists.filter((list) => list.length >= depth).map((list) => list.at(-1) as PathCount);
  if (open.length === 0) return true;
  const kth = ranked[limit - 1];
  if (kth === undefined) return false;
  const bound = open.reduce((total, last) => total + last.sessions, 0);
  if (kth.sessions !== bound) return kth.sessions > bound;
  const frontier = open.map((last) => last.path).reduce((a, b) => (compareMembers(a, b) >= 0 ? a : b));
  return compareMembers(kth.path, frontier) <= 0;
}

/**
 * The exact global top `limit` paths.
 * @param first - each partition's top `limit` as already read (by its `stats`), in partition order
 */
export async function mergeTopPaths(sources: readonly PathSource[], first: readonly (readonly PathCount[])[], limit: number): Promise<PathCount[]> {
  if (limit <= 0) return [];
  if (sources.length === 1) return [...(first[0] ?? [])];
  const totals = new Map<string, number>();
  let lists: PathCount[][] = first.map((list) => [...list]);
  for (let depth = limit; ; depth *= 2) {
    await scoreNew(sources, lists, totals);
    const ranked = [...totals].map(([path, sessions]) => ({ path, sessions })).filter((p) => p.sessions > 0).sort(byTotal);
    if (settled(ranked, lists, depth, limit)) return ranked.slice(0, limit);
    const deeper = depth * 2;
    lists = await Promise.all(sources.map((source, i) => ((lists[i]?.length ?? 0) < depth ? (lists[i] as PathCount[]) : source.topPaths(deeper))));
  }
}

/** Adds the exact total over every partition of each listed path not yet totalled. */
async function scoreNew(sources: readonly PathSource[], lists: readonly PathCount[][], totals: Map<string, number>): Promise<void> {
  const fresh = [...new Set(lists.flat().map((p) => p.path))].filter((path) => !totals.has(path));
  if (fresh.length === 0) return;
  const counts = await Promise.all(sources.map((source) => source.pathScores(fresh)));
  fresh.forEach((path, i) => totals.set(path, counts.reduce((total, partition) => total + (partition[i] ?? 0), 0)));
}
