import { InvalidCursorError } from '../core/errors.js';

/**
 * What both stores share about paging `activeUsers`, so that the memory and
 * the Redis store hand out the same cursors and order users the same way.
 *
 * Users are listed by `(lastSeen, userId)` descending. A cursor names one such
 * position; a page after it starts strictly below it, whether or not that
 * user is still there or has moved since.
 */

/** A position in the users-by-last-seen order. */
export interface PagePosition {
  readonly lastSeen: number;
  readonly userId: string;
}

/** Encodes a position as the opaque cursor clients see: base64url of `${lastSeen}:${userId}`. */
export function encodePageCursor({ lastSeen, userId }: PagePosition): string {
  return Buffer.from(`${lastSeen}:${userId}`, 'utf8').toString('base64url');
}

/**
 * Decodes a cursor made by {@link encodePageCursor}.
 * @throws InvalidCursorError for anything else (re-encoding must give the same string,
 * which rejects padding, stray characters and non-canonical numbers)
 */
export function decodePageCursor(cursor: string): PagePosition {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(0|[1-9]\d{0,15}):(.+)$/s.exec(text);
  const lastSeen = Number(match?.[1]);
  const userId = match?.[2];
  if (userId === undefined || !Number.isSafeInteger(lastSeen)) throw new InvalidCursorError(cursor);
  const position = { lastSeen, userId };
  if (encodePageCursor(position) !== cursor) throw new InvalidCursorError(cursor);
  return position;
}

/**
 * How many users one filtered page call may examine: a `pathPrefix` that
 * matches few users must not turn one request into a scan of everyone.
 * When the bound stops a scan the page is short and `hasNextPage` is true.
 */
export function pageScanBound(first: number): number {
  return Math.max(first * 50, 1000);
}

/**
 * With a `pathPrefix` filter, how many of one user's sessions (most recently
 * active first) are looked at for matches: there is no index by path within
 * a user, and one user may hold any number of sessions. Under that filter
 * each user counts against {@link pageScanBound} once per session looked at
 * (at least once), so a page never reads more than the bound plus this.
 */
export const SESSION_SCAN_BOUND = 200;

/**
 * Orders strings the way Redis orders sorted-set members (bytewise UTF-8,
 * i.e. by code point). Plain `<` compares UTF-16 units, which puts
 * U+E000..U+FFFF above astral characters; Redis puts them below.
 */
export function compareMembers(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  // Surrogates encode code points above U+FFFF: move them past the rest of the BMP.
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}

/** Orders positions ascending by `lastSeen`, then `userId` (Redis's order within equal scores). */
export function comparePositions(a: readonly [number, string], b: readonly [number, string]): number {
  return a[0] - b[0] || compareMembers(a[1], b[1]);
}
