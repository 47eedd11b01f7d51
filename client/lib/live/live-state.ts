import type { SessionFieldsFragment, StatsFieldsFragment } from '../../generated/graphql.js';
import type { ActivityEvent, EventOf } from '../types.js';

/** A session as the live feed describes it. */
export type LiveSession = SessionFieldsFragment;

/** Live figures as the live feed describes them. */
export type LiveStats = StatsFieldsFragment;

/** An active user and their active sessions. */
export interface LiveUser {
  readonly id: string;
  /** As named by their most recent activity that carried a name. */
  readonly name: string | null;
  /** The latest `lastSeen` of their sessions (ISO-8601). */
  readonly lastSeen: string;
  /**
   * Their active sessions that the feed described, by id: the snapshot lists
   * only each user's most recent ones (`ActiveUser.sessions`, 10 by default),
   * and changes add the ones they name.
   */
  readonly sessions: ReadonlyMap<string, LiveSession>;
  /** How many sessions they have active in all: the snapshot's `sessionCount`, moved by each start and end since. */
  readonly sessionCount: number;
}

/**
 * What a live view shows, built from the feed's events by {@link applyEvent}.
 * Never mutated: every event gives a new state, and parts that did not
 * change are shared, so a view can compare by reference to redraw only what
 * changed.
 */
export interface LiveState {
  /** Active users by id. */
  readonly users: ReadonlyMap<string, LiveUser>;
  /** The latest figures; null until the first snapshot. */
  readonly stats: LiveStats | null;
  /** The cursor of the latest event applied; null until the first. */
  readonly cursor: string | null;
  /** The snapshot listed only its first page of users (`first`); more were active then. */
  readonly moreUsers: boolean;
}

/** The state before any event: no users, no figures. */
export function emptyLiveState(): LiveState {
  return { users: new Map(), stats: null, cursor: null, moreUsers: false };
}

/**
 * The state after `event`, without touching `state`:
 * - `Snapshot` replaces everything (it is sent first on every connection
 *   that did not resume, so a reconnect never leaves a stale picture);
 * - `Resumed` keeps the users (the changes missed follow it) and takes its
 *   current figures;
 * - `SessionStarted` / `SessionUpdated` upsert the session into its user,
 *   creating the user if needed (name from the session when it has one,
 *   `lastSeen` the later of the two);
 * - `SessionEnded` removes the session, and the user when none is left
 *   (a session the snapshot did not list still counts down `sessionCount`);
 * - `UserJoined` ensures the user, `UserLeft` removes them;
 * - `StatsChanged` replaces the figures.
 * Every event moves `cursor` to its own.
 */
export function applyEvent(state: LiveState, event: ActivityEvent): LiveState {
  switch (event.__typename) {
    case 'Snapshot':
      return fromSnapshot(event);
    case 'SessionStarted':
    case 'SessionUpdated':
      return { ...state, users: upsertSession(state.users, event.session, event.__typename === 'SessionStarted'), cursor: event.cursor };
    case 'SessionEnded':
      return { ...state, users: removeSession(state.users, event.session), cursor: event.cursor };
    case 'UserJoined':
      return { ...state, users: ensureUser(state.users, event), cursor: event.cursor };
    case 'UserLeft':
      return { ...state, users: without(state.users, event.user.id), cursor: event.cursor };
    case 'Resumed':
    case 'StatsChanged':
      return { ...state, stats: event.stats, cursor: event.cursor };
  }
}

/** Users, most recently active first (ties by id, so the order is stable). */
export function usersByRecency(state: LiveState): LiveUser[] {
  return [...state.users.values()].sort((a, b) => byRecency(a, b) || compareIds(a.id, b.id));
}

/** A user's sessions, most recently active first (ties by id). */
export function sessionsByRecency(user: LiveUser): LiveSession[] {
  return [...user.sessions.values()].sort((a, b) => byRecency(a, b) || compareIds(a.id, b.id));
}

function fromSnapshot(event: EventOf<'Snapshot'>): LiveState {
  const users = new Map<string, LiveUser>();
  for (const { node } of event.activeUsers.edges) {
    const sessions = new Map(node.sessions.map((s) => [s.id, s]));
    users.set(node.id, { id: node.id, name: node.name, lastSeen: node.lastSeen, sessions, sessionCount: node.sessionCount });
  }
  return { users, stats: event.stats, cursor: event.cursor, moreUsers: event.activeUsers.pageInfo.hasNextPage };
}

function upsertSession(users: ReadonlyMap<string, LiveUser>, session: LiveSession, started: boolean): ReadonlyMap<string, LiveUser> {
  const user = users.get(session.userId);
  const added = started && !user?.sessions.has(session.id) ? 1 : 0;
  const sessions = new Map(user?.sessions).set(session.id, session);
  return withUser(users, {
    id: session.userId,
    name: session.userName ?? user?.name ?? null,
    lastSeen: user ? later(user.lastSeen, session.lastSeen) : session.lastSeen,
    sessions,
    // A user the snapshot did not list is counted from what the feed showed of them.
    sessionCount: Math.max((user?.sessionCount ?? 0) + added, sessions.size),
  });
}

function removeSession(users: ReadonlyMap<string, LiveUser>, session: LiveSession): ReadonlyMap<string, LiveUser> {
  const user = users.get(session.userId);
  if (!user) return users;
  const sessions = new Map(user.sessions);
  sessions.delete(session.id);
  const sessionCount = Math.max(user.sessionCount - 1, sessions.size);
  if (sessionCount === 0) return without(users, user.id);
  // The user's lastSeen is that of their latest *active* session, so it may go back (as far as the feed knows them).
  const lastSeen = sessions.size === 0 ? user.lastSeen : [...sessions.values()].map((s) => s.lastSeen).reduce(later);
  return withUser(users, { ...user, lastSeen, sessions, sessionCount });
}

function ensureUser(users: ReadonlyMap<string, LiveUser>, { user, at }: EventOf<'UserJoined'>): ReadonlyMap<string, LiveUser> {
  const known = users.get(user.id);
  if (!known) return withUser(users, { id: user.id, name: user.name, lastSeen: at, sessions: new Map(), sessionCount: 0 });
  return user.name === null || user.name === known.name ? users : withUser(users, { ...known, name: user.name });
}

function withUser(users: ReadonlyMap<string, LiveUser>, user: LiveUser): ReadonlyMap<string, LiveUser> {
  return new Map(users).set(user.id, user);
}

function without(users: ReadonlyMap<string, LiveUser>, id: string): ReadonlyMap<string, LiveUser> {
  if (!users.has(id)) return users;
  const next = new Map(users);
  next.delete(id);
  return next;
}

// DateTimes may carry different offsets, so compare instants, not strings.
function later(a: string, b: string): string {
  return Date.parse(b) > Date.parse(a) ? b : a;
}

function byRecency(a: { readonly lastSeen: string }, b: { readonly lastSeen: string }): number {
  return Date.parse(b.lastSeen) - Date.parse(a.lastSeen);
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
