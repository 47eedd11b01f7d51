import { SESSIONS_PER_USER, type ActivityRecordInput, type SessionRecord } from '../domain/activity.js';
import { SessionUserMismatchError } from '../core/errors.js';
import type { PublishCommand, StoreKeys } from '../redis/keys.js';
import type { LuaClient } from '../redis/lua.js';
import { decodePageCursor, pageScanBound } from './paging.js';
import { endSessionsOf, eraseHistoryOf, expireIdleOf, trimAll } from './redis-bounded-calls.js';
import { bindStoreScripts, type ScriptPageQuery } from './redis-scripts.js';
import {
  MalformedReplyError,
  parseEndReply,
  parsePageReply,
  parseRecordReply,
  parseReplayReply,
  parseSnapshotReply,
  parseStatsReply,
  type PartitionReplayReply,
  type WriteReply,
} from './redis-replies.js';
import { DEFAULT_HISTORY, type ActiveUsersQuery, type ActivityStore, type HistoryOptions, type RecordResult } from './types.js';

/** Options of {@link createRedisStore}. */
export interface RedisStoreOptions {
  /** A command connection (one Redis, or a Cluster client), shared with others: the store never quits it. */
  readonly redis: LuaClient;
  /** Its keys and change channel: `redisKeys(prefix)`, or one partition's of `partitionKeys`. */
  readonly keys: StoreKeys;
  /** How the scripts publish: `SPUBLISH` on a Redis Cluster. @defaultValue 'PUBLISH' */
  readonly publish?: PublishCommand;
  /** Told how many changes each write's script published (for metrics). @defaultValue ignore */
  readonly onPublished?: (count: number) => void;
  /** How much history `replay` can serve (the stream `keys.history`). @defaultValue 10000 changes, 10 minutes */
  readonly history?: HistoryOptions;
}

/**
 * The shared store: every write is one Lua script that applies the change,
 * takes its cursors from `INCR keys.seq` and publishes the changes (PUBLISH, or SPUBLISH on a Cluster) on
 * `keys.changesChannel` itself, so publish order is cursor order across all
 * processes and a change is published exactly once, by the writer, or not at
 * all. Reads are one script each, so a page (and a snapshot's stats and
 * cursor) describe one moment.
 *
 * Semantics, identical to the memory store's (one contract suite checks both):
 * - A new session emits `SessionStarted`, then `UserJoined` when it is the
 *   user's only active session. Ending one emits `SessionEnded`, then
 *   `UserLeft` when it was the user's last.
 * - An event older than its session's `lastSeen` only counts (eventCount);
 *   the latest event's non-null fields overwrite the session's. The user's
 *   name follows their latest event that names them.
 * - Page cursors are base64url of `${lastSeen}:${userId}` (see ./paging.ts).
 * - The expiry index holds when each session started, not when it was last
 *   seen (a write per event saved); `expireIdle` repairs the entries it
 *   finds below the cutoff before ending any (see ./lua/expire.lua).
 * - The same script that publishes a write's changes appends them to the
 *   stream `keys.history` (id = cursor), and `replay` is one script too, so a
 *   replay sees a write whole or not at all. The epoch lives in `keys.epoch`;
 *   a flushed Redis loses it with the counter, and the next read draws a new one.
 * - Each history entry names the user it is about (field `user`), except an
 *   erasure's announcements, so `eraseUser` can XDEL that user's entries;
 *   a replay skips such holes. Entries older than `history.maxAgeMs` go by
 *   `trimHistory` (the sweeper), and the whole stream expires that long after
 *   the last write, for when no process sweeps; `keys.historyFloor` keeps the
 *   highest cursor lost either way, below which a replay answers `CURSOR_TOO_OLD`.
 *
 * Every call rejects with the Redis error when Redis fails; a script that
 * fails before writing leaves nothing behind.
 */
export function createRedisStore(options: RedisStoreOptions): ActivityStore {
  return createRedisPartition(options).store;
}

/**
 * One partition of a partitioned store (./partitioned.ts): a whole
 * one-partition store, plus the reads a merge across partitions needs.
 */
