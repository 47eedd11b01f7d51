import type { ActivityChange } from '../domain/activity.js';
import type { HistoryOptions, ReplayQuery, ReplayResult } from './types.js';

interface Entry {
  readonly change: ActivityChange;
  /** When the write that made it happened (receipt time, not the event's own `at`). */
  readonly writtenAt: number;
}

/**
 * The memory store's history: a ring of the last `size` changes. Cursors are
 * consecutive, so the change with cursor `c` sits `c - oldest` slots after
 * the oldest one kept, and a replay is one bounds check and one slice.
 */
export class HistoryRing {
  readonly #entries: (Entry | undefined)[];
  /** Slot of the oldest entry. */
  #start = 0;
  #length = 0;

  constructor(private readonly options: HistoryOptions) {
    this.#entries = new Array<Entry | undefined>(options.size);
  }

  /** Appends one write's changes (in cursor order), dropping the oldest beyond the size. */
  append(changes: readonly ActivityChange[], writtenAt: number): void {
    const { size } = this.options;
    for (const change of changes) {
      this.#entries[(this.#start + this.#length) % size] = { change, writtenAt };
      if (this.#length < size) this.#length++;
      else this.#start = (this.#start + 1) % size;
    }
  }

  /**
   * The changes after `sinceSeq` when all of them are kept and young enough;
   * `current` is the newest cursor. The epoch was checked by the caller.
   */
  replay({ sinceSeq, limit }: Pick<ReplayQuery, 'sinceSeq' | 'limit'>, current: number, now: number): ReplayResult {
    if (sinceSeq > current) return { recovered: false, reason: 'OTHER_EPOCH' };
    if (sinceSeq === current) return { recovered: true, changes: [], cursor: current };
    const first = this.#at(0);
    const skip = first ? sinceSeq + 1 - first.change.cursor : -1;
    const missed = current - sinceSeq;
    const oldestWanted = this.#at(skip);
    if (skip < 0 || missed > limit || !oldestWanted || oldestWanted.writtenAt < now - this.options.maxAgeMs) {
      return { recovered: false, reason: 'CURSOR_TOO_OLD' };
    }
    const changes: ActivityChange[] = [];
    for (let i = skip; i < this.#length; i++) {
      const entry = this.#at(i);
      if (entry) changes.push(entry.change);
    }
    return { recovered: true, changes, cursor: current };
  }

  /** The `index`-th oldest entry kept. */
  #at(index: number): Entry | undefined {
    if (index < 0 || index >= this.#length) return undefined;
    return this.#entries[(this.#start + index) % this.options.size];
  }
}
