import { loadLua, type LuaScript } from '../redis/lua.js';

/**
 * The Lua side of the Redis leases (`./lua/`, run by `runLua`). A holder's
 * leases are a ZSET whose members are `<process id>/<lease number>`, all
 * scored 0 so that one process's leases form one lexicographic range, and a
 * HASH process id → its number of leases there, so counting costs one call
 * per process, never one per lease. A lease is live while its process is:
 * each process keeps one heartbeat key (`SET … PX ttl`) that every call of
 * its refreshes, so an idle subscriber costs Redis nothing and a process's
 * renewal is one small call, whatever it holds. The leases of a process
 * that stopped renewing lapse with its heartbeat; the scripts that count
 * skip them and an acquire removes them. Each file states its KEYS, ARGV
 * and reply.
 */

const LUA = new URL('./lua/', import.meta.url);
const withHelpers = (body: string): LuaScript => loadLua(LUA, ['helpers.lua', body]);

/** A process's heartbeat, then its releases, restores, acquires and checks, in order (`lua/sync.lua`). */
export const SYNC = withHelpers('sync.lua');
/** Counts a holder's live leases (`lua/count.lua`). */
export const COUNT = withHelpers('count.lua');
