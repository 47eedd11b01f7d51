import type {
  ActiveUserRecord,
  ActivityChange,
  ActivityFilter,
  ActivityRecordInput,
  SessionRecord,
  StatsRecord,
} from '../domain/activity.js';

/** One page of active users, most recently active first. */
export interface ActiveUsersPage {
  readonly edges: readonly { readonly cursor: string; readonly node: ActiveUserRecord }[];
  readonly hasNextPage: boolean;
  readonly endCursor: string | null;
}

/** What `ActivityStore.activeUsers` and snapshots page by. */
export interface ActiveUsersQuery {
  /** Page size, already bounded by the caller. */
  readonly first: number;
  /** An `endCursor` of an earlier page; an unparsable one throws `InvalidCursorError`. */
  readonly after?: string | null;
  readonly filter?: ActivityFilter | null;
}

/** The state a new subscriber starts from, read atomically with its cursor. */
export interface StoreSnapshot {
  /** Cursor of the newest change reflected in `stats` and `page` (0 before any change). */
  readonly cursor: number;
  readonly stats: StatsRecord;
  readonly page: ActiveUsersPage;
}

/** The state of one event's session right after a `record` batch. */
export interface RecordResult {
  readonly session: SessionRecord;
}

/**
 * The set of active sessions.
 *
 * Guarantees, for every implementation:
 * - Each write (`record`, `endSession`, `expireIdle`) is atomic and publishes
 *   each change it makes exactly once, on the event bus the store was built
 *   with, in cursor order. Cursors come from one counter shared by every
 *   process using the same backend, so they are strictly increasing.
 * - When several processes race to end the same session (expiry on two
 *   sweepers, logout during expiry), exactly one of them ends it and
 *   publishes its `SessionEnded` (and `UserLeft`).
 * - Reads never scan all sessions: `stats` is O(log n) and `activeUsers` is
 *   O(page) (a `pathPrefix` filter may look at more users, up to a bound).
 * - A failure of the backend rejects the call; nothing is half-written.
 */
export interface ActivityStore {
  /**
   * Applies a batch of events in order, all or nothing. Throws
   * `SessionUserMismatchError` (and writes nothing) when an event names a
   * session that belongs to another user.
   * @param now - receipt time, counted by `eventsLastMinute`
   */
  record(inputs: readonly ActivityRecordInput[], now: number): Promise<RecordResult[]>;
  /** Ends a session by logout. Resolves with its last state, or null when it was not active. */
  endSession(sessionId: string, now: number): Promise<SessionRecord | null>;
  /**
   * Ends up to `limit` sessions last seen before `cutoff`, publishing
   * `SessionEnded` (reason `IDLE_TIMEOUT`) and `UserLeft` for each.
   * @returns how many sessions this call ended
   */
  expireIdle(cutoff: number, now: number, limit: number): Promise<number>;
  /** Current figures; `topPaths` holds at most `topPathsLimit` entries. */
  stats(now: number, topPathsLimit: number): Promise<StatsRecord>;
  /** One page of active users. */
  activeUsers(query: ActiveUsersQuery): Promise<ActiveUsersPage>;
  /** Stats and a page read atomically together with the newest cursor they reflect. */
  snapshot(query: ActiveUsersQuery, now: number, topPathsLimit: number): Promise<StoreSnapshot>;
  /** Releases what the store holds (not a shared Redis client it was given). */
  close(): Promise<void>;
}

/** Changes as published on the bus by a store write. */
export type PublishedChanges = readonly ActivityChange[];
