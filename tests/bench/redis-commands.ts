/**
 * Redis commands and CPU while something runs, read from every Redis that
 * holds Pulse's state: one, or each master of a Redis Cluster.
 * `INFO commandstats` counts the commands run inside scripts too.
 */
import type { Redis } from 'ioredis';

/** Commands counted, in total, per command name (lower case), and per Redis (in the order given). */
export interface CommandCount {
  readonly commands: number;
  readonly byCommand: Record<string, number>;
  readonly perNode: readonly number[];
}

async function commandCalls(redis: Redis): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const match of (await redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(match[1]!, Number(match[2]));
  return calls;
}

/**
 * Runs `during` and counts the commands the Redis `nodes` processed
 * meanwhile, from every client: the server under test is the only other
 * one. The orchestrator's own INFO calls are left out.
 */
export async function countCommands<T>(nodes: readonly Redis[], during: () => Promise<T>): Promise<CommandCount & { readonly value: T }> {
  const before = await Promise.all(nodes.map(commandCalls));
  const value = await during();
  const after = await Promise.all(nodes.map(commandCalls));
  const byCommand: Record<string, number> = {};
  const perNode = after.map((calls, i) => {
    let total = 0;
    for (const [name, count] of calls) {
      const delta = count - (before[i]?.get(name) ?? 0);
      if (delta <= 0 || name === 'info') continue;
      byCommand[name] = (byCommand[name] ?? 0) + delta;
      total += delta;
    }
    return total;
  });
  return { value, commands: perNode.reduce((sum, n) => sum + n, 0), byCommand, perNode };
}

/** CPU each Redis of `nodes` has used so far (user + system, all its threads), in seconds, from `INFO cpu`. */
export async function redisCpuSeconds(nodes: readonly Redis[]): Promise<number[]> {
  return Promise.all(
    nodes.map(async (redis) => {
      const info = await redis.info('cpu');
      const field = (name: string): number => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? Number.NaN);
      return field('used_cpu_user') + field('used_cpu_sys');
    }),
  );
}

/** Bytes of data the Redis `nodes` hold (`used_memory`), summed. */
export async function redisUsedMemory(nodes: readonly Redis[]): Promise<number> {
  const used = await Promise.all(nodes.map(async (redis) => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0)));
  return used.reduce((sum, n) => sum + n, 0);
}

/** The largest of `values` over their mean: 1 when the load is even (1 for one value). */
export function maxOverMean(values: readonly number[]): number {
  const mean = values.reduce((sum, n) => sum + n, 0) / Math.max(1, values.length);
  return mean > 0 ? Math.max(...values) / mean : 1;
}
