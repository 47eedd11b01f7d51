import type { ActivityChange } from '../domain/activity.js';
import type { HistoryOptions, ReplayResult } from './types.js';

interface Entry {
  /** Null once erased: a hole, which replays skip. */
  change: ActivityChange | null;
  /** The user the change is about (see {@link historyUserOf}); null on a hole. */
  userId: string | null;
  /** When the write that made it happened (receipt time, not the event's own `at`). */
  readonly writtenAt: number;
}

/**
 * The user a history entry is about, so that erasing them can find it; null
 * for an erasure's own announcements, which a later erasure of the same user
 * must not remove (a resuming subscriber needs them to drop the sessions).
 * The Redis store tags its stream entries by the same rule (store.lua).
 */
export function historyUserOf(change: ActivityChange): string | null {
  switch (change.type) {
    case 'SessionEnded':
      return change.reason === 'ERASED' ? null : change.session.userId;
    case 'UserLeft':
      return change.erased === true ? null : change.user.id;
    case 'UserJoined':
      return change.user.id;
    default:
      return change.session.userId;
  }
}

/**
 * The memory store's history: a ring of the last `size` cursors. Cursors are
 * consecutive, so the change with cursor `c` sits `c - firstCursor` slots
 * after the oldest one kept, and a replay is one bounds check and one pass.
 * An erased change leaves a hole in its slot (as XDEL leaves a gap in the
 * Redis stream); the slot before the oldest kept is the floor, below which
 * a replay cannot recover.
 */
export class HistoryRing {
  readonly #entries: (Entry | undefined)[];
  /** Slot of the oldest entry. */
  #start = 0;
  #length = 0;
  /** Cursor of the oldest entry kept (of the next one, while none is). */
  #firstCursor = 1;

  constructor(private readonly options: HistoryOptions) {
    this.#entries = new Array<Entry | undefined>(options.size);
  }

  /** Appends one write's changes (in cursor order), dropping the oldest beyond the size. */
  append(changes: readonly ActivityChange[], writtenAt: number): void {
    const { size } = this.options;
    for (const change of changes) {
      if (this.#length === size) this.#dropOldest();
      if (this.#length === 0) this.#firstCursor = change.cursor;
      this.#entries[(this.#start + this.#length) % size] = { change, userId: historyUserOf(change), writtenAt };
      this.#length++;
    }
  }

  /**
   * The changes after `sinceSeq`, holes skipped, when none of them was
   * dropped and the first is young enough; `current` is the newest cursor.
   * The epoch (and the position's length) was checked by the caller.
   */
  replay(sinceSeq: number, limit: number, current: number, now: number): ReplayResult {
    if (sinceSeq > current) return { recovered: false, reason: 'OTHER_EPOCH' };
    const missed = current - sinceSeq;
    if (missed === 0) return { recovered: true, changes: [], cursor: [current] };
    if (missed > limit || missed > this.options.size || sinceSeq < this.#firstCursor - 1) return { recovered: false, reason: 'CURSOR_TOO_OLD' };
    const changes: ActivityChange[] = [];
    for (let i = sinceSeq + 1 - this.#firstCursor; i < this.#length; i++) {
      const entry = this.#at(i);
      if (!entry?.change) continue;
      if (changes.length === 0 && entry.writtenAt < now - this.options.maxAgeMs) return { recovered: false, reason: 'CURSOR_TOO_OLD' };
      changes.push(entry.change);
    }
    return { recovered: true, changes, cursor: [current] };
  }

  /**
   * Drops the changes written before `cutoff`, oldest first, up to the first
   * one written at or after it. Holes go with the changes around them; those
   * just before the first change kept stay, as the Redis stream's gaps do, so
   * both stores answer the same replays.
   * @returns how many changes it dropped (holes not counted)
   */
  trim(cutoff: number): number {
    let lastOld = -1;
    let dropped = 0;
    for (let i = 0; i < this.#length; i++) {
      const entry = this.#at(i);
      if (!entry?.change) continue;
      if (entry.writtenAt >= cutoff) break;
      lastOld = i;
      dropped++;
    }
    for (let i = 0; i <= lastOld; i++) this.#dropOldest();
    return dropped;
  }

  /**
   * Turns every change about `userId` with a cursor up to `through` into a
   * hole, so that nothing of it stays in memory.
   * @returns how many changes it erased
   */
  erase(userId: string, through: number): number {
    let erased = 0;
    const last = Math.min(this.#length - 1, through - this.#firstCursor);
    for (let i = 0; i <= last; i++) {
      const entry = this.#at(i);
      if (entry?.userId !== userId) continue;
      entry.change = null;
      entry.userId = null;
      erased++;
    }
    return erased;
  }

  #dropOldest(): void {
    if (this.#length === 0) return;
    this.#entries[this.#start] = undefined;
    this.#start = (this.#start + 1) % this.options.size;
    this.#length--;
    this.#firstCursor++;
  }

  /** The `index`-th oldest entry kept. */
  #at(index: number): Entry | undefined {
    if (index < 0 || index >= this.#length) return undefined;
    return this.#entries[(this.#start + index) % this.options.size];
  }
}
