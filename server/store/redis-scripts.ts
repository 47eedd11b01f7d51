import { readFileSync } from 'node:fs';
import { newEpoch } from '../domain/cursor.js';
import type { ClientContext, Redis, Result } from 'ioredis';
import { MINUTE_HISTORY_LENGTH } from '../domain/activity.js';
import type { RedisKeys } from '../redis/keys.js';
import { SESSION_SCAN_BOUND } from './paging.js';

/**
 * The Redis store's Lua scripts, registered with `defineCommand` (EVALSHA,
 * falling back to EVAL once per connection). Each script is a few Lua files
 * joined after one line of constants shared with this file (the counter
 * windows): `store.lua` (keys, sessions, change log), optionally a library,
 * and its own body. Every script takes the same five keys and three arguments
 * first (see {@link StoreScripts}), then its own, then the same two keys
 * (epoch, history) and two arguments (a fresh epoch candidate, the history
 * size) last, where store.lua finds them whatever the script's own count.
 */

type Arg = string | number;

declare module 'ioredis' {
  // Typed entry points of the commands defined below; the replies are parsed by redis-replies.ts.
  interface RedisCommander<Context extends ClientContext = { type: 'default' }> {
    pulseStoreRecord(...args: Arg[]): Result<unknown, Context>;
    pulseStoreEndSession(...args: Arg[]): Result<unknown, Context>;
    pulseStoreExpireIdle(...args: Arg[]): Result<unknown, Context>;
    pulseStoreStats(...args: Arg[]): Result<unknown, Context>;
    pulseStoreActiveUsers(...args: Arg[]): Result<unknown, Context>;
    pulseStoreSnapshot(...args: Arg[]): Result<unknown, Context>;
    pulseStoreReplay(...args: Arg[]): Result<unknown, Context>;
  }
}

/** Seconds `eventsLastMinute` spans: one counter key per second. */
const WINDOW_SECONDS = 60;
const COMMON_KEYS = 5;
/** The epoch key and the history stream, after each script's own keys. */
const TAIL_KEYS = 2;
/** What stats read after the common keys: every per-second counter, then every per-minute one. */
const COUNTER_KEYS = WINDOW_SECONDS + MINUTE_HISTORY_LENGTH;
/** Prepended to every script, so the Lua counts the same windows as the keys passed to it and scans as far as the memory store. */
const LUA_CONSTANTS = [
  `local WINDOW_SECONDS, MINUTE_HISTORY_LENGTH = ${WINDOW_SECONDS}, ${MINUTE_HISTORY_LENGTH}`,
  `local SESSION_SCAN_BOUND = ${SESSION_SCAN_BOUND}`,
].join('\n');

const SCRIPTS = {
  pulseStoreRecord: { files: ['record.lua'], keys: COMMON_KEYS + 2 + TAIL_KEYS },
  pulseStoreEndSession: { files: ['end-session.lua', 'end.lua'], keys: COMMON_KEYS + TAIL_KEYS },
  pulseStoreExpireIdle: { files: ['end-session.lua', 'expire.lua'], keys: COMMON_KEYS + TAIL_KEYS },
  pulseStoreStats: { files: ['read.lua', 'stats.lua'], keys: COMMON_KEYS + COUNTER_KEYS + TAIL_KEYS },
  pulseStoreActiveUsers: { files: ['read.lua', 'active-users.lua'], keys: COMMON_KEYS + TAIL_KEYS },
  pulseStoreSnapshot: { files: ['read.lua', 'snapshot.lua'], keys: COMMON_KEYS + COUNTER_KEYS + TAIL_KEYS },
  pulseStoreReplay: { files: ['replay.lua'], keys: COMMON_KEYS + TAIL_KEYS },
} as const;

const luaSource = (file: string): string => readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8');

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
  record(inputsJson: string, now: number): Promise<unknown>;
  endSession(sessionId: string, now: number): Promise<unknown>;
  expireIdle(cutoff: number, now: number, limit: number): Promise<unknown>;
  stats(now: number, topPathsLimit: number): Promise<unknown>;
  activeUsers(query: ScriptPageQuery): Promise<unknown>;
  snapshot(query: ScriptPageQuery, now: number, topPathsLimit: number): Promise<unknown>;
  replay(epoch: string, sinceSeq: number, limit: number, now: number, maxAgeMs: number): Promise<unknown>;
}

