import { newEpoch } from '../domain/cursor.js';
import { epochMinute, epochSecond, MINUTE_HISTORY_LENGTH, SECOND_WINDOW_LENGTH } from '../domain/activity.js';
import type { PublishCommand, StoreKeys } from '../redis/keys.js';
import { loadLua, runLua, type LuaClient, type LuaScript } from '../redis/lua.js';
import { SESSION_SCAN_BOUND } from './paging.js';
import type { HistoryOptions } from './types.js';

/**
 * The Redis store's Lua scripts (`./lua/`, run by `runLua`). Each script is
 * a few Lua files joined after one line of constants shared with this file
 * (the counter windows): `store.lua` (keys, sessions, change log),
 * optionally a library, and its own body. Every script takes the same five
 * keys and three arguments first (see {@link StoreScripts}), then its own,
 * then the same three keys (epoch, history, history floor) and four
 * arguments (the publish command, a fresh epoch candidate, the history
 * size, its max age) last, where store.lua finds them whatever the script's
 * own count. Every key of a call belongs to one partition (one hash tag),
 * so a Cluster client routes it to that partition's master.
 */

type Arg = string | number;

/** Prepended to every script, so the Lua counts the same windows as the keys passed to it and scans as far as the memory store. */
const LUA_CONSTANTS = [
  `local WINDOW_SECONDS, MINUTE_HISTORY_LENGTH = ${SECOND_WINDOW_LENGTH}, ${MINUTE_HISTORY_LENGTH}`,
  `local SESSION_SCAN_BOUND = ${SESSION_SCAN_BOUND}`,
].join('\n');

const LUA = new URL('./lua/', import.meta.url);
const storeScript = (...names: string[]): LuaScript => loadLua(LUA, ['store.lua', ...names], LUA_CONSTANTS);

// Read once per process, when the store's module loads.
const RECORD = storeScript('record.lua');
const END_SESSION = storeScript('end-session.lua', 'end.lua');
const EXPIRE_IDLE = storeScript('end-session.lua', 'expire.lua');
const STATS = storeScript('read.lua', 'stats.lua');
const ACTIVE_USERS = storeScript('read.lua', 'active-users.lua');
const SNAPSHOT = storeScript('read.lua', 'snapshot.lua');
const REPLAY = storeScript('replay.lua');
const TRIM_HISTORY = storeScript('trim-history.lua');
const ERASE = storeScript('end-session.lua', 'erase.lua');
const ERASE_HISTORY = storeScript('erase-history.lua');
const PATH_SCORES = storeScript('path-scores.lua');
const STATS_FOR_MERGE = storeScript('read.lua', 'stats-for-merge.lua');
const PATH_LIST = storeScript('read.lua', 'path-list.lua');
const PAGE_KEYS = storeScript('read.lua', 'page-keys.lua');

/** A page query as the read scripts take it (`pageQuery` in read.lua). */
export interface ScriptPageQuery {
  readonly first: number;
  readonly bound: number;
  readonly after: { readonly lastSeen: number; readonly userId: string } | null;
  readonly userId: string | null;
  readonly pathPrefix: string | null;
  /** Most sessions listed per user. */
  readonly sessionsPerUser: number;
}

/** The scripts bound to one client and one key set. Replies are raw; parse them with redis-replies.ts. */
export interface StoreScripts {
  /** `rowsJson`: the batch as record.lua reads it; `sessions`: whether to answer each event's session. */
  record(rowsJson: string, now: number, sessions: boolean): Promise<unknown>;
  endSession(sessionId: string, now: number): Promise<unknown>;
  /** One bounded step of `expireIdle`: repairs at most `repairBound` index entries (see expire.lua). */
  expireIdle(cutoff: number, now: number, limit: number, repairBound: number): Promise<unknown>;
  stats(now: number, topPathsLimit: number): Promise<unknown>;
  activeUsers(query: ScriptPageQuery): Promise<unknown>;
  snapshot(query: ScriptPageQuery, now: number, topPathsLimit: number): Promise<unknown>;
  /** `epoch` '' replays whatever the log's epoch, naming it in the reply. */
  replay(epoch: string, sinceSeq: number, limit: number, now: number): Promise<unknown>;
  /** The partition's session count on each of `paths`. */
  pathScores(paths: readonly string[]): Promise<unknown>;
  /** The figures (no topPaths) and the path list of a merge's first round: whole up to `whole` paths, else the `depth` busiest. */
  statsForMerge(now: number, depth: number, whole: number): Promise<unknown>;
  /** The path list of a merge's deeper round: whole up to `whole` paths (or when `depth` reaches them all), else the `depth` busiest. */
  pathList(depth: number, whole: number): Promise<unknown>;
  /** The positions (lastSeen, userId) of the next `count` active users strictly after `after`, loading none of them. */
  pageKeys(count: number, after: { readonly lastSeen: number; readonly userId: string } | null): Promise<unknown>;
  /** One bounded step of `trimHistory`: looks at no more than `budget` entries. */
  trimHistory(cutoff: number, budget: number): Promise<unknown>;
  /** One bounded step of `eraseUser`'s session ends: at most `limit` sessions. */
  erase(userId: string, now: number, limit: number): Promise<unknown>;
  /** One bounded step of `eraseUser`'s history walk: `count` entries from cursor `from`, none past `through`. */
  eraseHistory(userId: string, from: number, through: number, count: number): Promise<unknown>;
}

