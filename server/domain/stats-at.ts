import { epochMinute, epochSecond, totalOf, type StatsRecord } from './activity.js';

/**
 * The figures `stats` become at `now` if no event is received and no
 * session changes after `stats.at`: the per-second and per-minute counts
 * slide, the newly covered seconds and minutes counting nothing, and the
 * rest stays. What a reader would get at `now` in that case, without the
 * read: the stats feed relies on it between changes, when only time moves a
 * figure. A `now` before `stats.at` gives `stats` unchanged (clocks step back).
 */
export function statsAt(stats: StatsRecord, now: number): StatsRecord {
  const seconds = epochSecond(now) - epochSecond(stats.at);
  const minutes = epochMinute(now) - epochMinute(stats.at);
  if (seconds <= 0 && minutes <= 0) return now > stats.at ? { ...stats, at: now } : stats;
  const eventsPerSecond = slide(stats.eventsPerSecond, seconds);
  return {
    ...stats,
    eventsLastMinute: totalOf(eventsPerSecond),
    eventsPerSecond,
    eventsPerMinute: slide(stats.eventsPerMinute, minutes),
    at: now,
  };
}

/** `counts` moved `by` places towards the oldest end, zeros coming in at the newest. */
function slide(counts: readonly number[], by: number): readonly number[] {
  if (by <= 0) return counts;
  const kept = counts.slice(Math.min(by, counts.length));
  return kept.concat(new Array<number>(counts.length - kept.length).fill(0));
}
