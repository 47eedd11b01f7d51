import { describe, expect, it } from 'vitest';
import { MINUTE_HISTORY_LENGTH, SECOND_WINDOW_LENGTH, type StatsRecord } from '../../../server/domain/activity.js';
import { statsDiffer } from '../../../server/live/stats-feed.js';

const base: StatsRecord = {
  activeUsers: 2,
  activeSessions: 3,
  eventsLastMinute: 4,
  eventsPerSecond: [...new Array<number>(SECOND_WINDOW_LENGTH - 1).fill(0), 4],
  eventsPerMinute: [...new Array<number>(MINUTE_HISTORY_LENGTH - 1).fill(0), 4],
  topPaths: [{ path: '/a', sessions: 2 }],
  at: 1_700_000_000_000,
};

describe('statsDiffer', () => {
  it('ignores `at` alone', () => {
    expect(statsDiffer(base, { ...base, at: base.at + 60_000, eventsPerMinute: [...base.eventsPerMinute] })).toBe(false);
  });

  it('sees a per-minute history that slid, even when every other figure stayed', () => {
    const slid = [...base.eventsPerMinute.slice(1), 0];
    expect(statsDiffer(base, { ...base, eventsPerMinute: slid })).toBe(true);
  });

  it('sees each other figure', () => {
    expect(statsDiffer(base, { ...base, activeUsers: 1 })).toBe(true);
    expect(statsDiffer(base, { ...base, eventsLastMinute: 5 })).toBe(true);
    expect(statsDiffer(base, { ...base, topPaths: [{ path: '/a', sessions: 1 }] })).toBe(true);
  });
});
