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
