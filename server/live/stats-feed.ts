import type { ChangeFeed } from '../bus/types.js';
import type { Clock } from '../core/clock.js';
import { epochMinute, type StatsRecord } from '../domain/activity.js';
import { statsAt } from '../domain/stats-at.js';
import type { ActivityStore } from '../store/types.js';

/** Receives figures that differ from the previous ones. */
export type StatsListener = (stats: StatsRecord) => void;

/** Shares one stats computation among every subscriber of a process. */
export interface StatsFeed {
  /** Adds a listener; the feed runs only while it has listeners. Resolves with the remover. */
  subscribe(listener: StatsListener): Promise<() => void>;
  /** Stops timers and the bus listener. */
  close(): void;
}

/** Options of {@link createStatsFeed}. */
export interface StatsFeedOptions {
  readonly store: ActivityStore;
  readonly bus: ChangeFeed;
  readonly clock: Clock;
  /** Least time between two computations, and the period of the decay tick. */
  readonly intervalMs: number;
  /** How many top paths to compute (the most `Stats.topPaths(limit)` may ask for). */
  readonly topPathsLimit: number;
  /** Called when computing fails; the next tick tries again. */
  readonly onError: (error: unknown) => void;
}

/**
 * True when any figure a client sees differs; `at` alone does not count, so
 * neither does a new minute that leaves every per-minute count as it was
 * (an all-zero history): the chart would show the same bars.
 */
export function statsDiffer(a: StatsRecord, b: StatsRecord): boolean {
  if (a.activeUsers !== b.activeUsers || a.activeSessions !== b.activeSessions) return true;
  if (a.eventsLastMinute !== b.eventsLastMinute || countsDiffer(a.eventsPerMinute, b.eventsPerMinute)) return true;
  if (a.topPaths.length !== b.topPaths.length) return true;
  return a.topPaths.some((p, i) => p.path !== b.topPaths[i]?.path || p.sessions !== b.topPaths[i]?.sessions);
}

function countsDiffer(a: readonly number[], b: readonly number[]): boolean {
  return a.length !== b.length || a.some((count, i) => count !== b[i]);
}

/**
 * Shortest time between two computations, however changes arrive: a change
 * that moves no figure sends nothing, so without it each such change could
 * cost a stats read.
 */
const MIN_COMPUTE_GAP_MS = 50;

/**
 * Longest time figures are carried forward without a read while time can
 * move them. Carrying forward is exact while every change reaches this
 * process; the feed is at-most-once on Redis, so a change lost in an outage
 * is made good within this time, even if no other change follows.
 */
export const STATS_RESYNC_MS = 30_000;

/**
 * Computes stats once per process, not once per subscriber: after a change
 * arrives and on a periodic tick (`eventsLastMinute` decays and
 * `eventsPerMinute` slides without any change; the tick runs only while
 * they can: every interval while the last minute holds events, at minute
 * boundaries while only the history does, not at all when both are empty).
 * Only a change makes it read the store: between changes the last figures
 * are carried forward in time ({@link statsAt}), which on Redis Cluster
 * saves a script per partition, per process and per second, and a read at
 * least every {@link STATS_RESYNC_MS} covers a lost change. Listeners hear
 * only figures that differ from those last sent, at most once per interval, and
 * both leading and trailing: a change after a quiet interval (no figures
 * sent within it) is followed by its figures at once, so a dashboard's
 * counts never lag its table; changes within the interval are coalesced
 * into one `StatsChanged` at its end.
 */
