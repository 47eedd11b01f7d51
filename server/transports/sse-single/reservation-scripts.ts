import { loadLua, type LuaScript } from '../../redis/lua.js';

/**
 * The Lua side of the Redis reservations (`./lua/`, run by `runLua`); each
 * script is one atomic step, so a connect and an operation sent at the same
 * moment are ordered: the operation is queued before the connect (which
 * takes it) or sees the holder after it. Keys (built by `redisKeys().reservations`):
 * - reservation HASH `owner`, `holder` ('' while pending); expires after the
 *   reservation TTL while pending, after the stream TTL (renewed by the
 *   holder) once connected;
 * - operations HASH operation id → operation JSON, and order LIST of ids:
 *   what was sent while pending, expiring with the reservation;
 * - pending ZSET per owner, token → expiry (ms, Redis time): the bound,
 *   and what decides whether a pending reservation still lives;
 * - streams ZSET per owner, token → expiry (ms, Redis time) of each
 *   connected stream, pushed on by its holder's renewals: the bound on
 *   connected streams, where a crashed process's streams lapse by score.
 * Each file states its KEYS, ARGV and reply.
 */

const LUA = new URL('./lua/', import.meta.url);
/** A script that reads Redis's clock first (`now`). */
const timed = (...names: string[]): LuaScript => loadLua(LUA, ['now.lua', ...names]);
/** A script on one token that answers `unknown` for a token of another owner or a lapsed one, before anything is touched. */
const owned = (...names: string[]): LuaScript => timed('owned.lua', ...names);

/** Adds a pending reservation unless its owner has the most (`lua/reserve.lua`). */
export const RESERVE = timed('reserve.lua');
/** Connects a pending reservation and takes what was queued on it (`lua/connect.lua`). */
export const CONNECT = owned('keep-stream.lua', 'connect.lua');
/** Queues an operation on a pending reservation, or names its holder (`lua/submit.lua`). */
export const SUBMIT = owned('submit.lua');
/** Cancels a queued operation, or names the holder (`lua/cancel.lua`). */
export const CANCEL = owned('cancel.lua');
/** Forgets a connected reservation its holder ends (`lua/release.lua`). */
export const RELEASE = loadLua(LUA, ['release.lua']);
/** Renews the records of one process's connected streams (`lua/renew.lua`). */
export const RENEW = timed('keep-stream.lua', 'renew.lua');
/** Counts an owner's pending reservations or connected streams that have not expired (`lua/live-count.lua`). */
export const LIVE_COUNT = timed('live-count.lua');
