import type { Position } from '../domain/cursor.js';
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

/**
 * The state a new subscriber starts from, read with its position: each
 * partition's part atomically with that partition's cursor.
 */
export interface StoreSnapshot {
  /** Per partition, the cursor of the newest change reflected in `stats` and `page` (0 before any change). */
  readonly cursor: Position;
  /** The epoch of the change log that `cursor` counts in (`combinedEpoch` of the partitions', see `server/domain/cursor.ts`). */
  readonly epoch: string;
  readonly stats: StatsRecord;
  readonly page: ActiveUsersPage;
}


/** What `ActivityStore.replay` is asked for. */
export interface ReplayQuery {
  /** The epoch of the cursor to resume from. */
  readonly epoch: string;
  /** Its position: every change after it, in every partition, is wanted. A length other than `partitions` is `OTHER_EPOCH`. */
  readonly since: Position;
  /** Most changes to return; when more were missed, the answer is `CURSOR_TOO_OLD`. */
  readonly limit: number;
}

/** What `ActivityStore.replay` answers. */
export type ReplayResult =
  | {
      readonly recovered: true;
      /**
       * Every change after `since`, in cursor order within each partition
       * (and carrying its `partition` when there are several), none missing
       * but those `eraseUser` removed.
       */
      readonly changes: readonly ActivityChange[];
      /** Per partition, the newest cursor when its history was read (its last change's, or its `since` when none). */
      readonly cursor: Position;
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
 *   `eraseUser`) is atomic within a partition and publishes each change it
 *   makes exactly once, on the change feed the store was built with, in
 *   cursor order within its partition. Cursors come from one counter per
 *   partition shared by every process using the same backend, so they are
 *   strictly increasing within a partition; a change's `partition` says
 *   which (see server/domain/cursor.ts). Memory and one Redis have one
 *   partition by default; a partitioned Redis store (./partitioned.ts) has
 *   `partitions` of them, a user's data all in one.
 * - Each write also appends its changes to its partition's bounded history
 *   in the same atomic step, so `replay` sees exactly the changes published
 *   before it. Each partition's counter belongs to an epoch that changes
 *   whenever its log starts afresh (a new memory store, a flushed Redis, a
 *   master restarted empty), and positions carry the combination of every
 *   partition's epoch, so cursors of an earlier log are never mistaken for
 *   positions in the current one.
 * - When several processes race to end the same session (expiry on two
 *   sweepers, logout during expiry), exactly one of them ends it and
 *   publishes its `SessionEnded` (and `UserLeft`).
 * - Reads never scan all sessions, nor all of one user's: `stats` is
 *   O(log n) and `activeUsers` is O(page) per partition (merged at
 *   O(partitions × page)), each user's sessions read from an index ordered
 *   by `lastSeen` up to `sessionsPerUser` (a `pathPrefix` filter may look at
 *   more users and sessions, up to `pageScanBound` and `SESSION_SCAN_BOUND`
 *   per partition). Writes cost O(log n) per event, however many sessions
 *   its user holds. Merged `topPaths` are exact; see ./merge-stats.ts for
 *   their cost when counts tie across many paths.
 * - A failure of the backend rejects the call; nothing is half-written
 *   within a partition (a call spanning partitions may have completed in
 *   some of them).
 *
 * Across partitions (several only; one partition is exactly one store):
 * - A session belongs to its user's partition. `record` splits a batch by
 *   partition and applies each part atomically, in parallel. A mismatch is
 *   found within a batch (a session named for two users) and against the
 *   sessions stored in the user's partition; a session id stored for a user
 *   of another partition is not seen, and names a distinct session.
 *   When any part is refused, the call throws `PartitionedMismatchError`
 *   (a `SessionUserMismatchError`) with every refused index of the whole
 *   batch: the refusing partitions wrote nothing, the others recorded and
 *   published their parts (the error says how many events). Not
 *   all-or-nothing across partitions: that would take a second round trip
 *   per batch, or a lock, on every write.
 * - `endSession` asks every partition; `expireIdle` spreads its limit over
 *   the partitions that still hold idle sessions, so it answers fewer than
 *   `limit` only when none is left anywhere.
 * - A snapshot is atomic per partition: its position names, for each
 *   partition, the change its part reflects.
 * - `replay` recovers only when every partition can (same epochs, each
 *   history holding what it missed, `limit` counted over all of them).
 */
export interface ActivityStore {
  /**
   * How many partitions the change log has (1 in memory and, by default, on
   * one Redis): the length of every `Position` this store reads or answers.
   */
  readonly partitions: number;
  /**
   * Applies a batch of events in order, all or nothing (per partition: see
   * above). Throws `SessionUserMismatchError` (and writes nothing of the
   * refusing partition's part) when an event names a session that belongs
   * to another user.
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
   * Every change after `query.since`, each partition's read atomically with
   * its newest cursor, when all of them are still in the history: in each
   * partition at most `history.size` changes, none trimmed (`trimHistory`),
   * the first written no more than `history.maxAgeMs` before `now`; and no
   * more than `query.limit` in all; those `eraseUser` removed are left out.
   * Otherwise says why not: `OTHER_EPOCH` when the position has another
   * length than `partitions`, when the epoch is not the log's current one,
   * or when a partition never reached its entry of `since`; else
   * `CURSOR_TOO_OLD`. Never a partial list.
   */
  replay(query: ReplayQuery, now: number): Promise<ReplayResult>;
  /** Releases what the store holds (not a shared Redis client it was given). */
  close(): Promise<void>;
}

/** Changes as published on the change feed by a store write. */
export type PublishedChanges = readonly ActivityChange[];
