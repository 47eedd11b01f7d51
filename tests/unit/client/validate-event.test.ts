import { describe, expect, it } from 'vitest';
import { validateEvent } from '../../../client/lib/index.js';
import { must, oneOfEach, session, snapshot, stats } from './fixtures.js';

const AT = '2026-11-27T08:00:00.000Z';

describe('validateEvent', () => {
  it.each(oneOfEach().map((event) => [event.__typename, event] as const))('accepts a well-formed %s', (_name, event) => {
    expect(validateEvent(structuredClone(event))).toEqual({ ok: true, event });
  });

  it('accepts null where the schema allows it, and times with an offset', () => {
    const bare = session({ userName: null, ipAddress: null, path: null, userAgent: null, lastSeen: '2026-11-27T09:00:00+01:00' });
    const event = { __typename: 'SessionUpdated', cursor: '5', at: AT, session: bare, previousPath: null };
    expect(validateEvent(event)).toEqual({ ok: true, event });
  });

  it('returns only the selected fields', () => {
    const result = validateEvent({ __typename: 'UserLeft', cursor: '6', at: AT, user: { id: 'alice', name: null, secret: 1 }, extra: true });
    expect(result).toEqual({ ok: true, event: { __typename: 'UserLeft', cursor: '6', at: AT, user: { id: 'alice', name: null } } });
  });

  it.each([
    [null, 'event: expected an object, got null'],
    ['Snapshot', 'event: expected an object, got the string "Snapshot"'],
    [[], 'event: expected an object, got an array'],
    [{ cursor: '1', at: AT }, 'event: unexpected __typename undefined'],
    [{ __typename: 'SessionPaused', cursor: '1', at: AT }, 'event: unexpected __typename "SessionPaused"'],
    [{ __typename: 'toString', cursor: '1', at: AT }, 'event: unexpected __typename "toString"'],
    [{ __typename: 'UserJoined', at: AT, user: { id: 'a', name: null } }, 'UserJoined.cursor: expected a non-empty string, got undefined'],
    [{ __typename: 'UserJoined', cursor: '', at: AT, user: { id: 'a', name: null } }, 'UserJoined.cursor: expected a non-empty string, got the string ""'],
    [{ __typename: 'UserJoined', cursor: 7, at: AT, user: { id: 'a', name: null } }, 'UserJoined.cursor: expected a non-empty string, got number 7'],
    [{ __typename: 'UserJoined', cursor: '7', at: 'yesterday', user: { id: 'a', name: null } }, 'UserJoined.at: expected an ISO-8601 DateTime, got the string "yesterday"'],
    [{ __typename: 'UserJoined', cursor: '7', at: '2026-11-27T08:00:00', user: { id: 'a', name: null } }, 'UserJoined.at: expected an ISO-8601 DateTime, got the string "2026-11-27T08:00:00"'],
    [{ __typename: 'UserJoined', cursor: '7', at: '2026-13-45T08:00:00Z', user: { id: 'a', name: null } }, 'UserJoined.at: expected an ISO-8601 DateTime, got the string "2026-13-45T08:00:00Z"'],
    [{ __typename: 'UserLeft', cursor: '7', at: AT, user: { id: 'a' } }, 'UserLeft.user.name: expected a string, got undefined'],
    [{ __typename: 'UserLeft', cursor: '7', at: AT }, 'UserLeft.user: expected an object, got undefined'],
    [{ __typename: 'SessionStarted', cursor: '7', at: AT, session: { ...session(), eventCount: 1.5 } }, 'SessionStarted.session.eventCount: expected an integer, got number 1.5'],
    [{ __typename: 'SessionStarted', cursor: '7', at: AT, session: { ...session(), id: '' } }, 'SessionStarted.session.id: expected a non-empty string, got the string ""'],
    [{ __typename: 'SessionUpdated', cursor: '7', at: AT, session: session() }, 'SessionUpdated.previousPath: expected a string, got undefined'],
    [{ __typename: 'SessionEnded', cursor: '7', at: AT, session: session(), reason: 'logout' }, 'SessionEnded.reason: expected one of IDLE_TIMEOUT, LOGOUT, got the string "logout"'],
    [{ __typename: 'StatsChanged', cursor: '7', at: AT, stats: { ...stats(), topPaths: [{ path: '/', sessions: '2' }] } }, 'StatsChanged.stats.topPaths[0].sessions: expected an integer, got the string "2"'],
    [{ __typename: 'StatsChanged', cursor: '7', at: AT, stats: { ...stats(), eventsPerMinute: {} } }, 'StatsChanged.stats.eventsPerMinute: expected an array, got an object'],
  ])('refuses %j: %s', (value, problem) => {
    expect(validateEvent(value)).toEqual({ ok: false, problem });
  });

  it('checks every user and session of a snapshot', () => {
    const event = snapshot([session(), session({ id: 's2', userId: 'bob' })]);
    const node = must(event.activeUsers.edges[1]).node;
    const broken = { ...event, activeUsers: { ...event.activeUsers, edges: [event.activeUsers.edges[0], { node: { ...node, sessions: [{ ...node.sessions[0], startedAt: null }] } }] } };
    expect(validateEvent(broken)).toEqual({ ok: false, problem: 'Snapshot.activeUsers.edges[1].node.sessions[0].startedAt: expected an ISO-8601 DateTime, got null' });
    expect(validateEvent({ ...event, activeUsers: { edges: [], pageInfo: { hasNextPage: 'no', endCursor: null } } })).toEqual({
      ok: false,
      problem: 'Snapshot.activeUsers.pageInfo.hasNextPage: expected a boolean, got the string "no"',
    });
  });
});
