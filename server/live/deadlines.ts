import { systemClock, type Clock } from '../core/clock.js';

/** The timer functions {@link Deadlines} uses, injectable so tests control time. */
export interface DeadlineTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const NODE_TIMERS: DeadlineTimers = {
  setTimeout: (callback, ms) => {
    const timer = setTimeout(callback, ms);
    // Connections waiting for their token's expiry must not keep the process alive.
    timer.unref();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Node clamps longer delays to 1 ms (with a warning): a 30-day token would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/** Something with a deadline: told once when it passes (see {@link Deadlines.schedule}). */
export interface Expiring {
  expire(): void;
}

/**
 * One registered deadline; its place in the heap is kept so that it can be
 * removed in O(log n). It is also the handle {@link Deadlines.schedule}
 * returns, so that registering costs no closure.
 */
class Entry {
  constructor(
    readonly at: number,
    readonly target: Expiring,
    public index: number,
  ) {}
}

/** A scheduled deadline, for {@link Deadlines.cancel}. */
export type DeadlineHandle = Entry;

/**
 * Calls each registered function at its deadline (epoch ms), with one timer
 * for all of them: the deadlines sit in a binary min-heap and the one timer
 * is set for the earliest. Adding and cancelling are O(log n), and a
 * cancelled deadline leaves nothing behind, so connections that come and go
 * long before their tokens expire cost nothing once gone. Pulse ends what a
 * token opened (graphql-ws sockets, SSE streams) at the token's expiry this way.
 */
export class Deadlines {
  readonly #heap: Entry[] = [];
  #timer: unknown = null;
  /** When the timer fires; Infinity when none is set. */
  #timerAt = Number.POSITIVE_INFINITY;

  constructor(
    private readonly clock: Clock = systemClock,
    private readonly timers: DeadlineTimers = NODE_TIMERS,
  ) {}

  /**
   * Calls `fire` once at `at` (epoch ms; at once, on the timer, if that is
   * past already). Returns the cancellation, idempotent; after `fire` ran it
   * does nothing.
   */
  add(at: number, fire: () => void): () => void {
    const entry = this.schedule(at, { expire: fire });
    return () => this.#remove(entry);
  }

  /**
   * Like {@link Deadlines.add} for an object that expires itself, without a
   * closure per deadline: what ten thousand open streams each register.
   * @returns the handle to {@link Deadlines.cancel} it with
   */
  schedule(at: number, target: Expiring): DeadlineHandle {
    const entry = new Entry(at, target, this.#heap.length);
    this.#heap.push(entry);
    this.#up(entry.index);
    this.#schedule();
    return entry;
  }

  /** Cancels a scheduled deadline; idempotent, and nothing once it has fired. */
  cancel(handle: DeadlineHandle): void {
    this.#remove(handle);
  }

  /** Deadlines waiting. */
  get size(): number {
    return this.#heap.length;
  }

  #remove(entry: Entry): void {
    const { index } = entry;
    if (this.#heap[index] !== entry) return;
    const last = this.#heap.pop() as Entry;
    if (last !== entry) {
      this.#heap[index] = last;
      last.index = index;
      this.#down(index);
      this.#up(last.index);
    }
    entry.index = -1;
    // An earlier timer stays: when it fires with nothing due, it is set again.
    if (this.#heap.length === 0) this.#clearTimer();
  }

  #fireDue(): void {
    this.#timer = null;
    this.#timerAt = Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    for (let first = this.#heap[0]; first !== undefined && first.at <= now; first = this.#heap[0]) {
      this.#remove(first);
      first.target.expire();
    }
    this.#schedule();
  }

  #schedule(): void {
    const first = this.#heap[0];
    if (first === undefined || first.at >= this.#timerAt) return;
    this.#clearTimer();
    const delay = Math.min(Math.max(0, first.at - this.clock.now()), MAX_TIMER_MS);
    this.#timerAt = first.at;
    this.#timer = this.timers.setTimeout(() => this.#fireDue(), delay);
  }

  #clearTimer(): void {
    if (this.#timer !== null) this.timers.clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  #up(index: number): void {
    const heap = this.#heap;
    const entry = heap[index] as Entry;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex] as Entry;
      if (parent.at <= entry.at) break;
      this.#place(parent, index);
      index = parentIndex;
    }
    this.#place(entry, index);
  }

  #down(index: number): void {
    const heap = this.#heap;
    const entry = heap[index] as Entry;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && (heap[right] as Entry).at < (heap[left] as Entry).at ? right : left;
      if ((heap[child] as Entry).at >= entry.at) break;
      this.#place(heap[child] as Entry, index);
      index = child;
    }
    this.#place(entry, index);
  }

  #place(entry: Entry, index: number): void {
    this.#heap[index] = entry;
    entry.index = index;
  }
}