/**
 * Binds the store's scripts to `redis` and `keys`.
 * @throws when a key of `keys` is not a prefix followed by its id
 */
export function bindStoreScripts(redis: LuaClient, keys: StoreKeys, history: HistoryOptions, publish: PublishCommand = 'PUBLISH'): StoreScripts {
  const commonKeys = [keys.seq, keys.sessionsByLastSeen, keys.usersByLastSeen, keys.userNames, keys.pathCounts];
  // The channel, then the bases store.lua builds each session's and user's keys from (see keyBase).
  const commonArgs = [keys.changesChannel, keyBase(keys.session), keyBase(keys.userSessions)];
  // The epoch key, the history stream and its floor come after each script's own keys, where store.lua finds them.
  const run = (script: LuaScript, ownKeys: readonly string[], args: readonly Arg[]): Promise<unknown> =>
    runLua(redis, script, [...commonKeys, ...ownKeys, keys.epoch, keys.history, keys.historyFloor], [
      ...commonArgs,
      ...args,
      publish,
      // A new candidate per call: a process that saw a flush must not bring back the epoch it drew before it.
      newEpoch(),
      history.size,
      history.maxAgeMs,
    ]);
  const window = (now: number): string[] => [...eventWindowKeys(keys, now), ...minuteHistoryKeys(keys, now)];
  const counters = (now: number): string[] => [keys.eventsInSecond(epochSecond(now)), keys.eventsInMinute(epochMinute(now))];
  return {
    record: (rowsJson, now, sessions) => run(RECORD, counters(now), [rowsJson, now, sessions ? '1' : '0']),
    endSession: (sessionId, now) => run(END_SESSION, [], [sessionId, now]),
    expireIdle: (cutoff, now, limit, repairBound) => run(EXPIRE_IDLE, [], [cutoff, now, limit, repairBound]),
    stats: (now, topPathsLimit) => run(STATS, window(now), [now, topPathsLimit]),
    activeUsers: (query) => run(ACTIVE_USERS, [], pageArgs(query)),
    snapshot: (query, now, topPathsLimit) => run(SNAPSHOT, window(now), [now, topPathsLimit, ...pageArgs(query)]),
    replay: (epoch, sinceSeq, limit, now) => run(REPLAY, [], [epoch, sinceSeq, limit, now]),
    trimHistory: (cutoff, budget) => run(TRIM_HISTORY, [], [cutoff, budget]),
    erase: (userId, now, limit) => run(ERASE, [], [userId, now, limit]),
    eraseHistory: (userId, from, through, count) => run(ERASE_HISTORY, [], [userId, from, through, count]),
    pathScores: (paths) => run(PATH_SCORES, [], paths),
    statsForMerge: (now, depth, whole) => run(STATS_FOR_MERGE, window(now), [now, depth, whole]),
    pathList: (depth, whole) => run(PATH_LIST, [], [depth, whole]),
    pageKeys: (count, after) => run(PAGE_KEYS, [], [count, after?.lastSeen ?? '', after?.userId ?? '']),
  };
}

function pageArgs({ first, bound, after, userId, pathPrefix, sessionsPerUser }: ScriptPageQuery): Arg[] {
  return [first, bound, after?.lastSeen ?? '', after?.userId ?? '', userId ?? '', pathPrefix ?? '', sessionsPerUser];
}

/** The counter keys of the 60 seconds up to and including the second of `now`, oldest first (the order of `eventsPerSecond`). */
function eventWindowKeys(keys: StoreKeys, now: number): string[] {
  const oldest = epochSecond(now) - SECOND_WINDOW_LENGTH + 1;
  return Array.from({ length: SECOND_WINDOW_LENGTH }, (_, i) => keys.eventsInSecond(oldest + i));
}

/** The counter keys of the last 30 minutes, oldest first (the order of `eventsPerMinute`), ending with the minute of `now`. */
function minuteHistoryKeys(keys: StoreKeys, now: number): string[] {
  const oldest = epochMinute(now) - MINUTE_HISTORY_LENGTH + 1;
  return Array.from({ length: MINUTE_HISTORY_LENGTH }, (_, i) => keys.eventsInMinute(oldest + i));
}

/**
 * The part of a per-id key before the id, so the scripts can build the keys
 * of the sessions and users they meet. Checked, because the scripts would
 * otherwise silently write to keys nothing else reads. Those keys are not
 * in KEYS (which ones a write touches is only known inside the script), so
 * on a Redis Cluster they rely on sharing their partition's tag with the
 * script's KEYS: the same slot, which Redis serves to the script (the
 * cluster suites check it on a real cluster).
 */
function keyBase(keyOf: (id: string) => string): string {
  const probe = keyOf('\u0000');
  const base = probe.slice(0, -1);
  if (!probe.endsWith('\u0000') || keyOf('x') !== `${base}x`) throw new Error('store scripts need keys of the form prefix + id');
  return base;
}
