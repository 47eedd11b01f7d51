import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StreamAnswer } from '../../server/transports/sse-answers.js';
import type { StreamOperation } from '../../server/transports/sse-operation.js';
import { createMemoryReservations } from '../../server/transports/sse-reservations-memory.js';
import { createRedisReservations, reservationKeys } from '../../server/transports/sse-reservations-redis.js';
import type { ReservationLimits, ReservationRegistry } from '../../server/transports/sse-reservations.js';
import type { RoutedRequest, StreamRouter } from '../../server/transports/sse-routing.js';
import { createRedisRouter } from '../../server/transports/sse-routing-redis.js';
import { EventQueue } from '../support/event-queue.js';
import { connectTestRedis, uniquePrefix } from '../support/redis.js';
import { waitUntil } from '../support/wait.js';

const TTL_MS = 300;
const LIMITS: ReservationLimits = { ttlMs: TTL_MS, maxPerOwner: 2, maxQueued: 3 };

/** A reservation backend for one test, shared by every registry (process) opened on it. */
interface ReservationFixture {
  /** Opens another process's registry on the backend. */
  registry(options?: { streamTtlMs?: number }): ReservationRegistry;
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
  open(): ReservationFixture;
}

function openMemory(): ReservationFixture {
  // One process: every "registry" is the same one.
  const registry = createMemoryReservations(LIMITS);
  return {
    registry: () => registry,
    crash: async () => {
      throw new Error('not supported by this engine');
    },
    errors: new EventQueue<unknown>(),
    keysLeft: async () => [],
    close: () => registry.close(),
  };
}

function openRedis(): ReservationFixture {
  const prefix = uniquePrefix('sse-reservations');
  const connections = new Map<ReservationRegistry, Redis>();
  const errors = new EventQueue<unknown>();
  const admin = connectTestRedis();
  return {
    registry({ streamTtlMs } = {}) {
      // A connection of its own, so that crashing one "process" leaves the others connected.
      const redis = connectTestRedis();
      const registry = createRedisReservations({ redis, prefix, ...LIMITS, streamTtlMs, onError: errors.push });
      connections.set(registry, redis);
      return registry;
    },
    async crash(registry) {
      connections.get(registry)?.disconnect();
    },
    errors,
    keysLeft: () => admin.keys(`${prefix}*`),
    async close() {
      await Promise.all([...connections.keys()].map((registry) => registry.close()));
      await Promise.all([admin, ...connections.values()].filter((client) => client.status !== 'end').map((client) => client.quit()));
    },
  };
}

const engines: ReservationEngine[] = [
  { name: 'memory', has: { processes: false }, open: openMemory },
  { name: 'redis', has: { processes: true }, open: openRedis },
];

const operation = (operationId: string, sub = 'alice'): StreamOperation => ({
  operationId,
  params: { query: '{ __typename }', variables: { list: [], nested: {} }, operationName: null, extensions: { operationId } },
  viewer: { sub, roles: new Set(['admin']) },
  requestId: `request-${operationId}`,
});

describe.each(engines.map((engine) => [engine.name, engine] as const))('ReservationRegistry contract: %s', (_name, engine) => {
  let fixture: ReservationFixture;
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
      await fixture.crash(crashed);
      await waitUntil(async () => (await survivor.submit(token, 'alice', operation('a'))).state === 'unknown', 10 * streamTtlMs, {
        what: "the crashed process's stream record to lapse",
      });
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
          return Date.now() > end;
        },
        20 * streamTtlMs,
        { what: 'four stream ttls to pass' },
      );
      expect(fixture.errors.seen).toEqual([]);
    });
  }
});

describe('the Redis stream router', () => {
  const prefix = uniquePrefix('sse-router');
  const clients: Redis[] = [];
  const routers: StreamRouter[] = [];
  const malformed = new EventQueue<unknown>();
  const connect = (): Redis => {
    const client = connectTestRedis();
    clients.push(client);
    return client;
  };
  const router = async (answerTimeoutMs = 2_000): Promise<StreamRouter> => {
    const created = await createRedisRouter({ publisher: connect(), subscriber: connect(), prefix, answerTimeoutMs, onMalformed: malformed.push });
    routers.push(created);
    return created;
  };
  afterEach(async () => {
    await Promise.all(routers.splice(0).map((created) => created.close()));
    await Promise.all(clients.splice(0).filter((client) => client.status !== 'end').map((client) => client.quit()));
  });

  const run = (id: string): RoutedRequest => ({ kind: 'run', token: 'token-1', operation: operation(id) });

  it("carries a request to the holder's handler and its answer back, in the order sent", async () => {
    const [sender, holder] = [await router(), await router()];
    const seen: string[] = [];
    holder.serve(async (request) => {
      seen.push(request.kind === 'run' ? request.operation.operationId : `cancel ${request.operationId}`);
      return request.kind === 'run' ? { status: 202 } : { status: 200 };
    });
    const answers = await Promise.all([
      sender.forward(holder.processId, run('a')),
      sender.forward(holder.processId, { kind: 'cancel', token: 'token-1', sub: 'alice', operationId: 'a', requestId: 'r' }),
      sender.forward(holder.processId, run('b')),
    ]);
    expect(answers).toEqual([{ status: 202 }, { status: 200 }, { status: 202 }]);
    expect(seen).toEqual(['a', 'cancel a', 'b']);
  });

  it('answers 404 at once when no process listens for the holder', async () => {
    const sender = await router();
    const answer = await sender.forward('a-process-that-is-gone', run('a'));
    expect(answer).toMatchObject({ status: 404, message: expect.stringMatching(/gone/) });
  });

  it('answers 503 SERVICE_UNAVAILABLE when the holder does not answer in time', async () => {
    const [sender, holder] = [await router(200), await router()];
    holder.serve(() => new Promise<StreamAnswer>(() => {}));
    expect(await sender.forward(holder.processId, run('a'))).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
  });

  it('answers 503 SERVICE_UNAVAILABLE when Redis fails', async () => {
    const publisher = connect();
    const sender = await createRedisRouter({ publisher, subscriber: connect(), prefix });
    routers.push(sender);
    publisher.disconnect();
    expect(await sender.forward('anyone', run('a'))).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
  });

  it('drops a malformed message and goes on serving', async () => {
    const [sender, holder] = [await router(), await router()];
    holder.serve(async () => ({ status: 202 }));
    await connect().publish(`${prefix}sse:process:${holder.processId}`, '{"kind":"request","call":"x"}');
    expect(await malformed.next()).toBeInstanceOf(Error);
    expect(await sender.forward(holder.processId, run('a'))).toEqual({ status: 202 });
  });
});

describe('the Redis reservation keys', () => {
  it('live under the prefix and the {pulse} hash tag, so the scripts touch one Cluster slot', () => {
    const keys = reservationKeys('pulse:');
    expect([keys.reservation('t'), keys.operations('t'), keys.order('t'), keys.pending('alice')].every((key) => key.startsWith('pulse:{pulse}:sse:'))).toBe(true);
  });
});
