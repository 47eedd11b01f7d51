import { describe, expect, it } from 'vitest';
import { MINUTE_HISTORY_LENGTH, SECOND_WINDOW_LENGTH, type StatsRecord } from '../../../server/domain/activity.js';
import { statsAt } from '../../../server/domain/stats-at.js';

const AT = Date.UTC(2026, 11, 3, 12, 0, 30, 250);
const counts = (length: number, ...recent: number[]): number[] => [...new Array<number>(length - recent.length).fill(0), ...recent];

const stats: StatsRecord = {
  activeUsers: 2,
  activeSessions: 3,
  eventsLastMinute: 6,
  eventsPerSecond: counts(SECOND_WINDOW_LENGTH, 1, 0, 2, 3),
  eventsPerMinute: counts(MINUTE_HISTORY_LENGTH, 4, 6),
  topPaths: [{ path: '/a', sessions: 3 }],
  at: AT,
};

/** Edge cases of carrying figures forward; that it agrees with every store's later read is in the store contract. */
describe('statsAt', () => {
  it('keeps the figures within the same second, moving only `at`', () => {
    expect(statsAt(stats, AT + 749)).toEqual({ ...stats, at: AT + 749 });
  });

  it('gives the figures unchanged for a time before them (a clock stepped back)', () => {
    expect(statsAt(stats, AT - 5_000)).toBe(stats);
  });

  it('slides the seconds out one by one and the minutes at their boundary', () => {
    const later = statsAt(stats, AT + 2_000);
    expect(later.eventsPerSecond).toEqual(counts(SECOND_WINDOW_LENGTH, 1, 0, 2, 3, 0, 0));
    expect(later.eventsLastMinute).toBe(6);
    const pastSecondEvent = statsAt(stats, AT + 57_000);
    expect(pastSecondEvent).toMatchObject({ eventsLastMinute: 5, eventsPerMinute: counts(MINUTE_HISTORY_LENGTH, 4, 6, 0), at: AT + 57_000 });
  });

  it('empties every window once the time is past it, keeping what only a change moves', () => {
    const much = statsAt(stats, AT + (MINUTE_HISTORY_LENGTH + 1) * 60_000);
    expect(much).toEqual({
      ...stats,
      eventsLastMinute: 0,
      eventsPerSecond: counts(SECOND_WINDOW_LENGTH),
      eventsPerMinute: counts(MINUTE_HISTORY_LENGTH),
      at: AT + (MINUTE_HISTORY_LENGTH + 1) * 60_000,
    });
  });
});
