import { randomBytes, randomUUID } from 'node:crypto';
import type { ExecutionResult } from 'graphql';
import { createClient, TOKEN_HEADER_KEY, type Client } from 'graphql-sse';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../../server/auth/authenticator.js';
import { redisKeys } from '../../../server/redis/keys.js';
import { postGraphQL } from '../../support/clients.js';
import { EventQueue } from '../../support/event-queue.js';
import { ACTIVITY, RECORD, STATS, activity } from '../../support/operations.js';
import { parseExposition, sampleValue } from '../../support/prometheus.js';
import { spawnPulse, type PulseProcess } from '../../support/pulse-process.js';
import { startTestPulse } from '../../support/pulse.js';
import { Redis } from 'ioredis';
import { connectTestRedis, uniquePrefix } from '../../support/redis.js';
import { startRedisDeployment, type RedisDeploymentKind } from '../../support/redis-cluster.js';
import { waitUntil } from '../../support/wait.js';

/**
 * Settings every Pulse of these tests runs with: a short reservation life, one pending reservation and one
 * connected stream per admin, and a short lease (and stream record) life, so a killed process's stream lapses soon.
 */
const ENV = {
  SSE_RESERVATION_TTL_MS: '500',
  MAX_SSE_RESERVATIONS_PER_ADMIN: '1',
  MAX_SSE_STREAMS_PER_ADMIN: '1',
  MAX_SUBSCRIPTIONS_PER_ADMIN: '5',
  SSE_KEEPALIVE_MS: '200',
  LEASE_TTL_MS: '2000',
};

/** The gateway under test: processes `a` and `b` (one and the same in memory mode), and how to start another. */
interface Deployment {
  readonly a: string;
  readonly b: string;
  token(sub: string, role?: 'admin' | 'ingest'): Promise<string>;
  /** A third process on the same backend, which a test may kill (Redis only). */
  spawnDoomed?(): Promise<PulseProcess>;
  /** Per-process router channels Redis has a subscriber for (Redis only): one per live process. */
  routerChannels?(): Promise<number>;
  close(): Promise<void>;
}

/** Router channels with a subscriber on one Redis (classic) or on a cluster's masters (sharded, each on the master of its slot). */
async function countRouterChannels(masters: readonly Redis[], sharded: boolean, pattern: string): Promise<number> {
  const perMaster = await Promise.all(masters.map((master) => master.call('PUBSUB', sharded ? 'SHARDCHANNELS' : 'CHANNELS', pattern) as Promise<string[]>));
  return perMaster.flat().length;
}

/** Two processes on one Redis, or on a 3-master Redis Cluster of their own. */
async function twoProcesses(kind: RedisDeploymentKind): Promise<Deployment> {
  const secret = randomBytes(32).toString('base64url');
  const prefix = uniquePrefix('sse-single');
  const deployment = await startRedisDeployment(kind);
  const env = { ...ENV, ...deployment.env, REDIS_PREFIX: prefix, JWT_SECRET: secret, WORKERS: '1' };
  const started = await Promise.all([spawnPulse(env), spawnPulse(env)]);
  const cluster = deployment.cluster;
  const masters = cluster ? cluster.ports.map((port) => new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 })) : [connectTestRedis()];
  const [a, b] = started as [PulseProcess, PulseProcess];
  return {
    a: a.url,
    b: b.url,
    token: (sub, role = 'admin') => mintToken({ secret, sub, roles: [role] }),
    spawnDoomed: async () => {
      const doomed = await spawnPulse(env);
      started.push(doomed);
      return doomed;
    },
    routerChannels: () => countRouterChannels(masters, cluster !== undefined, redisKeys(prefix).streamRouterChannel('*')),
    close: async () => {
      await Promise.all(started.map((child) => (child.child.signalCode === null ? child.stop() : null)));
      await Promise.all(masters.map((master) => master.quit()));
      await deployment.dispose();
    },
  };
}

