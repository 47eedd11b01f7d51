import type { Clock } from '../core/clock.js';
import type { ActivityStore } from './types.js';

/** Options of {@link createSweeper}. */
export interface SweeperOptions {
  readonly store: ActivityStore;
  readonly clock: Clock;
  readonly idleTimeoutMs: number;
  /** Time between sweeps. */
  readonly intervalMs: number;
  /** Sessions ended per store call, so one sweep never blocks Redis for long. @defaultValue 500 */
  readonly batchSize?: number;
  /** Called when a sweep fails; the next one tries again. */
  readonly onError: (error: unknown) => void;
}

/** Ends idle sessions periodically. */
export interface Sweeper {
  /** Runs one full sweep now; resolves with the sessions this process ended. */
  sweep(): Promise<number>;
  stop(): void;
}

/**
 * Idle expiry. Every process may run one: the store's atomic removal makes
 * exactly one of them end (and publish) each session, so no coordination
 * is needed and expiry survives any process dying.
 */
export function createSweeper({ store, clock, idleTimeoutMs, intervalMs, batchSize = 500, onError }: SweeperOptions): Sweeper {
  let sweeping: Promise<number> | null = null;

  const sweepAll = async (): Promise<number> => {
    let total = 0;
    for (;;) {
      const now = clock.now();
      const ended = await store.expireIdle(now - idleTimeoutMs, now, batchSize);
      total += ended;
      if (ended < batchSize) return total;
    }
  };

  // Overlapping sweeps would only race each other for the same sessions.
  const sweep = (): Promise<number> => {
    sweeping ??= sweepAll().finally(() => (sweeping = null));
    return sweeping;
  };

  const timer = setInterval(() => sweep().catch(onError), intervalMs);
  timer.unref();
  return { sweep, stop: () => clearInterval(timer) };
}
