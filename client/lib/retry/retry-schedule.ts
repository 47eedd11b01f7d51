import { nextDelay } from './backoff.js';
import type { Timers } from '../runtime.js';

/** What a {@link RetrySchedule} needs. */
export interface RetryScheduleOptions {
  readonly timers: Timers;
  /** Uniform in [0, 1), for the jitter. */
  readonly random: () => number;
  /** Ceiling of the first delay, in ms. */
  readonly initialDelayMs: number;
  /** Largest delay, in ms. */
  readonly maxDelayMs: number;
}

/**
 * The client's one retry layer, shared by the live feed and the activity
 * reporter: capped, jittered exponential backoff ({@link nextDelay}) over
 * the failures since the last success, with at most one retry pending. What
 * is worth retrying is not decided here but by the error-code table
 * (`retryDecision`).
 */
export class RetrySchedule {
  readonly #options: RetryScheduleOptions;
  #failures = 0;
  #timer: unknown = null;

  constructor(options: RetryScheduleOptions) {
    this.#options = options;
  }

  /** Failed attempts since the last {@link RetrySchedule.succeeded}. */
  get failures(): number {
    return this.#failures;
  }

  /** A retry is waiting for its delay. */
  get pending(): boolean {
    return this.#timer !== null;
  }

  /**
   * Counts a failure and runs `retry` after the next backoff delay.
   * @returns the delay in ms, or null when a retry is pending already (then nothing changes)
   */
  retryLater(retry: () => void): number | null {
    if (this.#timer !== null) return null;
    const { timers, random, initialDelayMs: initial, maxDelayMs: max } = this.#options;
    const delayMs = nextDelay(this.#failures++, { initial, max, random });
    this.#timer = timers.setTimeout(() => {
      this.#timer = null;
      retry();
    }, delayMs);
    return delayMs;
  }

  /** An attempt succeeded: the next failure starts from the first delay again. */
  succeeded(): void {
    this.#failures = 0;
  }

  /** Cancels the pending retry, if any; the failures still count. */
  cancel(): void {
    if (this.#timer === null) return;
    this.#options.timers.clearTimeout(this.#timer);
    this.#timer = null;
  }

  /** Cancels the pending retry and forgets the failures: a new start. */
  reset(): void {
    this.cancel();
    this.#failures = 0;
  }
}
