import type { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StreamOperation } from '../../server/transports/sse-single/operation.js';
import { createMemoryReservations } from '../../server/transports/sse-single/reservations-memory.js';
import { redisKeys } from '../../server/redis/keys.js';
import { createRedisReservations } from '../../server/transports/sse-single/reservations-redis.js';
import type { ReservationLimits, ReservationRegistry } from '../../server/transports/sse-single/reservations.js';
import { EventQueue } from '../support/event-queue.js';
import { connectTestRedis, uniquePrefix } from '../support/redis.js';
import { connectTestCluster, spawnRedisCluster, type SpawnedCluster } from '../support/redis-cluster.js';
import { waitUntil } from '../support/wait.js';

const TTL_MS = 300;
const LIMITS: ReservationLimits = { ttlMs: TTL_MS, maxPerOwner: 2, maxStreamsPerOwner: 1, maxQueued: 3 };

/** What a test may change for the registries it opens. */
interface RegistryOptions {
  readonly streamTtlMs?: number;
  readonly limits?: Partial<ReservationLimits>;
}

/** A reservation backend for one test, shared by every registry (process) opened on it. */
interface ReservationFixture {
  /** Opens another process's registry on the backend (memory: the one registry, made with the first call's options). */
  registry(options?: RegistryOptions): ReservationRegistry;
  /** Kills a registry's process: its connection drops, so it neither renews nor releases. */
  crash(registry: ReservationRegistry): Promise<void>;
  /** Renewal and release failures, from every registry. */
  readonly errors: EventQueue<unknown>;
  /** Keys the registries left in the backend (Redis only). */
  keysLeft(): Promise<string[]>;
  close(): Promise<void>;
}

/** An implementation under test and what it can do; a test needing a missing capability is not registered. */
interface ReservationEngine {
  readonly name: string;
  readonly has: {
    /** Several processes share it, and a connected record outlives a crash only by its ttl. */
    readonly processes: boolean;
  };
  /** Starts what every fixture of the engine shares, once before the first (a Redis Cluster takes seconds). */
  readonly prepare?: () => Promise<void>;
  open(): ReservationFixture;
}

function openMemory(): ReservationFixture {
  // One process: every "registry" is the same one.
  let registry: ReservationRegistry | undefined;
  return {
    registry: ({ limits } = {}) => (registry ??= createMemoryReservations({ ...LIMITS, ...limits })),
    crash: async () => {
      throw new Error('not supported by this engine');
    },
    errors: new EventQueue<unknown>(),
    keysLeft: async () => [],
    close: async () => registry?.close(),
  };
}

/** The file's one Redis Cluster, spawned by the cluster engine's suite: each spawn takes seconds. */
let spawning: Promise<SpawnedCluster> | undefined;
let spawned: SpawnedCluster | undefined;
afterAll(async () => {
  await (await spawning)?.dispose();
});

function openRedis(): ReservationFixture {
  const admin = connectTestRedis();
  return openOn(connectTestRedis, (pattern) => admin.keys(pattern), [admin]);
}

/** The registry on a 3-master Redis Cluster: every key under `{pulse}`, so each script stays in one slot. */
function openRedisCluster(): ReservationFixture {
  const cluster = spawned;
  if (!cluster) throw new Error('the Redis Cluster engine was not prepared');
  const admin = connectTestCluster(cluster);
  const keys = async (pattern: string): Promise<string[]> => (await Promise.all(admin.nodes('master').map((master) => master.keys(pattern)))).flat();
  return openOn(() => connectTestCluster(cluster), keys, [admin]);
}

/** A Redis fixture on connections from `connect` (one Redis or a cluster), listing keys with `keys`. */
function openOn(connect: () => Redis | Cluster, keys: (pattern: string) => Promise<string[]>, admins: readonly (Redis | Cluster)[]): ReservationFixture {
  const prefix = uniquePrefix('sse-reservations');
  const connections = new Map<ReservationRegistry, Redis | Cluster>();
  const errors = new EventQueue<unknown>();
  return {
    registry({ streamTtlMs, limits } = {}) {
      // A connection of its own, so that crashing one "process" leaves the others connected.
      const redis = connect();
      const registry = createRedisReservations({ redis, keys: redisKeys(prefix), ...LIMITS, ...limits, streamTtlMs, onError: errors.push });
      connections.set(registry, redis);
      return registry;
    },
    async crash(registry) {
      const connection = connections.get(registry);
      // A disconnected Cluster client is left `close`, not `end`, and queues commands for good; one that quit refuses them, as a dead process would.
      if (connection && 'nodes' in connection) await connection.quit();
      else connection?.disconnect();
    },
    errors,
    keysLeft: () => keys(`${prefix}*`),
    async close() {
      await Promise.all([...connections.keys()].map((registry) => registry.close()));
      await Promise.all([...admins, ...connections.values()].filter((client) => client.status !== 'end').map((client) => client.quit()));
    },
  };
}

