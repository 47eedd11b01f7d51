import { describe, expect, it } from 'vitest';
import { applyEvent, emptyLiveState, sessionsByRecency, usersByRecency, type ActivityEvent, type LiveSession, type LiveState } from '../../../client/lib/index.js';
import { must, session, snapshot, stats } from './fixtures.js';

const AT = '2026-11-27T08:00:00.000Z';

function started(s: LiveSession, cursor = '20'): ActivityEvent {
  return { __typename: 'SessionStarted', cursor, at: AT, session: s };
}
function updated(s: LiveSession, cursor = '21'): ActivityEvent {
  return { __typename: 'SessionUpdated', cursor, at: AT, session: s, previousPath: '/before' };
}
function ended(s: LiveSession, cursor = '22'): ActivityEvent {
  return { __typename: 'SessionEnded', cursor, at: AT, session: s, reason: 'IDLE_TIMEOUT' };
}
function applyAll(state: LiveState, events: readonly ActivityEvent[]): LiveState {
  return events.reduce(applyEvent, state);
}
/** Users as plain data: id → [name, lastSeen, session ids]. */
function summary(state: LiveState): Record<string, [string | null, string, string[]]> {
  return Object.fromEntries(usersByRecency(state).map((u) => [u.id, [u.name, u.lastSeen, [...u.sessions.keys()].sort()]]));
}