export function createStatsFeed({ store, bus, clock, intervalMs, topPathsLimit, onError }: StatsFeedOptions): StatsFeed {
  const listeners = new Set<StatsListener>();
  /** The figures last sent (or read as the baseline): what listeners hold. */
  let last: StatsRecord | null = null;
  /**
   * The figures last computed, sent or not: what time alone moves forward.
   * Not `last`, which keeps its per-second counts when new figures differ in
   * nothing a client sees.
   */
  let latest: StatsRecord | null = null;
  let lastRunAt = Number.NEGATIVE_INFINITY;
  /** When figures last went to the listeners (or their snapshots were read): the interval counts from here. */
  let lastSentAt = Number.NEGATIVE_INFINITY;
  let scheduled: NodeJS.Timeout | null = null;
  let ticker: NodeJS.Timeout | null = null;
  let removeBusListener: (() => void) | null = null;
  let running = false;
  let requestedWhileRunning = false;
  /** A change arrived since the last read began: the figures may differ from what time alone makes of them. */
  let changed = false;
  let lastReadAt = Number.NEGATIVE_INFINITY;

  const figuresAt = async (now: number): Promise<StatsRecord> => {
    if (latest !== null && !changed && now - lastReadAt < STATS_RESYNC_MS) return statsAt(latest, now);
    // Cleared before the read: a change arriving during it asks for the next one.
    changed = false;
    lastReadAt = now;
    try {
      return await store.stats(now, topPathsLimit);
    } catch (error) {
      changed = true;
      throw error;
    }
  };

  const compute = async (): Promise<void> => {
    scheduled = null;
    if (listeners.size === 0) return;
    if (running) {
      requestedWhileRunning = true;
      return;
    }
    const now = clock.now();
    // Timers may fire a little early by the wall clock; the interval is a promise to clients.
    if (now < nextAllowedAt()) return request();
    running = true;
    lastRunAt = now;
    try {
      const stats = await figuresAt(now);
      latest = stats;
      if (last === null || statsDiffer(last, stats)) {
        last = stats;
        lastSentAt = now;
        for (const listener of listeners) listener(stats);
      }
    } catch (error) {
      onError(error);
    } finally {
      running = false;
      if (requestedWhileRunning) {
        requestedWhileRunning = false;
        request();
      }
    }
  };

  // Between changes (each of which requests a computation), figures move only with time, and only while
  // events are in the last minute or in the per-minute history: past that, ticking would find nothing new.
  const tick = (): void => {
    if (latest === null || latest.eventsLastMinute > 0) return request();
    if (latest.eventsPerMinute.some((count) => count > 0) && epochMinute(clock.now()) !== epochMinute(lastRunAt)) request();
  };

  const nextAllowedAt = (): number => Math.max(lastSentAt + intervalMs, lastRunAt + Math.min(MIN_COMPUTE_GAP_MS, intervalMs));

  const request = (): void => {
    if (scheduled || listeners.size === 0) return;
    const wait = Math.max(0, nextAllowedAt() - clock.now());
    scheduled = setTimeout(() => void compute(), wait);
  };

  // Bumped by every start and stop, so a start that was overtaken by a stop
  // (the last listener left while it awaited) undoes what it set up.
  let epoch = 0;

  const onChange = (): void => {
    changed = true;
    request();
  };

  const start = async (): Promise<void> => {
    const mine = ++epoch;
    // Baseline: subscribers start from a snapshot, so only later differences matter.
    const readAt = clock.now();
    const baseline = await store.stats(readAt, topPathsLimit).catch((error: unknown) => (onError(error), null));
    const remove = await bus.subscribe(onChange);
    if (mine !== epoch) return remove();
    last = latest = baseline;
    // A change made between the read and the subscription is not heard: the next tick reads again.
    changed = true;
    lastReadAt = readAt;
    // The first subscribers' snapshots carry these figures: the interval starts now.
    lastRunAt = lastSentAt = clock.now();
    removeBusListener = remove;
    ticker = setInterval(tick, intervalMs);
    ticker.unref();
  };

  const stop = (): void => {
    epoch++;
    if (scheduled) clearTimeout(scheduled);
    if (ticker) clearInterval(ticker);
    removeBusListener?.();
    scheduled = ticker = removeBusListener = null;
    last = latest = null;
    changed = false;
    lastRunAt = lastSentAt = lastReadAt = Number.NEGATIVE_INFINITY;
  };

  return {
    async subscribe(listener) {
      listeners.add(listener);
      if (listeners.size === 1) await start();
      return () => {
        if (listeners.delete(listener) && listeners.size === 0) stop();
      };
    },
    close() {
      listeners.clear();
      stop();
    },
  };
}
