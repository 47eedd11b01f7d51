import sortedBtree from 'sorted-btree';
import type { PathCount } from '../domain/activity.js';
import { compareMembers, comparePositions } from './paging.js';

// sorted-btree is CommonJS with `exports.default`: Node hands an ESM importer the exports
// object, while Vite-style interop (vitest) hands it the class itself.
const BTree = 'default' in sortedBtree ? sortedBtree.default : sortedBtree;
type Entry = [number, string];

/**
 * The ordered indexes behind the memory store, each the in-process twin of
 * one Redis sorted set, ordered exactly like it so both stores page alike.
 */

/** Members ordered by `(score, member)`, like a Redis ZSET: O(log n) updates, O(k) range walks. */
export class ScoreIndex {
  readonly #scores = new Map<string, number>();
  readonly #order = new BTree<Entry, true>(undefined, comparePositions);

  /** Number of members (ZCARD). */
  get size(): number {
    return this.#scores.size;
  }

  /** The member's score, or undefined when absent (ZSCORE). */
  score(member: string): number | undefined {
    return this.#scores.get(member);
  }

  /** Adds the member or moves it to `score` (ZADD). */
  set(member: string, score: number): void {
    this.delete(member);
    this.#scores.set(member, score);
    this.#order.set([score, member], true);
  }

  /** Removes the member; false when it was absent (ZREM). */
  delete(member: string): boolean {
    const score = this.#scores.get(member);
    if (score === undefined) return false;
    this.#scores.delete(member);
    this.#order.delete([score, member]);
    return true;
  }

  /** Members from the highest down, starting strictly below `below` when given (ZREVRANGE). */
  *descending(below?: Entry): Generator<Entry> {
    for (const [entry] of this.#order.entriesReversed(below, undefined, below !== undefined)) yield [entry[0], entry[1]];
  }

  /** Up to `limit` members with a score under `cutoff`, lowest first (ZRANGEBYSCORE -inf (cutoff). */
  lowestBelow(cutoff: number, limit: number): string[] {
    const members: string[] = [];
    for (const [[score, member]] of this.#order.entries()) {
      if (score >= cutoff || members.length >= limit) break;
      members.push(member);
    }
    return members;
  }
}

/** Active sessions per path, busiest first and ties by path ascending (the `topPaths` order). */
export class PathCounts {
  readonly #counts = new Map<string, number>();
  readonly #order = new BTree<Entry, true>(undefined, (a, b) => b[0] - a[0] || compareMembers(a[1], b[1]));

  /** Number of paths with at least one session. */
  get size(): number {
    return this.#counts.size;
  }

  /** Moves one session from `from` to `to`; null stands for "no path" and is not counted. */
  move(from: string | null, to: string | null): void {
    if (from === to) return;
    if (from !== null) this.#adjust(from, -1);
    if (to !== null) this.#adjust(to, 1);
  }

  /** The `limit` busiest paths. */
  top(limit: number): PathCount[] {
    const top: PathCount[] = [];
    for (const [[sessions, path]] of this.#order.entries()) {
      if (top.length >= limit) break;
      top.push({ path, sessions });
    }
    return top;
  }

  #adjust(path: string, delta: number): void {
    const before = this.#counts.get(path) ?? 0;
    const after = before + delta;
    if (before > 0) this.#order.delete([before, path]);
    if (after > 0) {
      this.#counts.set(path, after);
      this.#order.set([after, path], true);
    } else {
      this.#counts.delete(path);
    }
  }
}

/** Seconds the event window spans. */
const WINDOW_SECONDS = 60;

/**
 * Events received per second over the last minute: a ring of 60 counters,
 * so counting and summing are constant work whatever the traffic.
 */
export class EventWindow {
  readonly #seconds = new Array<number>(WINDOW_SECONDS).fill(-1);
  readonly #counts = new Array<number>(WINDOW_SECONDS).fill(0);

  /** Counts `events` received at `now` (ms). */
  add(events: number, now: number): void {
    const second = Math.floor(now / 1000);
    const slot = second % WINDOW_SECONDS;
    const held = this.#seconds[slot] ?? -1;
    // A slot holding a later second means `now` went back more than a minute: too old to count.
    if (held > second) return;
    if (held < second) {
      this.#seconds[slot] = second;
      this.#counts[slot] = 0;
    }
    this.#counts[slot] = (this.#counts[slot] ?? 0) + events;
  }

  /** Events received in the 60 whole seconds up to and including the second of `now`. */
  total(now: number): number {
    const second = Math.floor(now / 1000);
    let total = 0;
    for (let slot = 0; slot < WINDOW_SECONDS; slot++) {
      const held = this.#seconds[slot] ?? -1;
      if (held <= second && held > second - WINDOW_SECONDS) total += this.#counts[slot] ?? 0;
    }
    return total;
  }
}
