/** A periodic renewal of what a process holds in Redis (leases, stream records). */
export interface Renewer {
  /** Starts the timer unless running. */
  start(): void;
  /** Stops the timer; a renewal in flight still completes. */
  stop(): void;
  /** Resolves once no renewal is in flight. */
  settled(): Promise<void>;
}

/**
 * Runs `renew` every `everyMs` while started, never two at once: with Redis
 * slower than the period, renewals would pile up, and the one in flight
 * renews everything anyway. The timer is unref'd: holding something must
 * not keep the process alive.
 */
export function createRenewer(everyMs: number, renew: () => Promise<void>): Renewer {
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  const tick = (): void => {
    if (inFlight) return;
    inFlight = renew().finally(() => {
      inFlight = undefined;
    });
  };
  return {
    start() {
      timer ??= setInterval(tick, everyMs).unref();
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
    settled: async () => inFlight,
  };
}
