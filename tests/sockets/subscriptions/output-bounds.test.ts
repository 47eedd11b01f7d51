import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { ExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { openClient, postGraphQL, type Transport } from '../../support/clients.js';
import { EventQueue } from '../../support/event-queue.js';
import { heldBytesAfterGc } from '../../support/memory.js';
import { ACTIVITY, RECORD_MANY, activity } from '../../support/operations.js';
import { startTestPulse, type TestPulse } from '../../support/pulse.js';
import { openRawSingleStream, postStreamOperation } from '../../support/raw-sse-single.js';
import { waitUntil } from '../../support/wait.js';

/** 100 users with a long path and user agent each: one `activeUsers(first: 100)` answer is about 270 KB. */
const USERS = 100;
const BIG = /* GraphQL */ `
  query Big { activeUsers(first: 100) { edges { node { id name sessions { id path userAgent } } } } }
`;
/** What a client asks for in the attack: 1,000 answers of ~270 KB, far more than any bound. */
const QUERIES = 1000;
/** Generous: the bound is 1 MiB per connection plus the answers in flight; an unbounded queue would be ~270 MB. */
const MEMORY_SLACK = 32 * 1024 * 1024;

/** Runs `count` operations through `run`, at most `window` at a time, and returns their results in order. */
async function inWindows<T>(count: number, window: number, run: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < count; start += window) {
    const batch = Array.from({ length: Math.min(window, count - start) }, (_, offset) => run(start + offset));
    results.push(...(await Promise.all(batch)));
  }
  return results;
}

/** One query over an official client, resolving with its one result once it completed. */
function queryOnce(client: ReturnType<typeof openClient>, query: string): Promise<ExecutionResult<Record<string, unknown>>> {
  return new Promise((resolve, reject) => {
    let result: ExecutionResult<Record<string, unknown>> | undefined;
    client.subscribe({ query }, {
      next: (value) => (result = value),
      error: reject,
      complete: () => (result ? resolve(result) : reject(new Error('completed without a result'))),
    });
  });
}

const edgesOf = (result: ExecutionResult<Record<string, unknown>>): number => ((result.data?.activeUsers as { edges: unknown[] } | undefined)?.edges ?? []).length;

