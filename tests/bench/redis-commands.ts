/** Redis commands issued while something runs, from `INFO commandstats` (which counts commands run inside scripts too). */
import type { Redis } from 'ioredis';

/** Commands counted, in total and per command name (lower case). */
export interface CommandCount {
  readonly commands: number;
  readonly byCommand: Record<string, number>;
}

async function commandCalls(redis: Redis): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const match of (await redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(match[1]!, Number(match[2]));
  return calls;
}

/**
 * Runs `during` and counts the commands Redis processed meanwhile, from
 * every client: the server under test is the only other one. The
 * orchestrator's own INFO calls are left out.
 */
export async function countCommands<T>(redis: Redis, during: () => Promise<T>): Promise<CommandCount & { readonly value: T }> {
  const before = await commandCalls(redis);
  const value = await during();
  const after = await commandCalls(redis);
  const byCommand: Record<string, number> = {};
  for (const [name, calls] of after) {
    const delta = calls - (before.get(name) ?? 0);
    if (delta > 0 && name !== 'info') byCommand[name] = delta;
  }
  return { value, commands: Object.values(byCommand).reduce((total, n) => total + n, 0), byCommand };
}

/** CPU Redis has used so far (user + system, all its threads), in seconds, from `INFO cpu`. */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string): number => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? Number.NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
}