async function oneProcessInMemory(): Promise<Deployment> {
  const pulse = await startTestPulse({ backend: 'memory', env: ENV });
  return { a: pulse.url, b: pulse.url, token: (sub, role = 'admin') => pulse.token(sub, [role]), close: () => pulse.close() };
}

/** One request the routed client sent: where to, and what came back. */
interface Sent {
  readonly method: string;
  readonly stream: boolean;
  readonly to: string;
  readonly status: number;
}

/**
 * The official graphql-sse client in single connection mode, sending its
 * event stream to `streamTo` and every other request (the reservation, the
 * operations, their DELETEs) to `restTo`: what a load balancer without
 * sticky sessions may do.
 */
function routedClient(streamTo: string, restTo: string, token: string): { client: Client<true>; sent: Sent[]; streamToken(): string } {
  const sent: Sent[] = [];
  let streamToken: string | undefined;
  const fetchFn = async (input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> => {
    const headers = (init.headers ?? {}) as Record<string, string>;
    const stream = headers.accept === 'text/event-stream';
    if (stream) streamToken = headers[TOKEN_HEADER_KEY];
    const url = new URL(String(input));
    const to = stream ? streamTo : restTo;
    const response = await fetch(`${to}${url.pathname}${url.search}`, init);
    sent.push({ method: init.method ?? 'GET', stream, to, status: response.status });
    return response;
  };
  const client = createClient({ url: `${restTo}/graphql/stream`, singleConnection: true, headers: { authorization: `Bearer ${token}` }, retryAttempts: 0, fetchFn });
  return {
    client,
    sent,
    streamToken: () => {
      if (streamToken === undefined) throw new Error('the client has not connected its stream yet');
      return streamToken;
    },
  };
}

/** One operation of a client: its results queued, its end noted. */
interface Operation {
  readonly results: EventQueue<ExecutionResult<Record<string, unknown>>>;
  readonly completed: Promise<void>;
  unsubscribe(): void;
}

function operate(client: Client<true>, query: string, variables?: Record<string, unknown>): Operation {
  const results = new EventQueue<ExecutionResult<Record<string, unknown>>>();
  let complete!: () => void;
  let fail!: (error: unknown) => void;
  const completed = new Promise<void>((resolve, reject) => ((complete = resolve), (fail = reject)));
  completed.catch(() => undefined);
  const unsubscribe = client.subscribe(variables ? { query, variables } : { query }, {
    next: results.push,
    error: (error) => (results.fail(error), fail(error)),
    complete: () => (results.end(), complete()),
  });
  return { results, completed, unsubscribe };
}

type Event = { __typename: string; session?: { id: string } };
const eventOf = (result: ExecutionResult<Record<string, unknown>>): Event => result.data?.activityChanged as Event;

/** A message of an event stream read raw. */
interface SseMessage {
  readonly event: string;
  readonly data: { id?: string; payload?: ExecutionResult };
}

/** Reads a raw event stream into a queue of its messages; `comments` counts the keep-alives. */
function readMessages(response: Response): { messages: EventQueue<SseMessage>; comments(): number; stop(): Promise<void> } {
  const messages = new EventQueue<SseMessage>();
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let comments = 0;
  void (async () => {
    for (;;) {
      const chunk = await reader?.read().catch(() => undefined);
      if (!chunk || chunk.done) return messages.end();
      text += decoder.decode(chunk.value, { stream: true });
      const blocks = text.split('\n\n');
      text = blocks.pop() ?? '';
      for (const block of blocks) {
        if (block.startsWith(':')) comments++;
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event !== undefined) messages.push({ event, data: JSON.parse(data ?? 'null') as SseMessage['data'] });
      }
    }
  })();
  return { messages, comments: () => comments, stop: async () => void (await reader?.cancel().catch(() => undefined)) };
}

