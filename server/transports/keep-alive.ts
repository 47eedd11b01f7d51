/** Something an idle connection must hear from now and then. */
export interface KeepAliveTarget {
  /** Writes one keep-alive (an SSE comment); skipped by the target when it cannot take it now. */
  ping(): void;
}

/**
 * One timer for every open event stream of a process, instead of one per
 * stream: ten thousand idle subscribers cost one wake-up per period and no
 * backend call (keep-alives are written locally).
 */
export class KeepAlive {
  readonly #targets = new Set<KeepAliveTarget>();
  #timer: NodeJS.Timeout | null = null;

  constructor(private readonly periodMs: number) {}

  /** Pings `target` every period until the returned function is called (or {@link KeepAlive.delete}). */
  add(target: KeepAliveTarget): () => void {
    this.#targets.add(target);
    if (this.#timer === null) {
      this.#timer = setInterval(() => this.#tick(), this.periodMs);
      // Idle streams alone must not keep the process alive.
      this.#timer.unref();
    }
    return () => this.delete(target);
  }

  /** Stops pinging `target`; the timer stops with the last one. Idempotent. */
  delete(target: KeepAliveTarget): void {
    this.#targets.delete(target);
    if (this.#targets.size === 0 && this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  #tick(): void {
    for (const target of this.#targets) target.ping();
  }
}