/**
 * Defines the store's commands on `redis` (idempotent: the same name always
 * gets the same script) and binds them to `keys`.
 * @throws when a Lua file is missing, or a key of `keys` is not a prefix followed by its id
 */
export function defineStoreScripts(redis: Redis, keys: RedisKeys, historySize: number): StoreScripts {
  for (const [name, { files, keys: numberOfKeys }] of Object.entries(SCRIPTS)) {
    redis.defineCommand(name, { numberOfKeys, lua: [LUA_CONSTANTS, ...['store.lua', ...files].map(luaSource)].join('\n') });
  }
  const head: Arg[] = [
    keys.seq,
    keys.sessionsByLastSeen,
    keys.usersByLastSeen,
    keys.userNames,
    keys.pathCounts,
    keys.changesChannel,
    keyBase(keys.session),
    keyBase(keys.userSessions),
  ];
  // A new candidate per call: a process that saw a flush must not bring back the epoch it drew before it.
  const withKeys = (extraKeys: readonly string[], args: readonly Arg[]): Arg[] => [
    ...head.slice(0, COMMON_KEYS),
    ...extraKeys,
    keys.epoch,
    keys.history,
    ...head.slice(COMMON_KEYS),
    ...args,
    newEpoch(),
    historySize,
  ];
  const window = (now: number): string[] => [...eventWindowKeys(keys, now), ...minuteHistoryKeys(keys, now)];
  const counters = (now: number): string[] => [keys.eventsInSecond(epochSecond(now)), keys.eventsInMinute(epochMinute(now))];
  return {
    record: (inputsJson, now) => redis.pulseStoreRecord(...withKeys(counters(now), [inputsJson, now])),
    endSession: (sessionId, now) => redis.pulseStoreEndSession(...withKeys([], [sessionId, now])),
    expireIdle: (cutoff, now, limit) => redis.pulseStoreExpireIdle(...withKeys([], [cutoff, now, limit])),
    stats: (now, topPathsLimit) => redis.pulseStoreStats(...withKeys(window(now), [now, topPathsLimit])),
    activeUsers: (query) => redis.pulseStoreActiveUsers(...withKeys([], pageArgs(query))),
    snapshot: (query, now, topPathsLimit) =>
      redis.pulseStoreSnapshot(...withKeys(window(now), [now, topPathsLimit, ...pageArgs(query)])),
    replay: (epoch, sinceSeq, limit, now, maxAgeMs) => redis.pulseStoreReplay(...withKeys([], [epoch, sinceSeq, limit, now, maxAgeMs])),
  };
}

function pageArgs({ first, bound, after, userId, pathPrefix, sessionsPerUser }: ScriptPageQuery): Arg[] {
  return [first, bound, after?.lastSeen ?? '', after?.userId ?? '', userId ?? '', pathPrefix ?? '', sessionsPerUser];
}

function epochSecond(ms: number): number {
  return Math.floor(ms / 1000);
}

function epochMinute(ms: number): number {
  return Math.floor(ms / 60_000);
}

/** The counter keys of the 60 seconds up to and including the second of `now`. */
function eventWindowKeys(keys: RedisKeys, now: number): string[] {
  const second = epochSecond(now);
  return Array.from({ length: WINDOW_SECONDS }, (_, i) => keys.eventsInSecond(second - i));
}

/** The counter keys of the last 30 minutes, oldest first (the order of `eventsPerMinute`), ending with the minute of `now`. */
function minuteHistoryKeys(keys: RedisKeys, now: number): string[] {
  const oldest = epochMinute(now) - MINUTE_HISTORY_LENGTH + 1;
  return Array.from({ length: MINUTE_HISTORY_LENGTH }, (_, i) => keys.eventsInMinute(oldest + i));
}

/**
 * The part of a per-id key before the id, so the scripts can build the keys
 * of the sessions and users they meet. Checked, because the scripts would
 * otherwise silently write to keys nothing else reads.
 */
function keyBase(keyOf: (id: string) => string): string {
  const probe = keyOf('\u0000');
  const base = probe.slice(0, -1);
  if (!probe.endsWith('\u0000') || keyOf('x') !== `${base}x`) throw new Error('store scripts need keys of the form prefix + id');
  return base;
}