describe('output bounded per connection, for queries as for subscriptions', () => {
  let pulse: TestPulse;
  let admin: string;

  beforeAll(async () => {
    pulse = await startTestPulse({ env: { MAX_SUBSCRIPTIONS_PER_ADMIN: '20', STATS_INTERVAL_MS: '60000' } });
    admin = await pulse.token(`admin-${randomUUID()}`, ['admin']);
    const inputs = Array.from({ length: USERS }, (_, i) =>
      activity(`s-${i}`, `u-${i}-${'x'.repeat(30)}`, { userName: 'n'.repeat(120), path: `/${'p'.repeat(2000)}`, userAgent: 'a'.repeat(500) }),
    );
    const { body } = await postGraphQL(pulse.graphqlUrl, await pulse.token('app', ['ingest']), RECORD_MANY, { inputs });
    expect(body.errors).toBeUndefined();
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await pulse?.close();
  });

  const slowDisconnects = async (): Promise<number> => (await pulse.services.metrics.slowConsumerDisconnects.get()).values[0]?.value ?? 0;
  /** Counts executions of the big query: each reads one page of active users from the store. */
  const countExecutions = (): { readonly count: () => number } => {
    // Spying on a method spied on already returns the same spy, whose calls include the earlier test's: count from here.
    const spy = vi.spyOn(pulse.services.store, 'activeUsers');
    const before = spy.mock.calls.length;
    return { count: () => spy.mock.calls.length - before };
  };

  it('graphql-ws: a client that sends 1,000 large queries and never reads is dropped; its pending queries do not run and memory stays within the bounds', async () => {
    const before = await slowDisconnects();
    const heldBefore = heldBytesAfterGc();
    const executions = countExecutions();
    const socket = new WebSocket(pulse.wsUrl, 'graphql-transport-ws');
    socket.on('error', () => {});
    await once(socket, 'open');
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${admin}` } }));
    const [ack] = (await once(socket, 'message')) as [Buffer];
    expect(JSON.parse(ack.toString())).toMatchObject({ type: 'connection_ack' });
    const closed = once(socket, 'close') as Promise<[number, Buffer]>;

    socket.pause();
    for (let i = 0; i < QUERIES; i++) socket.send(JSON.stringify({ id: `q${i}`, type: 'subscribe', payload: { query: BIG } }));
    await waitUntil(() => pulse.server.ws.clientCount === 0, 10_000, { what: 'the server to drop the socket' });

    expect(await slowDisconnects()).toBe(before + 1);
    // Only the queries that found room ran; the rest waited, and went with the socket when one more than
    // MAX_OPERATIONS_PER_CONNECTION arrived.
    expect(executions.count()).toBeLessThan(50);
    const grown = heldBytesAfterGc() - heldBefore;
    expect(grown, `the server held ${grown} bytes more`).toBeLessThan(MEMORY_SLACK);
    socket.resume();
    await closed;
  });

  it('single-connection SSE: a stream that is sent 1,000 large queries and never read is dropped; later queries do not run and memory stays within the bounds', async () => {
    const before = await slowDisconnects();
    const heldBefore = heldBytesAfterGc();
    const streamUrl = `${pulse.graphqlUrl}/stream`;
    const stream = await openRawSingleStream(streamUrl, admin);
    stream.socket.pause();
    const executions = countExecutions();

    const statuses = await inWindows(QUERIES, 20, (i) => postStreamOperation(streamUrl, admin, stream.streamToken, `q${i}`, BIG));
    expect(await slowDisconnects()).toBe(before + 1);
    // Queries run while the stream had room; then they waited, until one more than MAX_OPERATIONS_PER_CONNECTION
    // dropped the stream (503 SLOW_CONSUMER); every later one found no stream (404).
    const accepted = statuses.filter((status) => status === 202).length;
    expect(executions.count()).toBeGreaterThan(0);
    expect(executions.count()).toBeLessThan(50);
    expect(accepted).toBe(100 + executions.count());
    expect(statuses.filter((status) => status === 503)).toHaveLength(1);
    expect(statuses.filter((status) => status === 404)).toHaveLength(QUERIES - accepted - 1);
    const grown = heldBytesAfterGc() - heldBefore;
    expect(grown, `the server held ${grown} bytes more`).toBeLessThan(MEMORY_SLACK);
    // Dropped, not completed: the socket ends.
    stream.socket.resume();
    await stream.closed;
  });

  it.each(['ws', 'sse-single'] as const)('%s: a client that reads gets every one of 200 large queries (50 at a time) and is not dropped', async (transport: Transport) => {
    const before = await slowDisconnects();
    const client = openClient(transport, { graphqlUrl: pulse.graphqlUrl, token: admin });
    try {
      const results = await inWindows(200, 50, () => queryOnce(client, BIG));
      expect(results.map(edgesOf)).toEqual(Array.from({ length: 200 }, () => USERS));
    } finally {
      client.dispose();
    }
    expect(await slowDisconnects()).toBe(before);
  });
});

describe('operations in flight bounded per connection (MAX_OPERATIONS_PER_CONNECTION)', () => {
  let pulse: TestPulse;

  beforeAll(async () => {
    pulse = await startTestPulse({ env: { MAX_OPERATIONS_PER_CONNECTION: '3', MAX_SUBSCRIPTIONS_PER_ADMIN: '20', STATS_INTERVAL_MS: '60000' } });
  });
  afterAll(async () => {
    await pulse?.close();
  });

  it.each(['ws', 'sse-single'] as const)('%s: one operation more than the bound drops the connection, every operation on it ending in an error, never a complete', async (transport) => {
    const before = (await pulse.services.metrics.slowConsumerDisconnects.get()).values[0]?.value ?? 0;
    const endpoint = { graphqlUrl: pulse.graphqlUrl, token: await pulse.token(`admin-${randomUUID()}`, ['admin']) };
    const client = openClient(transport, endpoint);
    const subscriptions = Array.from({ length: 4 }, () => {
      const results = new EventQueue<unknown>();
      let settle!: (how: { ended: 'error' | 'complete'; error?: unknown }) => void;
      const ended = new Promise<{ ended: 'error' | 'complete'; error?: unknown }>((resolve) => (settle = resolve));
      return { results, ended, sink: { next: results.push, error: (error: unknown) => settle({ ended: 'error', error }), complete: () => settle({ ended: 'complete' }) } };
    });
    try {
      // Three fit: each gets its snapshot.
      for (const subscription of subscriptions.slice(0, 3)) {
        client.subscribe({ query: ACTIVITY }, subscription.sink);
        expect(await subscription.results.next()).toMatchObject({ data: { activityChanged: { __typename: 'Snapshot' } } });
      }
      client.subscribe({ query: ACTIVITY }, (subscriptions[3] as (typeof subscriptions)[number]).sink);
      const endings = await Promise.all(subscriptions.slice(0, 3).map((subscription) => subscription.ended));
      expect(endings.map((ending) => ending.ended)).toEqual(['error', 'error', 'error']);
      if (transport === 'ws') expect(endings.map((ending) => (ending.error as { code?: number }).code)).toEqual([1013, 1013, 1013]);
      expect((await pulse.services.metrics.slowConsumerDisconnects.get()).values[0]?.value).toBe(before + 1);
      await waitUntil(() => pulse.services.openStreams.count === 0, 5_000, { what: 'the streams to end' });
    } finally {
      client.dispose();
    }
  });
});
