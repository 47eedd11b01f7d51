import sortedBtree from 'sorted-btree';
import { compareMembers } from './paging.js';

// sorted-btree is CommonJS with `exports.default`: see memory-indexes.ts.
const BTree = 'default' in sortedBtree ? sortedBtree.default : sortedBtree;

/** `[userId, lastSeen, sessionId]`. */
type Entry = [string, number, string];

// By user, then like a Redis sorted set: score (lastSeen), then member (session id) bytewise.
function compareEntries(a: Entry, b: Entry): number {
  return compareMembers(a[0], b[0]) || a[1] - b[1] || compareMembers(a[2], b[2]);
}

/**
 * Every user's active sessions ordered by `lastSeen`: the in-process twin of
 * the Redis store's per-user sorted sets, so that listing a user's most
 * recent sessions, or finding their latest one when one ends, costs
 * O(log n + k) however many sessions they hold. One tree for every user
 * rather than one per user: a user's sessions are one contiguous range of
 * it, and a user with one session costs one entry, not a tree.
 */
export class UserSessionIndex {
  readonly #order = new BTree<Entry, true>(undefined, compareEntries);
  readonly #counts = new Map<string, number>();

  /** How many active sessions the user holds (ZCARD). */
  count(userId: string): number {
    return this.#counts.get(userId) ?? 0;
  }

  /** Adds a session of the user, last seen at `lastSeen` (ZADD). */
  add(userId: string, sessionId: string, lastSeen: number): void {
    if (this.#order.set([userId, lastSeen, sessionId], true, false)) this.#counts.set(userId, this.count(userId) + 1);
  }

  /** Moves a session the user holds from `from` to `to` (ZADD on a member already there). */
  move(userId: string, sessionId: string, from: number, to: number): void {
    if (from === to) return;
    this.#order.delete([userId, from, sessionId]);
    this.#order.set([userId, to, sessionId], true);
  }

  /** Removes a session the user holds, as last seen at `lastSeen` (ZREM). */
  remove(userId: string, sessionId: string, lastSeen: number): void {
    if (!this.#order.delete([userId, lastSeen, sessionId])) return;
    const left = this.count(userId) - 1;
    if (left > 0) this.#counts.set(userId, left);
    else this.#counts.delete(userId);
  }

  /** The user's session ids, most recently active first, ties by id descending (ZREVRANGE). */
  *mostRecent(userId: string): Generator<string> {
    for (const [[owner, , sessionId]] of this.#order.entriesReversed([userId, Number.POSITIVE_INFINITY, ''])) {
      if (owner !== userId) return;
      yield sessionId;
    }
  }

  /** The latest `lastSeen` among the user's sessions, or undefined when they hold none. */
  latest(userId: string): number | undefined {
    const next = this.#order.entriesReversed([userId, Number.POSITIVE_INFINITY, '']).next();
    if (next.done === true) return undefined;
    const [[owner, lastSeen]] = next.value;
    return owner === userId ? lastSeen : undefined;
  }
}
