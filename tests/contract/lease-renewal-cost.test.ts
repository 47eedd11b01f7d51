import { afterAll, describe, expect, it, vi } from 'vitest';
import { createRedisLeases } from '../../server/leases/redis.js';
import { redisKeys } from '../../server/redis/keys.js';
import { connectTestRedis, uniquePrefix } from '../support/redis.js';
import { waitUntil } from '../support/wait.js';

const holders = (n: number): string[] => Array.from({ length: n }, (_, i) => `admin-${i}`);

describe('Redis lease cost', () => {
  const redis = connectTestRedis();
  afterAll(() => redis.quit());

  it('takes the leases of subscriptions opening together in one call', async () => {
    const keys = redisKeys(uniquePrefix('batch'));
    const leases = createRedisLeases({ redis, keys });
    // The script is loaded first, so that no NOSCRIPT retry is counted.
    await (await leases.acquire('warm-up', 1))?.release();
    const calls = vi.spyOn(redis, 'evalsha');
    const granted = await Promise.all(holders(300).map((holder) => leases.acquire(holder, 1)));
    const acquireCalls = calls.mock.calls.length;
    calls.mockRestore();
    expect(granted.every((lease) => lease !== null)).toBe(true);
    expect(acquireCalls).toBe(1);
    expect(await leases.count('admin-7')).toBe(1);
    await leases.close();
  });

  it('renews with one small call per period, whatever the number of leases and holders', async () => {
    const keys = redisKeys(uniquePrefix('renewal'));
    const leases = createRedisLeases({ redis, keys, ttlMs: 600, renewEveryMs: 100 });
    const names = holders(150);
    for (let i = 0; i < 300; i++) expect(await leases.acquire(names[i % 150] as string, 1000)).not.toBeNull();
    const calls = vi.spyOn(redis, 'evalsha');
    await waitUntil(() => calls.mock.calls.length >= 3, 5_000, { what: 'three renewals' });
    const sizes = calls.mock.calls.map((args) => args.length);
    calls.mockRestore();
    // sha, key count, the heartbeat and one holder's two keys (the check in turn), then ttl, process id,
    // heartbeat prefix, holder lifetime, and the check: 150 holders over a quarter of 240 ttls is one per call.
    expect(new Set(sizes)).toEqual(new Set([2 + 3 + 4 + 4]));
    expect(await leases.count('admin-3')).toBe(2);
    expect(await redis.zcard(keys.leases('admin-3'))).toBe(2);
    await leases.close();
    expect(await redis.exists(...names.flatMap((name) => [keys.leases(name), keys.leaseCounts(name)]))).toBe(0);
  });

  it('checks every holder in turn: counts Redis lost come back, and held counts never expire', async () => {
    const keys = redisKeys(uniquePrefix('checks'));
    // Every holder is checked within a quarter of holderKeepMs: 300 ms here, two holders per call.
    const leases = createRedisLeases({ redis, keys, ttlMs: 300, renewEveryMs: 100, holderKeepMs: 1200 });
    const names = holders(6);
    for (const name of names) expect(await leases.acquire(name, 5)).not.toBeNull();
    // Lost alone, as an eviction would lose them: the heartbeat stays. Counts of some holders, leases of others.
    expect(await redis.del(...names.slice(0, 2).map((name) => keys.leaseCounts(name)), ...names.slice(2, 4).map((name) => keys.leases(name)))).toBe(4);
    const counts = async (): Promise<number[]> => Promise.all(names.map((name) => leases.count(name)));
    const members = async (): Promise<number[]> => Promise.all(names.map((name) => redis.zcard(keys.leases(name))));
    await waitUntil(async () => (await counts()).every((n) => n === 1) && (await members()).every((n) => n === 1), 5_000, { what: 'the lost leases to come back' });
    // Three holder lifetimes later, every holder's keys are still there: the checks kept them.
    await new Promise((resolve) => setTimeout(resolve, 3600));
    expect(await counts()).toEqual([1, 1, 1, 1, 1, 1]);
    expect(await members()).toEqual([1, 1, 1, 1, 1, 1]);
    await leases.close();
  });
});
