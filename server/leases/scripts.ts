import { loadLua, type LuaScript } from '../redis/lua.js';

/**
 * The Lua side of the Redis leases (`./lua/`, run by `runLua`). A holder's
 * leases are a ZSET whose members are `<process id>/<lease id>`, all scored
 * 0 so that one process's leases form one lexicographic range, and a HASH
 * process id → its number of leases there, so counting costs one call per
 * process, never one per lease. A lease is live while its process is: each
 * process keeps one heartbeat key (`SET … PX ttl`) that its renewal
 * refreshes, so renewing costs one call per process and period, and an idle
 * subscriber costs Redis nothing. The leases of a process that stopped
 * renewing lapse with its heartbeat; the scripts that count skip them and
 * `acquire` removes them. Each file states its KEYS, ARGV and reply.
 */

const LUA = new URL('./lua/', import.meta.url);
const withHelpers = (body: string): LuaScript => loadLua(LUA, ['helpers.lua', body]);

/** Adds a lease unless the holder has `limit` live ones (`lua/acquire.lua`). */
export const ACQUIRE = withHelpers('acquire.lua');
/** Removes one lease; idempotent (`lua/release.lua`). */
export const RELEASE = loadLua(LUA, ['release.lua']);
/** Refreshes a process's heartbeat and its holders' keys; answers the holders Redis lost (`lua/renew.lua`). */
export const RENEW = withHelpers('renew.lua');
/** Puts back a holder's leases Redis lost (`lua/restore.lua`). */
export const RESTORE = withHelpers('restore.lua');
/** Counts a holder's live leases (`lua/count.lua`). */
export const COUNT = withHelpers('count.lua');
