import type { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createMemorySaltStore } from '../../server/privacy/salts/memory.js';
import { createRedisSaltStore } from '../../server/privacy/salts/redis.js';
import { dayOf, saltExpiry, type Day, type SaltStore } from '../../server/privacy/salts/types.js';
import { connectTestRedis, uniquePrefix } from '../support/redis.js';
import { connectTestCluster, spawnRedisCluster, type SpawnedCluster } from '../support/redis-cluster.js';

/** One backend for one test: every store opened on it is another process sharing it. */
interface SaltFixture {
  /** Another process's store on the same backend. */
  store(): SaltStore;
  /** When the backend will delete the salt of `day`, or null when it holds none. */
  deletionTime(day: Day): Promise<number | null>;
  close(): Promise<void>;
}

interface SaltEngine {
  readonly name: string;
  open(): SaltFixture | Promise<SaltFixture>;
}

const memoryEngine: SaltEngine = {
  name: 'memory',
  open() {
    // One process: memory salts are per process by design, so "another process" is the same store.
    const store = createMemorySaltStore({ now: () => Date.now() });
    return {
      store: () => store,
      deletionTime: (day) => Promise.resolve(store.days.includes(day) ? saltExpiry(day) : null),
      close: async () => store.close(),
    };
  },
};

/** Salts on connections from `connect`: one Redis, or a cluster (a salt is one key, routed by itself). */
function openOn(connectOne: () => Redis | Cluster): SaltFixture {
  const prefix = uniquePrefix('salts');
  const keyOf = (day: Day): string => `${prefix}ip-salt:${day}`;
  const connections: (Redis | Cluster)[] = [];
  const connect = (): Redis | Cluster => {
    const redis = connectOne();
    connections.push(redis);
    return redis;
  };
  const probe = connect();
  return {
    store: () => createRedisSaltStore({ redis: connect(), keyOf }),
    deletionTime: async (day) => {
      const at = Number(await probe.call('PEXPIRETIME', keyOf(day)));
      return at < 0 ? null : at;
    },
    close: async () => {
      await Promise.all(connections.map((redis) => redis.quit()));
    },
  };
}

const redisEngine: SaltEngine = { name: 'redis', open: () => openOn(connectTestRedis) };

/** The file's one Redis Cluster, spawned on first use: each spawn takes seconds. */
let spawning: Promise<SpawnedCluster> | undefined;
afterAll(async () => {
  await (await spawning)?.dispose();
});

const clusterEngine: SaltEngine = {
  name: 'redis-cluster',
  async open() {
    const cluster = await (spawning ??= spawnRedisCluster(3));
    return openOn(() => connectTestCluster(cluster));
  },
};

describe.each([memoryEngine, redisEngine, clusterEngine])('salt store contract: $name', (engine) => {
  let fixture: SaltFixture;
  afterEach(() => fixture.close());

  const today = (): Day => dayOf(Date.now());

  it('gives every process the same 32-byte salt for a day, even when they ask at once', async () => {
    fixture = await engine.open();
    const stores = [fixture.store(), fixture.store(), fixture.store()];
    const salts = await Promise.all(stores.map((store) => store.saltOf(today())));
    expect(salts[0]).toHaveLength(32);
    for (const salt of salts) expect(Buffer.from(salt).equals(Buffer.from(salts[0] ?? []))).toBe(true);
    expect(Buffer.from(await stores[1]!.saltOf(today())).equals(Buffer.from(salts[0] ?? []))).toBe(true);
  });

  it('rotates daily: another day has another salt', async () => {
    fixture = await engine.open();
    const store = fixture.store();
    const [one, two] = await Promise.all([store.saltOf(today()), store.saltOf(today() - 1)]);
    expect(Buffer.from(one).equals(Buffer.from(two))).toBe(false);
  });

  it('deletes a salt 48 h after its day ends', async () => {
    fixture = await engine.open();
    await fixture.store().saltOf(today());
    expect(await fixture.deletionTime(today())).toBe((today() + 1) * 86_400_000 + 48 * 3_600_000);
  });

  it('keeps nothing for a day whose salt is already past its deletion time', async () => {
    fixture = await engine.open();
    const old = today() - 3;
    expect(await fixture.store().saltOf(old)).toHaveLength(32);
    expect(await fixture.deletionTime(old)).toBeNull();
  });
});

describe('memory salts are deleted by their timer, with no call needed', () => {
  afterEach(() => vi.useRealTimers());

  it('drops yesterday’s salt once 48 h have passed after its day', async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 11, 2, 12) });
    const store = createMemorySaltStore({ now: () => Date.now() });
    const day = dayOf(Date.now());
    await store.saltOf(day);
    vi.advanceTimersByTime(saltExpiry(day) - Date.now() - 1);
    expect(store.days).toEqual([day]);
    vi.advanceTimersByTime(1);
    expect(store.days).toEqual([]);
    store.close();
  });
});