/** Raw requests of the protocol, for what the official client never sends. */
const raw = {
  reserve: (base: string, auth: string) => fetch(`${base}/graphql/stream`, { method: 'PUT', headers: { authorization: `Bearer ${auth}`, accept: 'text/plain' } }),
  connect: (base: string, auth: string, streamToken: string) =>
    fetch(`${base}/graphql/stream`, { headers: { authorization: `Bearer ${auth}`, accept: 'text/event-stream', [TOKEN_HEADER_KEY]: streamToken } }),
  run: (base: string, auth: string, streamToken: string, operationId: string, query: string) =>
    fetch(`${base}/graphql/stream`, {
      method: 'POST',
      headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json', [TOKEN_HEADER_KEY]: streamToken },
      body: JSON.stringify({ query, extensions: { operationId } }),
    }),
  cancel: (base: string, auth: string, streamToken: string, operationId: string) =>
    fetch(`${base}/graphql/stream?operationId=${encodeURIComponent(operationId)}`, { method: 'DELETE', headers: { authorization: `Bearer ${auth}`, [TOKEN_HEADER_KEY]: streamToken } }),
};

async function errorOf(response: Response): Promise<{ status: number; message: string; code: unknown }> {
  const body = (await response.json()) as { errors: Array<{ message: string; extensions?: { code?: unknown } }> };
  return { status: response.status, message: body.errors[0]?.message ?? '', code: body.errors[0]?.extensions?.code };
}

/**
 * Reserves (again whenever a reservation lapsed) and connects on `base` until a stream opens, checking that every
 * refusal meanwhile is the bound on streams; resolves with the open stream. Polled: a freed slot sends no event.
 */
async function connectOnceFree(base: string, auth: string, timeoutMs: number): Promise<Response> {
  let token: string | null = null;
  return waitUntil(
    async () => {
      if (token === null) {
        const reserved = await raw.reserve(base, auth);
        token = reserved.status === 201 ? await reserved.text() : null;
        if (token === null) return null;
      }
      const stream = await raw.connect(base, auth, token);
      if (stream.status === 200) return stream;
      const refusal = await errorOf(stream);
      if (refusal.status === 404) token = null;
      else expect(refusal).toMatchObject({ status: 429, code: 'TOO_MANY_SUBSCRIPTIONS', message: expect.stringMatching(/MAX_SSE_STREAMS_PER_ADMIN/) });
      return null;
    },
    timeoutMs,
    { intervalMs: 50, what: `a stream slot on ${base}` },
  );
}

/** One sample of `base`'s `/metrics` (0 when absent). */
async function metric(base: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  return sampleValue(parseExposition(await (await fetch(`${base}/metrics`)).text()), name, labels) ?? 0;
}

const DEPLOYMENTS = [
  ['two processes on one Redis', () => twoProcesses('redis')],
  ['two processes on a Redis Cluster', () => twoProcesses('redis-cluster')],
  ['one process in memory', oneProcessInMemory],
] as const;