describe('the live-state reducer', () => {
  const alice1 = session({ id: 'a1', userId: 'alice', userName: 'Alice', lastSeen: '2026-11-27T08:01:00.000Z' });
  const alice2 = session({ id: 'a2', userId: 'alice', userName: 'Alice', lastSeen: '2026-11-27T08:03:00.000Z' });
  const bob1 = session({ id: 'b1', userId: 'bob', userName: 'Bob', lastSeen: '2026-11-27T08:02:00.000Z' });

  it('keeps the users on Resumed, taking its figures and cursor; a resume Snapshot replaces everything', () => {
    const before = applyAll(emptyLiveState(), [snapshot([alice1], '10'), started(bob1, '11')]);
    const resumed = applyEvent(before, { __typename: 'Resumed', cursor: '11', at: AT, stats: stats({ activeUsers: 2 }) });
    expect(resumed.users).toBe(before.users);
    expect(resumed).toMatchObject({ cursor: '11', stats: { activeUsers: 2 } });
    const replaced = applyEvent(resumed, { ...snapshot([alice2], '40'), resume: 'CURSOR_TOO_OLD' });
    expect(summary(replaced)).toEqual({ alice: ['Alice', alice2.lastSeen, ['a2']] });
  });

  it('starts empty', () => {
    expect(emptyLiveState()).toEqual({ users: new Map(), stats: null, cursor: null, moreUsers: false });
  });

  it('replaces everything with a snapshot', () => {
    const stale = applyAll(emptyLiveState(), [snapshot([bob1], '5'), started(alice1, '6')]);
    const state = applyEvent(stale, snapshot([alice1, alice2], '30', true));
    expect(summary(state)).toEqual({ alice: ['Alice', '2026-11-27T08:03:00.000Z', ['a1', 'a2']] });
    expect(state).toMatchObject({ cursor: '30', moreUsers: true, stats: stats() });
  });

  it('upserts sessions into their user, creating the user, keeping the latest lastSeen', () => {
    const state = applyAll(emptyLiveState(), [
      snapshot([bob1], '10'),
      started(alice2, '11'),
      started(alice1, '12'),
      updated({ ...bob1, path: '/moved', lastSeen: '2026-11-27T08:04:00.000Z' }, '13'),
    ]);
    expect(summary(state)).toEqual({
      bob: ['Bob', '2026-11-27T08:04:00.000Z', ['b1']],
      alice: ['Alice', '2026-11-27T08:03:00.000Z', ['a1', 'a2']],
    });
    expect(state.users.get('bob')?.sessions.get('b1')?.path).toBe('/moved');
    expect(state.cursor).toBe('13');
  });

  it('names a user from the session when it carries a name, and keeps the old name otherwise', () => {
    const renamed = applyAll(emptyLiveState(), [started(alice1), updated({ ...alice1, userName: 'Alice B.' })]);
    expect(renamed.users.get('alice')?.name).toBe('Alice B.');
    const unnamed = applyEvent(renamed, updated({ ...alice1, userName: null }, '23'));
    expect(unnamed.users.get('alice')?.name).toBe('Alice B.');
  });

  it('removes an ended session, and the user with their last one', () => {
    const before = applyAll(emptyLiveState(), [snapshot([alice1, alice2, bob1])]);
    const one = applyEvent(before, ended(alice2));
    // Alice's lastSeen is now that of her remaining session.
    expect(summary(one)).toEqual({ bob: ['Bob', '2026-11-27T08:02:00.000Z', ['b1']], alice: ['Alice', '2026-11-27T08:01:00.000Z', ['a1']] });
    const none = applyEvent(one, ended(alice1, '23'));
    expect([...none.users.keys()]).toEqual(['bob']);
    expect(none.cursor).toBe('23');
  });

  it('ignores the end of a session it never saw, except for the cursor', () => {
    const before = applyAll(emptyLiveState(), [snapshot([bob1])]);
    const after = applyEvent(before, ended(alice1, '40'));
    expect(after.users).toBe(before.users);
    expect(after.cursor).toBe('40');
  });

  it("counts a user's sessions from the snapshot's sessionCount, including those it did not list", () => {
    const listed = snapshot([alice1]);
    const node = must(listed.activeUsers.edges[0]).node;
    const many = { ...listed, activeUsers: { ...listed.activeUsers, edges: [{ node: { ...node, sessionCount: 400 } }] } };
    const unlisted = session({ id: 'a399', userId: 'alice', userName: 'Alice', lastSeen: '2026-11-27T07:00:00.000Z' });
    const state = applyAll(emptyLiveState(), [many, started(alice2, '11'), updated(alice2, '12'), ended(unlisted, '13'), ended(alice1, '14')]);
    expect(must(state.users.get('alice')).sessionCount).toBe(400 + 1 - 2);
    expect(summary(state)).toEqual({ alice: ['Alice', alice2.lastSeen, ['a2']] });
  });

  it('ensures a joining user and removes a leaving one', () => {
    const joined = applyAll(emptyLiveState(), [{ __typename: 'UserJoined', cursor: '2', at: AT, user: { id: 'carol', name: 'Carol' } }]);
    expect(summary(joined)).toEqual({ carol: ['Carol', AT, []] });
    const withSession = applyEvent(joined, started(session({ id: 'c1', userId: 'carol', userName: null }), '3'));
    const again = applyEvent(withSession, { __typename: 'UserJoined', cursor: '4', at: AT, user: { id: 'carol', name: null } });
    expect(summary(again).carol?.[2]).toEqual(['c1']);
    expect(again.users.get('carol')?.name).toBe('Carol');
    const left = applyEvent(again, { __typename: 'UserLeft', cursor: '5', at: AT, user: { id: 'carol', name: 'Carol' } });
    expect(left.users.size).toBe(0);
  });

  it('replaces the figures on StatsChanged', () => {
    const figures = stats({ activeUsers: 9, eventsLastMinute: 99 });
    const state = applyAll(emptyLiveState(), [snapshot(), { __typename: 'StatsChanged', cursor: '11', at: AT, stats: figures }]);
    expect(state.stats).toBe(figures);
    expect(state.cursor).toBe('11');
  });

  it('never changes the state it is given, and shares what did not change', () => {
    const before = applyAll(emptyLiveState(), [snapshot([alice1, bob1])]);
    const frozen = structuredClone(before);
    const events = [started(alice2), updated(bob1), ended(alice1), { __typename: 'UserLeft', cursor: '30', at: AT, user: { id: 'bob', name: null } }] as const;
    let state = before;
    for (const event of events) {
      const next = applyEvent(state, event);
      expect(next).not.toBe(state);
      state = next;
    }
    expect(before).toEqual(frozen);
    const bobAfter = applyEvent(before, started(alice2));
    expect(bobAfter.users.get('bob')).toBe(before.users.get('bob'));
    expect(bobAfter.stats).toBe(before.stats);
  });

  it('lists users and sessions most recent first, ties by id', () => {
    const tie = session({ id: 'a0', userId: 'aaron', userName: 'Aaron', lastSeen: '2026-11-27T08:02:00.000Z' });
    const state = applyAll(emptyLiveState(), [snapshot([alice1, alice2, bob1, tie])]);
    expect(usersByRecency(state).map((u) => u.id)).toEqual(['alice', 'aaron', 'bob']);
    expect(sessionsByRecency(must(state.users.get('alice'))).map((s) => s.id)).toEqual(['a2', 'a1']);
  });
});
