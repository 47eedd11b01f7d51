import type { PathCount, StatsRecord } from '../domain/activity.js';
import { compareMembers } from './paging.js';

/**
 * Merging `stats` of several partitions: counts are summed, and `topPaths`
 * merged exactly. A path's sessions spread over partitions (users, not
 * paths, choose the partition), so a path outside every partition's top k
 * can still be in the global top k.
 *
 * Each partition answers a {@link PathList}: its whole path set when it
 * holds at most {@link WHOLE_PATH_SET} paths (then a path it does not list
 * has 0 there, and nothing is left to bound), else its busiest paths, the
 * last one bounding every path it did not list. A round then
 * - bounds each path seen: from below by its listed counts, from above by
 *   adding each open list's last count where it is missing;
 * - asks for the exact counts of the paths that may still reach the k-th
 *   best lower bound only (one call per open partition, naming only the paths
 *   it did not list): the rest are below the k-th exact total;
 * - stops once the k-th best exact total also beats any path no list showed
 *   (at most the sum of the open lists' last counts), else reads each open
 *   partition {@link DEEPEN} times deeper.
 *
 * Cost, worst case included: each partition's list is read in at most
 * 1 + ⌈log₄(n / firstDepth(k))⌉ calls for its n paths (one, with its figures,
 * when n ≤ WHOLE_PATH_SET), fewer than 2.5 × n entries in all (the depths grow
 * geometrically and the last read stops at n), and each round adds at most
 * one exact-count call per open partition, each path named there at most once
 * over the whole merge. So at most O(log n) rounds and O(P × N) entries for N
 * distinct paths, never a scan of sessions. The worst case is paths of equal
 * totals whose partitions' lists do not overlap (each path in one partition):
 * then no bound settles before every list ends. An even spread of paths over
 * partitions (the common case: users choose the partition) settles in the
 * first round when the partitions hold at most WHOLE_PATH_SET paths each.
 */

/** A partition holding at most this many paths is read whole in one call, however the counts spread. */
export const WHOLE_PATH_SET = 1024;
/** How much deeper each round reads an open partition. */
export const DEEPEN = 4;

/** The depth a merge for the top `limit` first reads each partition to (when not whole). */
export function firstDepth(limit: number): number {
  return Math.max(4 * limit, 128);
}

/** One partition's paths as a merge has read them. */
export interface PathList {
  /** Whether `paths` is the partition's whole set (in any order); else its busiest, in topPaths order. */
  readonly complete: boolean;
  readonly paths: readonly PathCount[];
}

/** Where the merge reads one partition's paths from. */
export interface PathSource {
  /** The partition's whole set when it holds at most {@link WHOLE_PATH_SET} paths (or `depth` reach them all), else its `depth` busiest. */
  pathList(depth: number): Promise<PathList>;
  /** The session count on each of `paths`, in order (0 for none). */
  pathScores(paths: readonly string[]): Promise<number[]>;
}

/** Sums figures of the partitions; `topPaths` are merged by {@link mergeTopPaths} and given here. */
export function sumStats(stats: readonly StatsRecord[], topPaths: PathCount[], now: number): StatsRecord {
  const sum = (pick: (s: StatsRecord) => number): number => stats.reduce((total, s) => total + pick(s), 0);
  // Bucket by bucket: every partition counts the same window.
  const sumEach = (pick: (s: StatsRecord) => readonly number[]): number[] =>
    Array.from({ length: stats[0] ? pick(stats[0]).length : 0 }, (_, i) => sum((s) => pick(s)[i] ?? 0));
  return {
    activeUsers: sum((s) => s.activeUsers),
    activeSessions: sum((s) => s.activeSessions),
    eventsLastMinute: sum((s) => s.eventsLastMinute),
    eventsPerSecond: sumEach((s) => s.eventsPerSecond),
    eventsPerMinute: sumEach((s) => s.eventsPerMinute),
    topPaths,
    at: now,
  };
}

/** A list that `stats` or a snapshot read as the top `limit`: whole when shorter than asked. */
export function topList(paths: readonly PathCount[], limit: number): PathList {
  return { complete: paths.length < limit, paths };
}

/** Busiest first, ties by path ascending in Redis's member order: as one store lists them. */
const byTotal = (a: PathCount, b: PathCount): number => b.sessions - a.sessions || compareMembers(a.path, b.path);

/** What one round knows of a path seen: its listed counts' sum, and the open partitions that did not list it. */
interface Seen {
  known: number;
  missing: number[];
}

/** Every path listed, with its listed sum and where it is missing (open lists only: a whole list's absence is a 0). */
function seenPaths(lists: readonly PathList[]): Map<string, Seen> {
  const seen = new Map<string, Seen>();
  const listed = lists.map((list) => new Set(list.paths.map((p) => p.path)));
  for (const list of lists) {
    for (const { path, sessions } of list.paths) {
      const entry = seen.get(path);
      if (entry) entry.known += sessions;
      else seen.set(path, { known: sessions, missing: [] });
    }
  }
  for (const [path, entry] of seen) {
    lists.forEach((list, i) => {
      if (!list.complete && !listed[i]?.has(path)) entry.missing.push(i);
    });
  }
  return seen;
}

