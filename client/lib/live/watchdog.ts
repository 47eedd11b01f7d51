import type { Timers } from '../runtime.js';

/** Options of {@link Watchdog}. */
export interface WatchdogOptions {
  /** Silence that trips it, in ms; 0 or Infinity turns it off. */
  readonly timeoutMs: number;
  readonly timers: Timers;
  readonly now: () => number;
  /** Called once when nothing was fed for `timeoutMs` since it was armed. */
  readonly onSilence: (silentMs: number) => void;
}

/**
 * Trips when nothing was fed for a while. Feeding only records the time (it
 * runs for every chunk of bytes); the one timer, when it fires early, sleeps
 * again for the remainder instead of being reset on every feed.
 */
export class Watchdog {
  readonly #options: WatchdogOptions;
  #lastFed = 0;
  #timer: unknown = null;

  constructor(options: WatchdogOptions) {
    this.#options = options;
  }

  /** Starts watching, counting silence from now. */
  arm(): void {
    this.disarm();
    const { timeoutMs } = this.#options;
    if (!(timeoutMs > 0 && Number.isFinite(timeoutMs))) return;
    this.#lastFed = this.#options.now();
    this.#sleep(timeoutMs);
  }

  /** Records that something arrived. */
  feed(): void {
    this.#lastFed = this.#options.now();
  }

  /** Stops watching. */
  disarm(): void {
    if (this.#timer === null) return;
    this.#options.timers.clearTimeout(this.#timer);
    this.#timer = null;
  }

  #sleep(ms: number): void {
    this.#timer = this.#options.timers.setTimeout(() => this.#check(), ms);
  }

  #check(): void {
    this.#timer = null;
    const silentMs = this.#options.now() - this.#lastFed;
    if (silentMs < this.#options.timeoutMs) return this.#sleep(this.#options.timeoutMs - silentMs);
    this.#options.onSilence(silentMs);
  }
}
