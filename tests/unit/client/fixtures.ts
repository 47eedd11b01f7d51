import type { ActivityEvent, EventOf, LiveSession, LiveStats } from '../../../client/lib/index.js';

/** A valid session, with overrides. */
export function session(overrides: Partial<LiveSession> = {}): LiveSession {
  return {
    id: 's1',
    userId: 'alice',
    userName: 'Alice',
    ipAddress: '203.0.113.7',
    path: '/home',
    userAgent: 'test',
    startedAt: '2026-11-27T08:00:00.000Z',
    lastSeen: '2026-11-27T08:00:00.000Z',
    eventCount: 1,
    ...overrides,
  };
}

/** Valid figures, with overrides. */
export function stats(overrides: Partial<LiveStats> = {}): LiveStats {
  return {
    activeUsers: 1,
    activeSessions: 1,
    eventsLastMinute: 3,
    topPaths: [{ path: '/home', sessions: 1 }],
    eventsPerMinute: [{ minute: '2026-11-27T08:00:00.000Z', events: 3 }],
    at: '2026-11-27T08:00:00.000Z',
    ...overrides,
  };
}

const AT = '2026-11-27T08:00:00.000Z';

/** A snapshot holding `sessions`, grouped into users. */
export function snapshot(sessions: readonly LiveSession[] = [session()], cursor = '10', hasNextPage = false): EventOf<'Snapshot'> {
  const byUser = new Map<string, LiveSession[]>();
  for (const s of sessions) byUser.set(s.userId, [...(byUser.get(s.userId) ?? []), s]);
  const edges = [...byUser].map(([id, own]) => ({
    node: { id, name: own[0]?.userName ?? null, lastSeen: own.map((s) => s.lastSeen).sort().at(-1) ?? AT, sessionCount: own.length, sessions: [...own] },
  }));
  return { __typename: 'Snapshot', cursor, at: AT, stats: stats(), activeUsers: { edges, pageInfo: { hasNextPage, endCursor: null } }, resume: 'FRESH' };
}

/** One valid event of every type, in a plausible order. */
export function oneOfEach(): ActivityEvent[] {
  return [
    snapshot([], '1'),
    { __typename: 'SessionStarted', cursor: '2', at: AT, session: session() },
    { __typename: 'UserJoined', cursor: '3', at: AT, user: { id: 'alice', name: 'Alice' } },
    { __typename: 'SessionUpdated', cursor: '4', at: AT, session: session({ path: '/b', eventCount: 2 }), previousPath: '/home' },
    { __typename: 'StatsChanged', cursor: '4', at: AT, stats: stats({ eventsLastMinute: 4 }) },
    { __typename: 'SessionEnded', cursor: '5', at: AT, session: session({ path: '/b' }), reason: 'LOGOUT' },
    { __typename: 'UserLeft', cursor: '6', at: AT, user: { id: 'alice', name: 'Alice' } },
  ];
}

/** `value`, which the test knows is there (the lint forbids `!`). */
export function must<T>(value: T | null | undefined, what = 'a value'): T {
  if (value === null || value === undefined) throw new Error(`expected ${what}`);
  return value;
}