const engines: ReservationEngine[] = [
  { name: 'memory', has: { processes: false }, open: openMemory },
  { name: 'redis', has: { processes: true }, open: openRedis },
  {
    name: 'redis-cluster',
    has: { processes: true },
    prepare: async () => void (spawned = await (spawning ??= spawnRedisCluster(3))),
    open: openRedisCluster,
  },
];

const operation = (operationId: string, sub = 'alice'): StreamOperation => ({
  operationId,
  params: { query: '{ __typename }', variables: { list: [], nested: {} }, operationName: null, extensions: { operationId } },
  viewer: { sub, roles: new Set(['admin']) },
  requestId: `request-${operationId}`,
});

describe.each(engines.map((engine) => [engine.name, engine] as const))('ReservationRegistry contract: %s', (_name, engine) => {
  let fixture: ReservationFixture;
  beforeAll(async () => {
    await engine.prepare?.();
  }, 60_000);
  beforeEach(() => {
    fixture = engine.open();
  });
  afterEach(async () => {
    await fixture.close();
  });

  it('issues random tokens, at most maxPerOwner pending per owner, and frees a slot when one connects', async () => {
    const reservations = fixture.registry();
    const [first, second] = [await reservations.reserve('alice'), await reservations.reserve('alice')];
    expect(first).toMatch(/^[\w-]{32,}$/);
    expect(second).not.toBe(first);
    expect(await reservations.reserve('alice')).toBeNull();
    expect(await reservations.reserve('bob')).not.toBeNull();
    expect(await reservations.pendingOf('alice')).toBe(2);
    expect(await reservations.connect(first ?? '', 'alice', 'p1')).toEqual({ state: 'connected', queued: [] });
    expect(await reservations.pendingOf('alice')).toBe(1);
    expect(await reservations.reserve('alice')).not.toBeNull();
  });

  it('connects a token once, and only for its owner', async () => {
    const reservations = fixture.registry();
    const token = (await reservations.reserve('alice')) ?? '';
    expect(await reservations.connect(token, 'mallory', 'p1')).toEqual({ state: 'unknown' });
    expect(await reservations.connect('never-issued', 'alice', 'p1')).toEqual({ state: 'unknown' });
    expect(await reservations.connect(token, 'alice', 'p1')).toMatchObject({ state: 'connected' });
    expect(await reservations.connect(token, 'alice', 'p2')).toEqual({ state: 'taken' });
  });

  it('forgets a reservation that never connects within ttlMs, with the operations sent to it', async () => {
    const reservations = fixture.registry();
    const token = (await reservations.reserve('alice')) ?? '';
    expect(await reservations.submit(token, 'alice', operation('q1'))).toEqual({ state: 'queued' });
    // No event says a reservation lapsed: its owner's pending count is what shows it.
    await waitUntil(async () => (await reservations.pendingOf('alice')) === 0, 10 * TTL_MS, { what: 'the reservation to lapse' });
    expect(await reservations.connect(token, 'alice', 'p1')).toEqual({ state: 'unknown' });
    expect(await reservations.submit(token, 'alice', operation('q2'))).toEqual({ state: 'unknown' });
    expect(await reservations.cancel(token, 'alice', 'q1')).toEqual({ state: 'unknown' });
  });

  it('keeps the operations sent before the stream connects, in order, and hands them to the connection once', async () => {
    const reservations = fixture.registry();
    const token = (await reservations.reserve('alice')) ?? '';
    for (const id of ['a', 'b', 'c']) expect(await reservations.submit(token, 'alice', operation(id))).toEqual({ state: 'queued' });
    expect(await reservations.submit(token, 'alice', operation('b'))).toEqual({ state: 'duplicate' });
    expect(await reservations.submit(token, 'alice', operation('d'))).toEqual({ state: 'full' });
    expect(await reservations.cancel(token, 'alice', 'b')).toEqual({ state: 'cancelled' });
    expect(await reservations.cancel(token, 'alice', 'never-sent')).toEqual({ state: 'cancelled' });
    expect(await reservations.submit(token, 'mallory', operation('m', 'mallory'))).toEqual({ state: 'unknown' });
    expect(await reservations.cancel(token, 'mallory', 'a')).toEqual({ state: 'unknown' });
    expect(await reservations.submit(token, 'alice', operation('d'))).toEqual({ state: 'queued' });
    expect(await reservations.connect(token, 'alice', 'p1')).toEqual({ state: 'connected', queued: [operation('a'), operation('c'), operation('d')] });
  });

  it('routes operations of a connected token to its holder, for its owner only', async () => {
    const reservations = fixture.registry();
    const token = (await reservations.reserve('alice')) ?? '';
    await reservations.connect(token, 'alice', 'holder-1');
    expect(await reservations.submit(token, 'alice', operation('a'))).toEqual({ state: 'held', holder: 'holder-1' });
    expect(await reservations.cancel(token, 'alice', 'a')).toEqual({ state: 'held', holder: 'holder-1' });
    expect(await reservations.submit(token, 'mallory', operation('a', 'mallory'))).toEqual({ state: 'unknown' });
  });

  it('forgets a connected token once its stream is released', async () => {
    const reservations = fixture.registry();
    const token = (await reservations.reserve('alice')) ?? '';
    await reservations.connect(token, 'alice', 'p1');
    await reservations.release(token);
    await reservations.release(token);
    expect(await reservations.submit(token, 'alice', operation('a'))).toEqual({ state: 'unknown' });
    expect(await reservations.connect(token, 'alice', 'p1')).toEqual({ state: 'unknown' });
    expect(fixture.errors.seen).toEqual([]);
  });

  it('releases the tokens it connected on close', async () => {
    const closing = fixture.registry();
    const token = (await closing.reserve('alice')) ?? '';
    await closing.connect(token, 'alice', 'p1');
    await closing.close();
    const other = fixture.registry();
    expect(await other.submit(token, 'alice', operation('a'))).toEqual({ state: 'unknown' });
  });

  it('bounds connected streams per owner at maxStreamsPerOwner, keeps the refused reservation pending, and frees a slot on release', async () => {
    const reservations = fixture.registry({ limits: { maxPerOwner: 3, maxStreamsPerOwner: 2 } });
    const reserve = async (): Promise<string> => (await reservations.reserve('alice')) ?? '';
    const [first, second, third] = [await reserve(), await reserve(), await reserve()];
    expect(await reservations.connect(first, 'alice', 'p1')).toMatchObject({ state: 'connected' });
    expect(await reservations.connect(second, 'alice', 'p2')).toMatchObject({ state: 'connected' });
    expect(await reservations.connect(third, 'alice', 'p1')).toEqual({ state: 'full' });
    expect([await reservations.connectedOf('alice'), await reservations.pendingOf('alice')]).toEqual([2, 1]);
    // Another owner's streams are counted apart.
    const bobs = (await reservations.reserve('bob')) ?? '';
    expect(await reservations.connect(bobs, 'bob', 'p1')).toMatchObject({ state: 'connected' });
    // The refused reservation is still pending, with what was sent to it, and connects once a stream is released.
    expect(await reservations.submit(third, 'alice', operation('early'))).toEqual({ state: 'queued' });
    await reservations.release(first);
    expect(await reservations.connectedOf('alice')).toBe(1);
    expect(await reservations.connect(third, 'alice', 'p2')).toEqual({ state: 'connected', queued: [operation('early')] });
    expect(await reservations.connectedOf('alice')).toBe(2);
  });

  it('counts a stream once, however often it is released', async () => {
    const reservations = fixture.registry();
    const token = (await reservations.reserve('alice')) ?? '';
    await reservations.connect(token, 'alice', 'p1');
    await Promise.all([reservations.release(token), reservations.release(token)]);
    expect(await reservations.connectedOf('alice')).toBe(0);
    const next = (await reservations.reserve('alice')) ?? '';
    expect(await reservations.connect(next, 'alice', 'p1')).toMatchObject({ state: 'connected' });
    expect(await reservations.connectedOf('alice')).toBe(1);
  });

  if (engine.has.processes) {
    it('is one registry for every process: reserved on one, connected on another, routed from a third', async () => {
      const [one, two, three] = [fixture.registry(), fixture.registry(), fixture.registry()];
      const token = (await one.reserve('alice')) ?? '';
      await one.reserve('alice');
      expect(await two.reserve('alice')).toBeNull();
      expect(await three.submit(token, 'alice', operation('early'))).toEqual({ state: 'queued' });
      expect(await two.connect(token, 'alice', 'process-two')).toEqual({ state: 'connected', queued: [operation('early')] });
      expect(await one.connect(token, 'alice', 'process-one')).toEqual({ state: 'taken' });
      expect(await three.submit(token, 'alice', operation('late'))).toEqual({ state: 'held', holder: 'process-two' });
      expect(await three.pendingOf('alice')).toBe(1);
    });

    it('never passes the bound, nor lets two connections win, under concurrent calls from several processes', async () => {
      const registries = [fixture.registry(), fixture.registry()];
      const tokens = await Promise.all(Array.from({ length: 10 }, (_, i) => registries[i % 2]?.reserve('alice')));
      expect(tokens.filter((token) => token !== null)).toHaveLength(LIMITS.maxPerOwner);
      const token = tokens.find((candidate) => candidate !== null) ?? '';
      const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => registries[i % 2]?.connect(token, 'alice', `p${i}`)));
      expect(outcomes.filter((outcome) => outcome?.state === 'connected')).toHaveLength(1);
    });

    it('never passes the bound on connected streams under concurrent connects from several processes', async () => {
      const limits = { maxPerOwner: 6, maxStreamsPerOwner: 2 };
      const registries = [fixture.registry({ limits }), fixture.registry({ limits }), fixture.registry({ limits })];
      const tokens = await Promise.all(Array.from({ length: 6 }, (_, i) => registries[i % 3]?.reserve('alice')));
      const outcomes = await Promise.all(tokens.map((token, i) => registries[i % 3]?.connect(token ?? '', 'alice', `p${i % 3}`)));
      expect(outcomes.map((outcome) => outcome?.state).sort()).toEqual(['connected', 'connected', 'full', 'full', 'full', 'full']);
      expect(await registries[0]?.connectedOf('alice')).toBe(2);
    });

    it('leaves no key behind once its reservations were connected and released, or lapsed', async () => {
      const reservations = fixture.registry();
      const connected = (await reservations.reserve('alice')) ?? '';
      await reservations.submit(connected, 'alice', operation('a'));
      const lapsing = (await reservations.reserve('alice')) ?? '';
      await reservations.submit(lapsing, 'alice', operation('b'));
      await reservations.connect(connected, 'alice', 'p1');
      await reservations.release(connected);
      // Polled: Redis expires keys without telling anyone.
      await waitUntil(async () => (await fixture.keysLeft()).length === 0, 10 * TTL_MS, { what: 'every key to go' });
    });

    it('forgets the streams of a process that stopped renewing, within the stream ttl', async () => {
      const streamTtlMs = 300;
      const crashed = fixture.registry({ streamTtlMs });
      const survivor = fixture.registry();
      const token = (await crashed.reserve('alice')) ?? '';
      await crashed.connect(token, 'alice', 'doomed');
      expect(await survivor.connectedOf('alice')).toBe(1);
      const waiting = (await survivor.reserve('alice')) ?? '';
      expect(await survivor.connect(waiting, 'alice', 'survivor')).toEqual({ state: 'full' });
      await fixture.crash(crashed);
      await waitUntil(async () => (await survivor.submit(token, 'alice', operation('a'))).state === 'unknown', 10 * streamTtlMs, {
        what: "the crashed process's stream record to lapse",
      });
      // Its stream no longer counts against the owner's bound either.
      expect(await survivor.connectedOf('alice')).toBe(0);
      // The refused reservation has lapsed meanwhile (its ttl is the stream ttl here): a fresh one connects.
      const fresh = (await survivor.reserve('alice')) ?? '';
      expect(await survivor.connect(fresh, 'alice', 'survivor')).toMatchObject({ state: 'connected' });
    });

    it('keeps a live holder’s stream on record for several stream ttls', async () => {
      const streamTtlMs = 300;
      const holder = fixture.registry({ streamTtlMs });
      const observer = fixture.registry();
      const token = (await holder.reserve('alice')) ?? '';
      await holder.connect(token, 'alice', 'alive');
      const end = Date.now() + 4 * streamTtlMs;
      // Checked on every poll: the record must never lapse in between.
      await waitUntil(
        async () => {
          expect(await observer.submit(token, 'alice', operation('a'))).toEqual({ state: 'held', holder: 'alive' });
          expect(await observer.connectedOf('alice')).toBe(1);
          return Date.now() > end;
        },
        20 * streamTtlMs,
        { what: 'four stream ttls to pass' },
      );
      expect(fixture.errors.seen).toEqual([]);
    });
  }
});

describe('the Redis reservation keys', () => {
  it('live under the prefix and the {pulse} hash tag, so the scripts touch one Cluster slot', () => {
    const keys = redisKeys('pulse:').reservations;
    expect([keys.reservation('t'), keys.operations('t'), keys.order('t'), keys.pending('alice'), keys.streams('alice')].every((key) => key.startsWith('pulse:{pulse}:sse:'))).toBe(true);
  });
});
