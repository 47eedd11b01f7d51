import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Cluster, Redis } from 'ioredis';

/**
 * The one way Pulse runs Lua. Every script is `.lua` files next to the
 * engine that uses it (`store/lua/`, `leases/lua/`,
 * `transports/sse-single/lua/`; the build copies them into `dist/`), read
 * once when the engine's module loads, and run by {@link runLua}: EVALSHA,
 * and EVAL only when Redis does not know the script yet.
 */

/** A script's source and its SHA1, for EVALSHA. */
export interface LuaScript {
  /** The files it was joined from, for messages. */
  readonly name: string;
  readonly source: string;
  readonly sha1: string;
}

/** Each file's text, read once per process however many scripts share it (library files are). */
const files = new Map<string, string>();

function readLua(url: URL): string {
  let text = files.get(url.href);
  if (text === undefined) {
    text = readFileSync(url, 'utf8');
    files.set(url.href, text);
  }
  return text;
}

/**
 * Joins `names` (library files first, the script's body last), read from
 * `dir`, into one script, after `prelude` (constants shared with the
 * TypeScript side, so both count the same windows and bounds).
 * @param dir - the folder of the files, e.g. `new URL('./lua/', import.meta.url)` (note the trailing slash)
 * @throws when a file is missing: at module load, so a broken build fails at start, not on first use
 */
export function loadLua(dir: URL, names: readonly string[], prelude?: string): LuaScript {
  const parts = names.map((name) => readLua(new URL(name, dir)));
  const source = (prelude === undefined ? parts : [prelude, ...parts]).join('\n');
  return { name: names.join('+'), source, sha1: createHash('sha1').update(source).digest('hex') };
}

/**
 * What runs scripts: one Redis, or a Cluster client, which routes each call
 * by its first key (so every key of a call must share one slot).
 */
export type LuaClient = Redis | Cluster;

/**
 * Runs a script by EVALSHA, falling back to EVAL when Redis does not know it
 * (first use, a restart, `SCRIPT FLUSH`, a Cluster master that never ran it):
 * one round trip in the steady state.
 * @throws whatever Redis answers (the script's own errors included), or the connection error
 */
export async function runLua(redis: LuaClient, script: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
  try {
    return await redis.evalsha(script.sha1, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error && error.message.startsWith('NOSCRIPT'))) throw error;
    return redis.eval(script.source, keys.length, ...keys, ...args);
  }
}
