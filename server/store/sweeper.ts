import type { Clock } from '../core/clock.js';
import type { ActivityStore } from './types.js';

/** Options of {@link createSweeper}. */
export interface SweeperOptions {
  readonly store: ActivityStore;
  readonly clock: Clock;
  readonly idleTimeoutMs: number;
  /**
   * How long history is kept (`HISTORY_MAX_AGE_MS`). Each sweep trims what
   * will be older than this by the next sweep, so nothing outlives it; an
   * interval as long as this trims the whole history every sweep.
   */
  readonly historyMaxAgeMs: number;
  /** Time between sweeps. */
  readonly intervalMs: number;
  /** Sessions ended per store call, so one sweep never blocks Redis for long. @defaultValue 500 */
  readonly batchSize?: number;
  /** Called when a sweep fails, expiry or trimming; the next one tries again. */
  readonly onError: (error: unknown) => void;
}

/** Ends idle sessions and trims old history periodically. */
export interface Sweeper {
  /**
   * Runs one full sweep now: expiry, then trimming. Resolves with the
   * sessions this process ended; rejects when expiry failed. A trimming
   * failure goes to `onError` (trimming runs even when expiry failed).
   */
  sweep(): Promise<number>;
  stop(): void;
}

/**
 * Idle expiry and history retention. Every process may run one: the store's
 * atomic removal makes exactly one of them end (and publish) each session,
 * trimming twice deletes nothing more, so no coordination is needed and both
 * survive any process dying.
 */
export function createSweeper({ store, clock, idleTimeoutMs, historyMaxAgeMs, intervalMs, batchSize = 500, onError }: SweeperOptions): Sweeper {
  let sweeping: Promise<number> | null = null;

  const expireAll = async (): Promise<number> => {
    let total = 0;
    for (;;) {
      const now = clock.now();
      const ended = await store.expireIdle(now - idleTimeoutMs, now, batchSize);
      total += ended;
      if (ended < batchSize) return total;
    }
  };

  // One sweep early: an entry that would pass the age before the next sweep goes now.
  const trimOld = (): Promise<number> => store.trimHistory(clock.now() - historyMaxAgeMs + intervalMs);

  const sweepAll = async (): Promise<number> => {
    try {
      return await expireAll();
    } finally {
      // Retention must not depend on expiry: a deployment whose expiry fails still loses old history on time.
      await trimOld().catch(onError);
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
