/**
 * The records Pulse keeps and the changes it publishes. Times are epoch
 * milliseconds; the GraphQL layer turns them into `DateTime` strings.
 */

/** One active session as stored. */
export interface SessionRecord {
  readonly id: string;
  readonly userId: string;
  readonly userName: string | null;
  readonly ipAddress: string | null;
  readonly path: string | null;
  readonly userAgent: string | null;
  readonly startedAt: number;
  readonly lastSeen: number;
  readonly eventCount: number;
}

/** A user as named by their most recent activity. */
export interface UserRef {
  readonly id: string;
  readonly name: string | null;
}

/**
 * How many of one user's sessions a listing carries (`ActiveUser.sessions(first:)`):
 * a user may hold any number of sessions, so a page of users is bounded only
 * if each user's sessions are paged too.
 */
export const SESSIONS_PER_USER = { default: 10, max: 50 } as const;

/** An active user with their most recently active sessions. */
export interface ActiveUserRecord extends UserRef {
  readonly lastSeen: number;
  /** All their active sessions, whatever the filter. */
  readonly sessionCount: number;
  /** Most recently active first (ties by id descending); at most what the query asked for. */
  readonly sessions: readonly SessionRecord[];
}

/** Active sessions on one path. */
export interface PathCount {
  readonly path: string;
  readonly sessions: number;
}

/** How many whole minutes `StatsRecord.eventsPerMinute` covers (the most `Stats.eventsPerMinute` may ask for). */
export const MINUTE_HISTORY_LENGTH = 30;

/** How many whole seconds `StatsRecord.eventsLastMinute` covers, one count each in `eventsPerSecond`. */
export const SECOND_WINDOW_LENGTH = 60;

/** The minute (counted from the Unix epoch) that `ms` falls in: the unit of `eventsPerMinute`, which moves on at its boundaries. */
export function epochMinute(ms: number): number {
  return Math.floor(ms / 60_000);
}

/** The second (counted from the Unix epoch) that `ms` falls in: the unit of `eventsPerSecond`. */
export function epochSecond(ms: number): number {
  return Math.floor(ms / 1_000);
}

/** All the events of a window's per-bucket counts: `eventsLastMinute` of `eventsPerSecond`. */
export function totalOf(counts: readonly number[]): number {
  return counts.reduce((sum, count) => sum + count, 0);
}

/** Live figures over the active sessions. */
export interface StatsRecord {
  readonly activeUsers: number;
  readonly activeSessions: number;
  /** Events received in the 60 whole seconds up to and including the second of `at`: the sum of `eventsPerSecond`. */
  readonly eventsLastMinute: number;
  /**
   * Events received in each of those {@link SECOND_WINDOW_LENGTH} seconds,
   * oldest first, the last one being the second that contains `at`. Not in
   * the API: with it, figures can be carried forward in time without a read
   * while no event arrives (see {@link statsAt}).
   */
  readonly eventsPerSecond: readonly number[];
  /**
   * Events received in each of the last {@link MINUTE_HISTORY_LENGTH} whole
   * minutes, oldest first: always that many entries, zeros included, the last
   * one being the minute that contains `at`. Counted by receipt time, like
   * `eventsLastMinute`.
   */
  readonly eventsPerMinute: readonly number[];
  /** Busiest first, as many as the store was asked for. */
  readonly topPaths: readonly PathCount[];
  /** When the figures were computed. */
  readonly at: number;
}

/** Why a session ended. `ERASED` ones carry ids and times only (see {@link erasedSession}). */
export type SessionEndReason = 'IDLE_TIMEOUT' | 'LOGOUT' | 'ERASED';

interface ChangeBase {
  /** Position in its partition's change log: strictly increasing across every process. */
  readonly cursor: number;
  /**
   * The partition whose log numbered `cursor` (server/domain/cursor.ts);
   * absent means 0, the only partition of memory mode and of one Redis by default.
   */
  readonly partition?: number;
  /** When the change happened. */
  readonly at: number;
}

/** A session's first event. */
export interface SessionStartedChange extends ChangeBase {
  readonly type: 'SessionStarted';
  readonly session: SessionRecord;
}

/** A later event of an active session. */
export interface SessionUpdatedChange extends ChangeBase {
  readonly type: 'SessionUpdated';
  readonly session: SessionRecord;
  readonly previousPath: string | null;
}

/** A session removed by logout or idle expiry; `session` is its last state. */
export interface SessionEndedChange extends ChangeBase {
  readonly type: 'SessionEnded';
  readonly session: SessionRecord;
  readonly reason: SessionEndReason;
}

interface UserChangeBase extends ChangeBase {
  readonly user: UserRef;
  /** Path of the session that caused it, so path filters can match user events. */
  readonly path: string | null;
}

/** A user's first active session started. */
export interface UserJoinedChange extends UserChangeBase {
  readonly type: 'UserJoined';
}

/** A user's last active session ended. */
export interface UserLeftChange extends UserChangeBase {
  readonly type: 'UserLeft';
  /**
   * True when `eraseUser` ended it: then `user.name` and `path` are null,
   * and path filters let it through, as they can no longer match it.
   * Absent otherwise.
   */
  readonly erased?: true;
}

/** A user joined or left. */
export type UserChange = UserJoinedChange | UserLeftChange;

/** Everything the store publishes, told apart by `type`. */
export type ActivityChange = SessionStartedChange | SessionUpdatedChange | SessionEndedChange | UserChange;

/**
 * A session as its `ERASED` end announces it: ids, times and the event count,
 * none of the personal fields, so that the announcement (published, and kept
 * for resuming) stores nothing of the person again.
 */
export function erasedSession(session: SessionRecord): SessionRecord {
  return { ...session, userName: null, ipAddress: null, path: null, userAgent: null };
}

/** What one `eraseUser` removed (empty when there was nothing left). */
export interface ErasureRecord {
  readonly userId: string;
  /** The active sessions it ended, in the order their `SessionEnded` were published. */
  readonly endedSessions: readonly string[];
  /** History entries about the user it removed. */
  readonly historyEntriesRemoved: number;
}

/** One validated activity event, ready for the store. */
export interface ActivityRecordInput {
  readonly sessionId: string;
  readonly userId: string;
  readonly userName: string | null;
  readonly ipAddress: string | null;
  readonly path: string | null;
  readonly userAgent: string | null;
  /** When the activity happened (already checked against skew and idle window). */
  readonly at: number;
}

/** Narrows users and events; see `ActivityFilter` in the schema. */
export interface ActivityFilter {
  readonly userId?: string | null;
  readonly pathPrefix?: string | null;
}

/** One page of active users, most recently active first. */
export interface ActiveUsersPage {
  readonly edges: readonly { readonly cursor: string; readonly node: ActiveUserRecord }[];
  readonly hasNextPage: boolean;
  readonly endCursor: string | null;
}

/**
 * Why a subscription starts from a snapshot: no cursor was given (`FRESH`),
 * the changes after it are no longer all in the history (`CURSOR_TOO_OLD`),
 * or it belongs to another life of the change log (`OTHER_EPOCH`).
 */
export type ResumeOutcome = 'FRESH' | 'CURSOR_TOO_OLD' | 'OTHER_EPOCH';