const lastCount = (list: PathList): number => (list.complete ? 0 : (list.paths.at(-1)?.sessions ?? 0));

/**
 * Whether the `limit`-th best of `ranked` (exact totals) beats every path no
 * list showed. Such a path has at most each open list's last count (0 in a
 * whole list); when it ties that bound it has exactly those counts, so it
 * sorts after each open list's last path (they are ordered by path within a count).
 */
function settled(ranked: readonly PathCount[], lists: readonly PathList[], limit: number): boolean {
  const open = lists.filter((list) => !list.complete).map((list) => list.paths.at(-1) as PathCount);
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
 * @param first - each partition's list as already read (by its `stats` or snapshot), in partition order
 */
export async function mergeTopPaths(sources: readonly PathSource[], first: readonly PathList[], limit: number): Promise<PathCount[]> {
  if (limit <= 0) return [];
  if (first.every((list) => list.complete)) return topOf(wholeTotals(first), limit);
  const exact = new Map<string, number>();
  let lists = [...first];
  for (;;) {
    const ranked = await exactRound(sources, lists, exact, limit);
    if (settled(ranked, lists, limit)) return ranked;
    lists = await Promise.all(sources.map((source, i) => deeper(source, lists[i] as PathList, limit)));
  }
}

/** Every path's total when every list is whole: its counts summed, one pass, no bounds to keep. */
function wholeTotals(lists: readonly PathList[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const list of lists) for (const { path, sessions } of list.paths) totals.set(path, (totals.get(path) ?? 0) + sessions);
  return totals;
}

/**
 * The best `limit` of `totals` in topPaths order, kept in a sorted array of
 * at most `limit`: most paths cost one comparison with its last (ties are
 * common, many paths of a few sessions, so a full sort by name would dominate).
 */
function topOf(totals: Iterable<readonly [string, number]>, limit: number): PathCount[] {
  const top: PathCount[] = [];
  for (const [path, sessions] of totals) {
    const entry = { path, sessions };
    if (sessions <= 0 || (top.length >= limit && byTotal(entry, top[top.length - 1] as PathCount) >= 0)) continue;
    let lo = 0;
    let hi = top.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (byTotal(top[mid] as PathCount, entry) < 0) lo = mid + 1;
      else hi = mid;
    }
    top.splice(lo, 0, entry);
    if (top.length > limit) top.pop();
  }
  return top;
}

/** An open list read {@link DEEPEN} times deeper (at least to where `stats` starts: a snapshot's lists are only its top k). */
function deeper(source: PathSource, list: PathList, limit: number): Promise<PathList> | PathList {
  return list.complete ? list : source.pathList(Math.max(list.paths.length * DEEPEN, firstDepth(limit)));
}

/**
 * One round: the best `limit` exact totals among the paths seen. First the
 * paths whose upper bound reaches the `limit`-th best lower bound are scored
 * in the open partitions that did not list them; the others cannot reach the
 * top `limit`. `exact` keeps what earlier rounds scored.
 */
async function exactRound(sources: readonly PathSource[], lists: readonly PathList[], exact: Map<string, number>, limit: number): Promise<PathCount[]> {
  const seen = seenPaths(lists);
  const lasts = lists.map(lastCount);
  const lower = (path: string, entry: Seen): number => exact.get(path) ?? entry.known;
  const floor = [...seen].map(([path, entry]) => lower(path, entry)).sort((a, b) => b - a)[limit - 1] ?? 0;
  const asks: string[][] = lists.map(() => []);
  const pending: [string, Seen][] = [];
  for (const [path, entry] of seen) {
    if (exact.has(path) || entry.missing.length === 0) continue;
    const upper = entry.missing.reduce((total, i) => total + (lasts[i] as number), entry.known);
    if (upper < floor) continue;
    pending.push([path, entry]);
    for (const i of entry.missing) asks[i]?.push(path);
  }
  await scoreMissing(sources, asks, pending, exact);
  const totals: [string, number][] = [];
  for (const [path, entry] of seen) {
    const total = exact.get(path) ?? (entry.missing.length === 0 ? entry.known : undefined);
    if (total !== undefined) totals.push([path, total]);
  }
  return topOf(totals, limit);
}

/** Asks each partition for its counts of the paths it did not list (one call each), and records the pending paths' exact totals. */
async function scoreMissing(sources: readonly PathSource[], asks: readonly string[][], pending: readonly [string, Seen][], exact: Map<string, number>): Promise<void> {
  if (pending.length === 0) return;
  const replies = await Promise.all(sources.map((source, i) => ((asks[i]?.length ?? 0) > 0 ? source.pathScores(asks[i] as string[]) : Promise.resolve([]))));
  const extra = new Map<string, number>();
  asks.forEach((paths, i) => paths.forEach((path, j) => extra.set(path, (extra.get(path) ?? 0) + (replies[i]?.[j] ?? 0))));
  for (const [path, entry] of pending) exact.set(path, entry.known + (extra.get(path) ?? 0));
}
