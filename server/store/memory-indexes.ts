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

/** Options of {@link EventWindow}. */
export interface EventWindowOptions {
  /** Width of one bucket, in ms. */
  readonly bucketMs: number;
  /** How many whole buckets the window spans. */
  readonly buckets: number;
}

/**
 * Events received per bucket (a second, a minute) over the last `buckets`
 * buckets: a ring of counters, so counting is constant work and reading is
 * proportional to the window, whatever the traffic. The in-process twin of
 * the Redis store's per-second and per-minute counter keys.
 */
export class EventWindow {
  readonly #bucketMs: number;
  /** The bucket number each slot counts; -Infinity for a slot never used. */
  readonly #held: number[];
  readonly #counts: number[];

  constructor({ bucketMs, buckets }: EventWindowOptions) {
    this.#bucketMs = bucketMs;
    this.#held = new Array<number>(buckets).fill(Number.NEGATIVE_INFINITY);
    this.#counts = new Array<number>(buckets).fill(0);
  }

  /** Counts `events` received at `now` (ms). */
  add(events: number, now: number): void {
    const bucket = this.#bucketOf(now);
    const slot = this.#slotOf(bucket);
    const held = this.#held[slot] ?? Number.NEGATIVE_INFINITY;
    // A slot holding a later bucket means `now` went back a whole window: too old to count.
    if (held > bucket) return;
    if (held < bucket) {
      this.#held[slot] = bucket;
      this.#counts[slot] = 0;
    }
    this.#counts[slot] = (this.#counts[slot] ?? 0) + events;
  }

  /** Events per bucket over the window ending with the bucket of `now`, oldest first, zeros included. */
  counts(now: number): number[] {
    const last = this.#bucketOf(now);
    const size = this.#counts.length;
    return Array.from({ length: size }, (_, i) => this.#countOf(last - size + 1 + i));
  }

  #countOf(bucket: number): number {
    const slot = this.#slotOf(bucket);
    // A slot still holding an older bucket has not been written since that bucket left the window.
    return this.#held[slot] === bucket ? (this.#counts[slot] ?? 0) : 0;
  }

  #bucketOf(ms: number): number {
    return Math.floor(ms / this.#bucketMs);
  }

  #slotOf(bucket: number): number {
    const size = this.#counts.length;
    return ((bucket % size) + size) % size;
  }
}