describe.each(DEPLOYMENTS)('graphql-sse single connection mode, requests sent to the wrong process: %s', (_name, deploy) => {
  let gateway: Deployment;
  const disposals: Array<() => void> = [];

  beforeAll(async () => {
    gateway = await deploy();
  }, 60_000);
  afterEach(() => {
    disposals.splice(0).forEach((dispose) => dispose());
  });
  afterAll(() => gateway?.close());

  /** A routed client of a fresh admin, disposed after the test. */
  const client = async (streamTo: string, restTo: string) => {
    const sub = `admin-${randomUUID()}`;
    const auth = await gateway.token(sub);
    const routed = routedClient(streamTo, restTo, auth);
    disposals.push(() => routed.client.dispose());
    return { ...routed, sub, auth };
  };

  /** Waits until no subscription or lease is left on `base` (what earlier tests held winds down). */
  const idle = (base: string) =>
    waitUntil(async () => (await metric(base, 'pulse_leases_held')) === 0, 5_000, { what: `${base} to hold no subscription` });

  describe.each([
    ['stream on A, the rest on B', 'a', 'b'],
    ['stream on B, the rest on A', 'b', 'a'],
  ] as const)('%s', (_route, streamOn, restOn) => {
    it('runs several operations over the one stream, held where it connected, and delivers changes to each', async () => {
      const [holder, other] = [gateway[streamOn], gateway[restOn]];
      await idle(holder);
      const { client: sse, sent } = await client(holder, other);
      const [u1, u2] = [`u1-${randomUUID()}`, `u2-${randomUUID()}`];
      const first = operate(sse, ACTIVITY, { filter: { userId: u1 } });
      const second = operate(sse, ACTIVITY, { filter: { userId: u2 } });
      expect(eventOf(await first.results.next()).__typename).toBe('Snapshot');
      expect(eventOf(await second.results.next()).__typename).toBe('Snapshot');
      const query = operate(sse, STATS);
      expect((await query.results.next()).data?.stats).toMatchObject({ activeUsers: expect.any(Number) });
      await query.completed;

      const ingest = await gateway.token('app', 'ingest');
      for (const user of [u1, u2]) await postGraphQL(`${other}/graphql`, ingest, RECORD, { input: activity(`${user}-s`, user) });
      expect(eventOf(await first.results.waitFor((r) => eventOf(r).__typename === 'SessionStarted')).session?.id).toBe(`${u1}-s`);
      expect(eventOf(await second.results.waitFor((r) => eventOf(r).__typename === 'SessionStarted')).session?.id).toBe(`${u2}-s`);
      // One stream, in order: by the time u2's change arrived, a duplicate of u1's, or u2's on the wrong operation, would have too.
      const sessionsOf = (op: Operation) => op.results.seen.map(eventOf).flatMap((e) => (e.__typename === 'SessionStarted' ? [e.session?.id] : []));
      expect([sessionsOf(first), sessionsOf(second)]).toEqual([[`${u1}-s`], [`${u2}-s`]]);

      // One stream, on the holder; every operation went to the other process and was accepted there.
      expect(sent.filter((s) => s.stream)).toEqual([{ method: 'GET', stream: true, to: holder, status: 200 }]);
      expect(sent.filter((s) => !s.stream && s.method === 'POST')).toEqual(Array(3).fill({ method: 'POST', stream: false, to: other, status: 202 }));
      expect(await metric(holder, 'pulse_subscriptions', { transport: 'sse-single' })).toBe(2);
    });

    it('stops an operation on the holder when its DELETE reaches the other process, and keeps its sibling', async () => {
      const [holder, other] = [gateway[streamOn], gateway[restOn]];
      await idle(holder);
      const { client: sse, sent } = await client(holder, other);
      const user = `u-${randomUUID()}`;
      const stopped = operate(sse, ACTIVITY);
      const kept = operate(sse, ACTIVITY, { filter: { userId: user } });
      for (const op of [stopped, kept]) expect(eventOf(await op.results.next()).__typename).toBe('Snapshot');
      expect(await metric(holder, 'pulse_leases_held')).toBe(2);

      stopped.unsubscribe();
      // Polled: releasing a lease sends no event.
      await waitUntil(async () => (await metric(holder, 'pulse_leases_held')) === 1, 5_000, { what: 'the stopped operation to release its lease' });
      expect(await metric(holder, 'pulse_subscriptions', { transport: 'sse-single' })).toBe(1);
      // The lease can be released before the DELETE's answer is back at the client, which records it then.
      await waitUntil(() => sent.some((s) => s.method === 'DELETE'), 5_000, { what: "the DELETE's answer" });
      expect(sent.filter((s) => s.method === 'DELETE')).toEqual([{ method: 'DELETE', stream: false, to: other, status: 200 }]);

      await postGraphQL(`${other}/graphql`, await gateway.token('app', 'ingest'), RECORD, { input: activity(`${user}-s`, user) });
      expect(eventOf(await kept.results.waitFor((r) => eventOf(r).__typename === 'SessionStarted')).session?.id).toBe(`${user}-s`);
    });

    it('refuses a second stream for a connected token with 409 on either process, and the token to anyone else with 404', async () => {
      const [holder, other] = [gateway[streamOn], gateway[restOn]];
      const { client: sse, streamToken, auth } = await client(holder, other);
      const op = operate(sse, ACTIVITY);
      await op.results.next();
      for (const base of [other, holder]) {
        const second = await raw.connect(base, auth, streamToken());
        expect(await errorOf(second)).toMatchObject({ status: 409, code: 'CONFLICT', message: expect.stringMatching(/already open/) });
      }
      const thief = await gateway.token(`thief-${randomUUID()}`);
      expect((await raw.connect(other, thief, streamToken())).status).toBe(404);
      expect((await raw.run(other, thief, streamToken(), 'x', '{ __typename }')).status).toBe(404);
      expect((await raw.cancel(other, thief, streamToken(), 'x')).status).toBe(404);
    });
  });

  it('answers an unknown token with 404 on every request', async () => {
    const auth = await gateway.token(`admin-${randomUUID()}`);
    const unknown = randomUUID();
    expect(await errorOf(await raw.connect(gateway.a, auth, unknown))).toMatchObject({ status: 404, code: 'NOT_FOUND', message: expect.stringMatching(/No pending reservation/) });
    expect(await errorOf(await raw.run(gateway.b, auth, unknown, 'x', '{ __typename }'))).toMatchObject({ status: 404, code: 'NOT_FOUND', message: expect.stringMatching(/Stream not found/) });
    expect((await raw.cancel(gateway.b, auth, unknown, 'x')).status).toBe(404);
  });

  it('forgets a reservation that never connects, on every process, and bounds pending ones across them', async () => {
    const auth = await gateway.token(`admin-${randomUUID()}`);
    const reserved = await raw.reserve(gateway.b, auth);
    expect(reserved.status).toBe(201);
    const lapsing = await reserved.text();
    expect(await errorOf(await raw.reserve(gateway.a, auth))).toMatchObject({ status: 429, code: 'TOO_MANY_SUBSCRIPTIONS' });
    // No event says a reservation lapsed: its freed slot shows it.
    await waitUntil(async () => (await raw.reserve(gateway.a, auth)).status === 201, 5_000, { intervalMs: 50, what: 'the reservation to lapse' });
    expect(await errorOf(await raw.connect(gateway.a, auth, lapsing))).toMatchObject({ status: 404, message: expect.stringMatching(/No pending reservation/) });
    expect((await raw.run(gateway.b, auth, lapsing, 'x', '{ __typename }')).status).toBe(404);
  });

  it('runs the operations sent before the stream connects once it does, wherever each was sent, and routes later ones to it', async () => {
    const auth = await gateway.token(`admin-${randomUUID()}`);
    const token = await (await raw.reserve(gateway.b, auth)).text();
    expect((await raw.run(gateway.a, auth, token, 'q1', '{ first: __typename }')).status).toBe(202);
    expect((await raw.run(gateway.b, auth, token, 'q2', '{ second: __typename }')).status).toBe(202);
    expect((await raw.run(gateway.a, auth, token, 'q2', '{ again: __typename }')).status).toBe(409);
    expect((await raw.run(gateway.a, auth, token, 'dropped', '{ dropped: __typename }')).status).toBe(202);
    expect((await raw.cancel(gateway.b, auth, token, 'dropped')).status).toBe(200);

    const response = await raw.connect(gateway.b, auth, token);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('x-request-id')).toBeTruthy();
    const stream = readMessages(response);
    try {
      const early = [await stream.messages.next(), await stream.messages.next(), await stream.messages.next(), await stream.messages.next()];
      expect(early).toEqual([
        { event: 'next', data: { id: 'q1', payload: { data: { first: 'Query' } } } },
        { event: 'complete', data: { id: 'q1' } },
        { event: 'next', data: { id: 'q2', payload: { data: { second: 'Query' } } } },
        { event: 'complete', data: { id: 'q2' } },
      ]);

      // Sent after the stream connected, to the process that does not hold it.
      expect((await raw.run(gateway.a, auth, token, 'live', ACTIVITY)).status).toBe(202);
      const snapshot = await stream.messages.next();
      expect(snapshot).toMatchObject({ event: 'next', data: { id: 'live', payload: { data: { activityChanged: { __typename: 'Snapshot' } } } } });
      expect((await raw.run(gateway.a, auth, token, 'live', ACTIVITY)).status).toBe(409);
      expect((await raw.run(gateway.a, auth, token, 'refused', '{ nope }')).status).toBe(202);
      const refused = await stream.messages.next();
      expect(refused).toMatchObject({ event: 'next', data: { id: 'refused', payload: { errors: [{ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] } } });
      expect(await stream.messages.next()).toEqual({ event: 'complete', data: { id: 'refused' } });
      expect((await raw.cancel(gateway.a, auth, token, 'live')).status).toBe(200);
      // Keep-alives flow while nothing else does (SSE_KEEPALIVE_MS is 200 here).
      const comments = stream.comments();
      await waitUntil(() => stream.comments() > comments, 3_000, { what: 'a keep-alive comment' });
      expect(stream.messages.drain()).toEqual([]);
    } finally {
      await stream.stop();
    }
  });

  it('bounds connected streams per admin across processes (MAX_SSE_STREAMS_PER_ADMIN), and frees the slot when a stream closes', async () => {
    const auth = await gateway.token(`admin-${randomUUID()}`);
    const held = await connectOnceFree(gateway.a, auth, 5_000);
    const waiting = await (await raw.reserve(gateway.b, auth)).text();
    expect(await errorOf(await raw.connect(gateway.b, auth, waiting))).toMatchObject({ status: 429, code: 'TOO_MANY_SUBSCRIPTIONS' });
    expect(await metric(gateway.b, 'pulse_limit_refusals_total', { limit: 'MAX_SSE_STREAMS_PER_ADMIN' })).toBeGreaterThan(0);
    await held.body?.cancel();
    const next = await connectOnceFree(gateway.b, auth, 5_000);
    await next.body?.cancel();
  });

  // Only processes can die apart from the rest.
  if (deploy !== oneProcessInMemory) {
    it("stops counting a killed process's stream against its admin's bound once its record lapses (LEASE_TTL_MS)", async () => {
      const doomed = await gateway.spawnDoomed?.();
      if (doomed === undefined) throw new Error('this deployment cannot spawn a process');
      const auth = await gateway.token(`admin-${randomUUID()}`);
      const held = await connectOnceFree(doomed.url, auth, 5_000);
      const waiting = await (await raw.reserve(gateway.b, auth)).text();
      expect(await errorOf(await raw.connect(gateway.b, auth, waiting))).toMatchObject({ status: 429, code: 'TOO_MANY_SUBSCRIPTIONS' });
      doomed.child.kill('SIGKILL');
      await held.body?.cancel().catch(() => undefined);
      // Nothing released it: only the lapse of its record (2 s here) frees the slot.
      const next = await connectOnceFree(gateway.b, auth, 10_000);
      await next.body?.cancel();
    });

    it('answers an operation for a stream whose holder died with 404 at once, not a hang', async () => {
      const doomed = await gateway.spawnDoomed?.();
      if (doomed === undefined) throw new Error('this deployment cannot spawn a process');
      const { client: sse, streamToken, auth } = await client(doomed.url, gateway.b);
      const op = operate(sse, ACTIVITY);
      await op.results.next();
      const live = (await gateway.routerChannels?.()) ?? 0;
      doomed.child.kill('SIGKILL');
      // Its client sees the stream break (retries are off).
      await expect(op.completed).rejects.toBeDefined();
      // Under load Redis may notice the dead connection after the client does; until then PUBLISH still counts it.
      await waitUntil(async () => ((await gateway.routerChannels?.()) ?? 0) < live, 10_000, { what: "Redis to drop the dead holder's channel" });
      const started = Date.now();
      const answer = await raw.run(gateway.b, auth, streamToken(), 'late', '{ __typename }');
      expect(await errorOf(answer)).toMatchObject({ status: 404, message: expect.stringMatching(/gone/) });
      expect(Date.now() - started).toBeLessThan(2_000);
    });
  }
});
