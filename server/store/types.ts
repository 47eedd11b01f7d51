import type {
  ActiveUsersPage,
  ActivityChange,
  ActivityFilter,
  ActivityRecordInput,
  ErasureRecord,
  SessionRecord,
  ResumeOutcome,
  StatsRecord,
} from '../domain/activity.js';

/** What `ActivityStore.activeUsers` and snapshots page by. */
export interface ActiveUsersQuery {
  /** Page size, already bounded by the caller. */
  readonly first: number;
  /** An `endCursor` of an earlier page; an unparsable one throws `InvalidCursorError`. */
  readonly after?: string | null;
  readonly filter?: ActivityFilter | null;
  /**
   * Most sessions listed per user, most recently active first (at least 1,
   * at most `SESSIONS_PER_USER.max`, already bounded by the caller).
   * @defaultValue `SESSIONS_PER_USER.max`
   */
  readonly sessionsPerUser?: number;
}

/** The state a new subscriber starts from, read atomically with its cursor. */
export interface StoreSnapshot {
  /** Cursor of the newest change reflected in `stats` and `page` (0 before any change). */
  readonly cursor: number;
  /** The epoch of the change log that `cursor` counts in (see `server/domain/cursor.ts`). */
  readonly epoch: string;
  readonly stats: StatsRecord;
  readonly page: ActiveUsersPage;
}


/** What `ActivityStore.replay` is asked for. */
export interface ReplayQuery {
  /** The epoch of the cursor to resume from. */
  readonly epoch: string;
  /** Its sequence number: every change after it is wanted. */
  readonly sinceSeq: number;
  /** Most changes to return; when more were missed, the answer is `CURSOR_TOO_OLD`. */
  readonly limit: number;
}

/** What `ActivityStore.replay` answers. */
export type ReplayResult =
  | {
      readonly recovered: true;
      /** Every change after `sinceSeq`, in cursor order, none missing but those `eraseUser` removed. */
      readonly changes: readonly ActivityChange[];
      /** The newest cursor when the history was read (the last change's, or `sinceSeq` when none). */
      readonly cursor: number;
    }
  | { readonly recovered: false; readonly reason: Exclude<ResumeOutcome, 'FRESH'> };

/** How much history a store keeps for `replay`. */
export interface HistoryOptions {
  /** Most changes kept (Redis trims approximately, keeping at least this many). */
  readonly size: number;
  /** A change recorded longer ago than this no longer counts as kept. */
  readonly maxAgeMs: number;
}

/** The history every store keeps unless told otherwise (`HISTORY_SIZE`, `HISTORY_MAX_AGE_MS`): 10000 changes, 10 minutes. */
export const DEFAULT_HISTORY: HistoryOptions = { size: 10_000, maxAgeMs: 600_000 };

/** The state of one event's session right after a `record` batch. */
export interface RecordResult {
  readonly session: SessionRecord;
}

/**
 * The set of active sessions.
 *
 * Guarantees, for every implementation:
 * - Each write (`record`, `endSession`, `expireIdle`, each step of
 *   `eraseUser`) is atomic and publishes each change it makes exactly once,
 *   on the change feed the store was built with, in cursor order. Cursors come from one counter shared by every
 *   process using the same backend, so they are strictly increasing.
 * - Each write also appends its changes to a bounded history in the same
 *   atomic step, so `replay` sees exactly the changes published before it.
 *   The counter belongs to an epoch that changes whenever the log starts
 *   afresh (a new memory store, a flushed Redis), so cursors of an earlier
 *   log are never mistaken for positions in the current one.
 * - When several processes race to end the same session (expiry on two
 *   sweepers, logout during expiry), exactly one of them ends it and
 *   publishes its `SessionEnded` (and `UserLeft`).
 * - Reads never scan all sessions, nor all of one user's: `stats` is
 *   O(log n) and `activeUsers` is O(page), each user's sessions read from an
 *   index ordered by `lastSeen` up to `sessionsPerUser` (a `pathPrefix` filter
 *   may look at more users and sessions, up to `pageScanBound` and
 *   `SESSION_SCAN_BOUND`). Writes cost O(log n) per event, however many
 *   sessions its user holds.
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
  /**
   * Exactly `record` (the same changes, history, figures and refusals),
   * answering only how many events it recorded: for a caller that needs no
   * session back, such as a `recordActivities` that selects `recorded` alone,
   * so that the store neither builds nor sends the sessions.
   */
  recordCount(inputs: readonly ActivityRecordInput[], now: number): Promise<number>;
  /** Ends a session by logout. Resolves with its last state, or null when it was not active. */
  endSession(sessionId: string, now: number): Promise<SessionRecord | null>;
  /**
   * Ends up to `limit` sessions last seen before `cutoff`, publishing
   * `SessionEnded` (reason `IDLE_TIMEOUT`) and `UserLeft` for each.
   * @returns how many sessions this call ended
   */
  expireIdle(cutoff: number, now: number, limit: number): Promise<number>;
  /**
   * Erases a person: ends every active session of `userId` with reason
   * `ERASED` (each `SessionEnded` carrying `erasedSession` (domain/activity.ts)
   * only), then publishes one `UserLeft` with `erased: true`, no name and no
   * path; removes the user's entry and name; and deletes every history entry
   * about the user written up to then (its own announcements are not about
   * the user: a later erasure leaves them). The sessions end in atomic steps
   * (Redis: at most 500 sessions each, so one step never holds Redis for
   * long), each published like any write, in cursor order. Racing calls, on
   * any process, end each session exactly once; a second call finds nothing
   * and answers empty. Replays across it still recover: the removed entries
   * are simply not replayed.
   */
  eraseUser(userId: string, now: number): Promise<ErasureRecord>;
  /**
   * Deletes the history entries written before `cutoff` (the history is the
   * only place an ended session's personal fields remain), so that a quiet
   * deployment keeps nothing past `HISTORY_MAX_AGE_MS` either; the sweeper
   * calls it with a cutoff one sweep early, so nothing outlives the bound
   * between two sweeps. Replays from before what it deleted answer
   * `CURSOR_TOO_OLD`.
   * @returns how many entries it deleted
   */
  trimHistory(cutoff: number): Promise<number>;
  /** Current figures; `topPaths` holds at most `topPathsLimit` entries. */
  stats(now: number, topPathsLimit: number): Promise<StatsRecord>;
  /** One page of active users. */
  activeUsers(query: ActiveUsersQuery): Promise<ActiveUsersPage>;
  /** Stats and a page read atomically together with the newest cursor they reflect. */
  snapshot(query: ActiveUsersQuery, now: number, topPathsLimit: number): Promise<StoreSnapshot>;
  /**
   * Every change after `query.sinceSeq`, read atomically with the newest
   * cursor, when all of them are still in the history: at most
   * `history.size` changes, none trimmed (`trimHistory`), the first written
   * no more than `history.maxAgeMs` before `now`, and no more than
   * `query.limit`; those `eraseUser` removed are left out. Otherwise says why not:
   * `OTHER_EPOCH` when the epoch is not the log's current one (or the log
   * never reached `sinceSeq`), else `CURSOR_TOO_OLD`. Never a partial list.
   */
  replay(query: ReplayQuery, now: number): Promise<ReplayResult>;
  /** Releases what the store holds (not a shared Redis client it was given). */
  close(): Promise<void>;
}

/** Changes as published on the change feed by a store write. */
export type PublishedChanges = readonly ActivityChange[];
