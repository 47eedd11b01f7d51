import type { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LeaseManagerClosedError } from '../../server/leases/held.js';
import { MemoryLeaseTable, createMemoryLeases } from '../../server/leases/memory.js';
import { createRedisLeases } from '../../server/leases/redis.js';
import type { LeaseManager } from '../../server/leases/types.js';
import { redisKeys } from '../../server/redis/keys.js';
import { EventQueue } from '../support/event-queue.js';
import { connectTestRedis, uniquePrefix } from '../support/redis.js';
import { connectTestCluster, spawnRedisCluster, type SpawnedCluster } from '../support/redis-cluster.js';
import { waitUntil } from '../support/wait.js';

/** Timing of a manager; engines without expiry ignore it. */
interface ManagerTiming {
  readonly ttlMs?: number;
  readonly renewEveryMs?: number;
}

/** A lease backend for one test, shared by every manager (process) opened on it. */
interface LeaseFixture {
  /** Opens another process's manager on the backend. */
  manager(timing?: ManagerTiming): LeaseManager;
  /** Kills a manager's process: its connection drops, so it neither renews nor releases. */
  crash(manager: LeaseManager): Promise<void>;
  /** Deletes a holder's leases in the backend, as a Redis restart or flush would; resolves with the number deleted. */
  loseLeases(holder: string): Promise<number>;
  /** Renewal and release failures, from every manager. */
  readonly errors: EventQueue<unknown>;
  /** Closes every manager, then every connection. */
  close(): Promise<void>;
}

/** An implementation under test and what it can do; a test needing a missing capability is not registered. */
interface LeaseEngine {
  readonly name: string;
  readonly has: {
    /** Leases lapse unless renewed, so `crash` and `loseLeases` work. */
    readonly expiry: boolean;
  };
  /** Starts what every fixture of the engine shares, once before the first (a Redis Cluster takes seconds). */
  readonly prepare?: () => Promise<void>;
  open(): LeaseFixture;
}

const unsupported = async (): Promise<never> => {
  throw new Error('not supported by this engine');
};

function openMemory(): LeaseFixture {
  // One table, as one process's managers would share it.
  const table = new MemoryLeaseTable();
  const managers: LeaseManager[] = [];
  return {
    manager() {
      const manager = createMemoryLeases({ table });
      managers.push(manager);
      return manager;
    },
    crash: unsupported,
    loseLeases: unsupported,
    errors: new EventQueue<unknown>(),
    close: async () => void (await Promise.all(managers.map((manager) => manager.close()))),
  };
}

/** The file's one Redis Cluster, spawned by the cluster engine's suite: each spawn takes seconds. */
let spawning: Promise<SpawnedCluster> | undefined;
let spawned: SpawnedCluster | undefined;
afterAll(async () => {
  await (await spawning)?.dispose();
});

function openRedis(): LeaseFixture {
  return openOn(connectTestRedis);
}

/** The leases on a 3-master Redis Cluster: every key under `{pulse}`, so each call stays in one slot. */
function openRedisCluster(): LeaseFixture {
  const cluster = spawned;
  if (!cluster) throw new Error('the Redis Cluster engine was not prepared');
  return openOn(() => connectTestCluster(cluster));
}

/** A Redis fixture on connections from `connect`: one Redis or a cluster. */
function openOn(connect: () => Redis | Cluster): LeaseFixture {
  const keys = redisKeys(uniquePrefix('leases'));
  const admin = connect();
  const connections = new Map<LeaseManager, Redis | Cluster>();
  const errors = new EventQueue<unknown>();
  return {
    manager(timing = {}) {
      // A connection of its own, so that crashing one "process" leaves the others connected.
      const redis = connect();
      const manager = createRedisLeases({ redis, keys, ...timing, onError: errors.push });
      connections.set(manager, redis);
      return manager;
    },
    async crash(manager) {
      const connection = connections.get(manager);
      // A disconnected Cluster client is left `close`, not `end`, and queues commands for good; one that quit refuses them, as a dead process would.
      if (connection && 'nodes' in connection) await connection.quit();
      else connection?.disconnect();
    },
    loseLeases: (holder) => admin.del(keys.leases(holder)),
    errors,
    async close() {
      await Promise.all([...connections.keys()].map((manager) => manager.close()));
      const clients = [admin, ...connections.values()];
      await Promise.all(clients.filter((client) => client.status !== 'end').map((client) => client.quit()));
    },
  };
}

const engines: LeaseEngine[] = [
  { name: 'memory', has: { expiry: false }, open: openMemory },
  { name: 'redis', has: { expiry: true }, open: openRedis },
  {
    name: 'redis-cluster',
    has: { expiry: true },
    prepare: async () => void (spawned = await (spawning ??= spawnRedisCluster(3))),
    open: openRedisCluster,
  },
];

