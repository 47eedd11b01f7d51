import type { ActiveUsersPage } from '../domain/activity.js';
import { comparePositions, decodePageCursor, encodePageCursor, type PagePosition } from './paging.js';

/**
 * Merging `activeUsers` pages of several partitions into the page one store
 * holding every user would answer. Page cursors are positions
 * (`lastSeen:userId`, see ./paging.ts) that mean the same in every
 * partition, so each partition reads its page after the same cursor, with
 * the same `first`, and the merge keeps the `first` highest: O(P × first).
 */

type Edge = ActiveUsersPage['edges'][number];

const positionOf = (edge: Edge): PagePosition => ({ lastSeen: edge.node.lastSeen, userId: edge.node.id });
const rank = (p: PagePosition): [number, string] => [p.lastSeen, p.userId];
/** Descending, as pages list users. */
const byPosition = (a: Edge, b: Edge): number => comparePositions(rank(positionOf(b)), rank(positionOf(a)));

/**
 * Where the merged page must stop: a partition whose `pathPrefix` scan hit
 * its bound before filling its page (it answers a short page with a next
 * one) has not looked below its `endCursor`, so no user below the highest
 * such cursor may be listed yet, or the next page, read after the merged
 * cursor, would skip that partition's unexamined users.
 */
function scanStop(pages: readonly ActiveUsersPage[], first: number): PagePosition | null {
  let stop: PagePosition | null = null;
  for (const page of pages) {
    if (!page.hasNextPage || page.edges.length >= first || page.endCursor === null) continue;
    const at = decodePageCursor(page.endCursor);
    if (stop === null || comparePositions(rank(at), rank(stop)) > 0) stop = at;
  }
  return stop;
}

/**
 * Merges pages that partitions answered for the same query into one.
 * `hasNextPage` is exact where each partition's is: without a path filter
 * a partition says whether one more user exists; with one, a scan stopped
 * by its bound says there may be more, as the one store does.
 */
export function mergePages(pages: readonly ActiveUsersPage[], first: number): ActiveUsersPage {
  const stop = scanStop(pages, first);
  const merged = pages
    .flatMap((page) => page.edges)
    .filter((edge) => stop === null || comparePositions(rank(positionOf(edge)), rank(stop)) >= 0)
    .sort(byPosition);
  if (merged.length > first) {
    const edges = merged.slice(0, first);
    return { edges, hasNextPage: true, endCursor: edges.at(-1)?.cursor ?? null };
  }
  if (stop !== null) return { edges: merged, hasNextPage: true, endCursor: encodePageCursor(stop) };
  const hasNextPage = merged.length === first && pages.some((page) => page.hasNextPage);
  return { edges: merged, hasNextPage, endCursor: merged.at(-1)?.cursor ?? null };
}

/**
 * The first phase of a page merged in two phases (no path filter): from
 * each partition's next `first + 1` positions after the cursor, which
 * partition holds how many of the page's users, whether a next page exists
 * (exact: a partition short of `first + 1` showed all it has), and the
 * page's lowest position.
 */
export interface PagePlan {
  /** Per partition, how many of its users the page lists (read with `first` set to it). */
  readonly counts: number[];
  readonly hasNextPage: boolean;
  /** The last listed position; null for an empty page. */
  readonly cut: PagePosition | null;
}

/** Plans a page of `first` users from each partition's positions (each descending): O(P × first log). */
export function planPage(keys: readonly (readonly PagePosition[])[], first: number): PagePlan {
  const all = keys.flatMap((positions, partition) => positions.map((position) => ({ position, partition })));
  all.sort((a, b) => comparePositions(rank(b.position), rank(a.position)));
  const winners = all.slice(0, first);
  const counts = keys.map(() => 0);
  for (const { partition } of winners) counts[partition] = (counts[partition] as number) + 1;
  return { counts, hasNextPage: all.length > first, cut: winners.at(-1)?.position ?? null };
}

/**
 * The second phase: the partitions' pages (each its first `counts[i]` users,
 * with their sessions) merged by the plan. Unchanged since the plan, they
 * hold exactly its users. A user that moved meanwhile below the plan's cut is
 * left to the next page, which starts after the cut, so nothing is skipped.
 */
export function assemblePage(pages: readonly ActiveUsersPage[], plan: PagePlan): ActiveUsersPage {
  const { cut, hasNextPage } = plan;
  const edges = pages
    .flatMap((page) => page.edges)
    .filter((edge) => cut === null || comparePositions(rank(positionOf(edge)), rank(cut)) >= 0)
    .sort(byPosition);
  if (hasNextPage && cut !== null) return { edges, hasNextPage, endCursor: encodePageCursor(cut) };
  return { edges, hasNextPage: false, endCursor: edges.at(-1)?.cursor ?? null };
}