export interface RedisPartition {
  readonly store: ActivityStore;
  /** `replay` of this partition's log whatever its epoch, answering the epoch too (the caller checks all partitions' at once). */
  replayAnyEpoch(since: number, limit: number, now: number): Promise<PartitionReplayReply>;
}

/** Builds a {@link RedisPartition}: {@link createRedisStore}'s store and the extra reads, on one binding of the scripts. */
export function createRedisPartition({ redis, keys, publish = 'PUBLISH', onPublished = () => {}, history = DEFAULT_HISTORY }: RedisStoreOptions): RedisPartition {
  const scripts = bindStoreScripts(redis, keys, history, publish);
  // Each write script answers how many changes it published, so this process can count its own writes.
  const published = <T>(reply: WriteReply<T>): T => {
    if (reply.published > 0) onPublished(reply.published);
    return reply.value;
  };
  // A refused batch wrote nothing; a recorded one reports what it published.
  const recorded = (raw: unknown): { readonly sessions: SessionRecord[] | null } => {
    const reply = parseRecordReply(raw);
    if ('mismatch' in reply) throw new SessionUserMismatchError(reply.mismatch);
    return published({ published: reply.published, value: reply });
  };
  const store = {
    partitions: 1,
    record: async (inputs, now) => {
      if (inputs.length === 0) return [];
      const { sessions } = recorded(await scripts.record(encodeRows(inputs), now, true));
      if (sessions === null) throw new MalformedReplyError('record reply: the sessions asked for are missing');
      return sessions.map((session): RecordResult => ({ session }));
    },
    recordCount: async (inputs, now) => {
      if (inputs.length === 0) return 0;
      recorded(await scripts.record(encodeRows(inputs), now, false));
      return inputs.length;
    },
    endSession: async (sessionId, now) => published(parseEndReply(await scripts.endSession(sessionId, now))),
    expireIdle: (cutoff, now, limit) => expireIdleOf(scripts, published, cutoff, now, limit),
    eraseUser: async (userId, now) => {
      const { ended, cursor } = await endSessionsOf(scripts, published, userId, now);
      return { userId, endedSessions: ended, historyEntriesRemoved: await eraseHistoryOf(scripts, userId, cursor) };
    },
    trimHistory: async (cutoff) => trimAll(scripts, cutoff),
    stats: async (now, topPathsLimit) => parseStatsReply(await scripts.stats(now, topPathsLimit)),
    activeUsers: async (query) => parsePageReply(await scripts.activeUsers(scriptQuery(query))),
    snapshot: async (query, now, topPathsLimit) =>
      parseSnapshotReply(await scripts.snapshot(scriptQuery(query), now, topPathsLimit)),
    replay: async ({ epoch, since, limit }, now) => {
      // A position of another length was issued by a deployment with another partition count.
      if (since.length !== 1 || epoch === '') return { recovered: false, reason: 'OTHER_EPOCH' };
      return parseReplayReply(await scripts.replay(epoch, since[0] as number, limit, now)).result;
    },
    // The client is shared and its scripts are reused by the next store on it: nothing to release.
    close: async () => {},
  } satisfies ActivityStore;
  return {
    store,
    replayAnyEpoch: async (since, limit, now) => parseReplayReply(await scripts.replay('', since, limit, now)),
  };
}

/**
 * The batch as record.lua reads it: one JSON array per event, its fields in a
 * fixed order (absent ones null), `at` as decimal text (the script stores and
 * publishes times as the text they arrive as). Arrays rather than objects:
 * no field names to send, nor for Lua to hash.
 */
function encodeRows(inputs: readonly ActivityRecordInput[]): string {
  return JSON.stringify(
    inputs.map(({ sessionId, userId, userName, ipAddress, path, userAgent, at }) => [sessionId, userId, userName, ipAddress, path, userAgent, String(at)]),
  );
}

/** Decodes the cursor here (throwing `InvalidCursorError` before any Redis call) and normalises the filter. */
function scriptQuery({ first, after, filter, sessionsPerUser = SESSIONS_PER_USER.max }: ActiveUsersQuery): ScriptPageQuery {
  return {
    sessionsPerUser,
    first,
    bound: pageScanBound(first),
    after: after ? decodePageCursor(after) : null,
    userId: filter?.userId || null,
    pathPrefix: filter?.pathPrefix || null,
  };
}