describe.each(engines.map((engine) => [engine.name, engine] as const))('LeaseManager contract: %s', (_name, engine) => {
  let fixture: LeaseFixture;
  beforeAll(async () => {
    await engine.prepare?.();
  }, 60_000);
  beforeEach(() => {
    fixture = engine.open();
  });
  afterEach(async () => {
    await fixture.close();
  });

  it('grants at most `limit` leases per holder', async () => {
    const leases = fixture.manager();
    const first = await leases.acquire('alice', 2);
    const second = await leases.acquire('alice', 2);
    expect(first).toMatchObject({ holder: 'alice' });
    expect(second).toMatchObject({ holder: 'alice' });
    expect(second?.id).not.toBe(first?.id);
    expect(await leases.acquire('alice', 2)).toBeNull();
    expect(await leases.count('alice')).toBe(2);
    expect(leases.heldCount).toBe(2);
  });

  it('frees the slot when a lease is released', async () => {
    const leases = fixture.manager();
    const lease = await leases.acquire('alice', 1);
    expect(await leases.acquire('alice', 1)).toBeNull();
    await lease?.release();
    expect(await leases.count('alice')).toBe(0);
    expect(leases.heldCount).toBe(0);
    expect(await leases.acquire('alice', 1)).not.toBeNull();
  });

  it('releases idempotently: a second release frees nothing more', async () => {
    const leases = fixture.manager();
    const lease = await leases.acquire('alice', 2);
    await leases.acquire('alice', 2);
    await lease?.release();
    await lease?.release();
    expect(await leases.count('alice')).toBe(1);
    expect(await leases.acquire('alice', 2)).not.toBeNull();
    await lease?.release();
    expect(await leases.count('alice')).toBe(2);
    expect(leases.heldCount).toBe(2);
  });

  it('counts each holder on its own', async () => {
    const leases = fixture.manager();
    expect(await leases.acquire('alice', 1)).not.toBeNull();
    expect(await leases.acquire('bob', 1)).not.toBeNull();
    expect(await leases.acquire('alice', 1)).toBeNull();
    expect([await leases.count('alice'), await leases.count('bob'), await leases.count('carol')]).toEqual([1, 1, 0]);
  });

  it('never exceeds the limit under concurrent acquires from several processes', async () => {
    const managers = [fixture.manager(), fixture.manager()];
    const attempts = range(20).map((i) => managers[i % 2]?.acquire('alice', 2));
    const granted = (await Promise.all(attempts)).filter((lease) => lease !== null);
    expect(granted).toHaveLength(2);
    expect(await managers[0]?.count('alice')).toBe(2);
    expect(managers.reduce((sum, manager) => sum + manager.heldCount, 0)).toBe(2);
  });

  it('counts the leases of every process, and each process holds its own', async () => {
    const [one, two] = [fixture.manager(), fixture.manager()];
    await one.acquire('alice', 5);
    const released = await two.acquire('alice', 5);
    await two.acquire('alice', 5);
    expect([await one.count('alice'), await two.count('alice')]).toEqual([3, 3]);
    expect([one.heldCount, two.heldCount]).toEqual([1, 2]);
    await released?.release();
    expect(await one.count('alice')).toBe(2);
  });

  it('releases every lease of its process on close and refuses new ones', async () => {
    const [closing, staying] = [fixture.manager(), fixture.manager()];
    const lease = await closing.acquire('alice', 5);
    await closing.acquire('bob', 5);
    await staying.acquire('alice', 5);
    await closing.close();
    expect(closing.heldCount).toBe(0);
    expect([await staying.count('alice'), await staying.count('bob')]).toEqual([1, 0]);
    await expect(lease?.release()).resolves.toBeUndefined();
    await expect(closing.acquire('alice', 5)).rejects.toBeInstanceOf(LeaseManagerClosedError);
  });

  if (engine.has.expiry) {
    it('frees the slots of a process that stopped renewing, within the ttl', async () => {
      const ttlMs = 300;
      const crashed = fixture.manager({ ttlMs, renewEveryMs: 100 });
      const survivor = fixture.manager();
      const lease = await crashed.acquire('alice', 1);
      expect(lease).not.toBeNull();
      await fixture.crash(crashed);
      await waitUntil(async () => (await survivor.count('alice')) === 0, 10 * ttlMs, { what: "the crashed process's lease to lapse" });
      expect(await survivor.acquire('alice', 1)).not.toBeNull();
      // Its connection is gone: the release is reported, not thrown.
      await expect(lease?.release()).resolves.toBeUndefined();
      expect(await fixture.errors.next()).toBeInstanceOf(Error);
    });

    it('keeps a renewed lease alive for several ttls', async () => {
      const ttlMs = 500;
      const holder = fixture.manager({ ttlMs, renewEveryMs: 100 });
      const observer = fixture.manager();
      expect(await holder.acquire('alice', 1)).not.toBeNull();
      const end = Date.now() + 3 * ttlMs;
      // Checked on every poll: the lease must never lapse in between.
      await waitUntil(
        async () => {
          expect(await observer.count('alice')).toBe(1);
          return Date.now() > end;
        },
        10 * ttlMs,
        { what: 'three ttls to pass' },
      );
      expect(await observer.acquire('alice', 1)).toBeNull();
      expect(fixture.errors.seen).toEqual([]);
    });

    it('restores, on renewal, leases the backend lost while their process holds them', async () => {
      const leases = fixture.manager({ ttlMs: 500, renewEveryMs: 100 });
      await leases.acquire('alice', 1);
      expect(await fixture.loseLeases('alice')).toBe(1);
      await waitUntil(async () => (await leases.count('alice')) === 1, 5_000, { what: 'the lost lease to be restored' });
      expect(fixture.errors.seen).toEqual([]);
    });
  }
});

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
