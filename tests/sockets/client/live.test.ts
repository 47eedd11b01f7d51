import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createActivityReporter, createPulseClient, type ActivityEvent, type ConnectionStatus, type PulseClient, type SseTransport } from '../../../client/lib/index.js';
import { postGraphQL } from '../../support/clients.js';
import { seqOf } from '../../support/cursors.js';
import { EventQueue } from '../../support/event-queue.js';
import { ACTIVE_USERS, RECORD, activity } from '../../support/operations.js';
import { startTestPulse, type TestPulse } from '../../support/pulse.js';

type Reconnecting = Extract<ConnectionStatus, { kind: 'reconnecting' }>;

/** A client whose statuses and events are queued for the test to wait on. */
interface Watched {
  readonly pulse: PulseClient;
  readonly statuses: EventQueue<ConnectionStatus>;
  readonly events: EventQueue<ActivityEvent>;
}

const TRANSPORTS: readonly SseTransport[] = ['single', 'distinct'];

describe.each(TRANSPORTS)('the live feed over graphql-sse (%s) against a real Pulse', (transport) => {
  const servers = new Set<TestPulse>();
  const clients = new Set<PulseClient>();

  afterEach(async () => {
    clients.forEach((client) => client.dispose());
    clients.clear();
    await Promise.all([...servers].map((server) => server.close()));
    servers.clear();
  });

  const serve = async (options: Parameters<typeof startTestPulse>[0] = {}): Promise<TestPulse> => {
    const server = await startTestPulse(options);
    servers.add(server);
    return server;
  };
  const stop = async (server: TestPulse): Promise<void> => {
    servers.delete(server);
    await server.close();
  };
  const watch = (url: string, token: string | (() => Promise<string>), fetchFn?: typeof fetch): Watched => {
    const pulse = createPulseClient({ url, token, transport, initialRetryDelayMs: 20, maxRetryDelayMs: 400, lifecycle: null, ...(fetchFn && { fetch: fetchFn }) });
    clients.add(pulse);
    const statuses = new EventQueue<ConnectionStatus>();
    const events = new EventQueue<ActivityEvent>();
    pulse.live.onStatus(statuses.push);
    pulse.live.onEvent(events.push);
    return { pulse, statuses, events };
  };
  const record = async (server: TestPulse, input: Record<string, unknown>): Promise<void> => {
    const { body } = await postGraphQL(server.graphqlUrl, await server.token('app', ['ingest']), RECORD, { input });
    expect(body.errors).toBeUndefined();
  };

  it('delivers the snapshot, then every change, to onEvent', async () => {
    const server = await serve();
    const user = `u-${randomUUID()}`;
    await record(server, activity(`${user}-1`, user, { userName: 'Ada', path: '/a' }));
    const { pulse, statuses, events } = watch(server.url, await server.token('admin', ['admin']));

    pulse.live.start({ filter: { userId: user } });
    const snapshot = await events.next();
    expect(snapshot).toMatchObject({ __typename: 'Snapshot', activeUsers: { edges: [{ node: { id: user, name: 'Ada' } }] } });
    expect(await statuses.waitFor((s) => s.kind === 'connected')).toEqual({ kind: 'connected' });

    await record(server, activity(`${user}-2`, user, { path: '/b' }));
    const started = await events.waitFor((e) => e.__typename === 'SessionStarted');
    expect(started).toMatchObject({ session: { id: `${user}-2`, userId: user, path: '/b' } });
    expect(seqOf(started.cursor)).toBeGreaterThan(seqOf(snapshot.cursor));
    expect(statuses.seen.map((s) => s.kind)).toEqual(['connecting', 'connected']);
  });

  it('reports a refused token as failed UNAUTHENTICATED, and does not retry', async () => {
    const server = await serve();
    let requests = 0;
    const counting: typeof fetch = (input, init) => {
      requests++;
      return fetch(input, init);
    };
    const { pulse, statuses } = watch(server.url, 'not-a-jwt', counting);

    pulse.live.start();
    const failed = await statuses.waitFor((s) => s.kind === 'failed');
    expect(failed).toMatchObject({ kind: 'failed', code: 'UNAUTHENTICATED' });
    const requestsWhenFailed = requests;
    // A full round trip later, nothing was scheduled and nothing more was sent.
    const query = await pulse.urql.query(ACTIVE_USERS, { first: 1 }).toPromise();
    expect(query.error?.response?.status).toBe(401);
    expect(statuses.seen.map((s) => s.kind)).toEqual(['connecting', 'failed']);
    expect(requests).toBe(requestsWhenFailed + 1);
  });

  it('reports a third subscription of one admin as failed TOO_MANY_SUBSCRIPTIONS', async () => {
    const server = await serve({ env: { MAX_SUBSCRIPTIONS_PER_ADMIN: '2' } });
    const token = await server.token('busy-admin', ['admin']);
    const [first, second, third] = [watch(server.url, token), watch(server.url, token), watch(server.url, token)];

    for (const { pulse, statuses } of [first, second]) {
      pulse.live.start();
      await statuses.waitFor((s) => s.kind === 'connected');
    }
    third.pulse.live.start();
    expect(await third.statuses.waitFor((s) => s.kind !== 'connecting')).toMatchObject({ kind: 'failed', code: 'TOO_MANY_SUBSCRIPTIONS' });

    // Once a slot is free, starting again succeeds.
    first.pulse.live.stop();
    third.pulse.live.start();
    await third.statuses.waitFor((s) => s.kind === 'connected', 5_000, 'the retried subscription to connect');
  });

  it('reconnects with growing delays while Pulse is down, then resumes with a fresh snapshot', async () => {
    const first = await serve();
    const port = new URL(first.url).port;
    let tokenCalls = 0;
    const token = async (): Promise<string> => {
      tokenCalls++;
      return first.token('admin', ['admin']);
    };
    const { pulse, statuses, events } = watch(first.url, token);
    pulse.live.start();
    expect((await events.next()).__typename).toBe('Snapshot');
    await statuses.waitFor((s) => s.kind === 'connected');

    await stop(first);
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const reconnecting = await statuses.waitFor((s): s is Reconnecting => s.kind === 'reconnecting', 5_000, `reconnect attempt ${attempt}`);
      expect(reconnecting.attempt).toBe(attempt);
      delays.push(reconnecting.delayMs);
    }
    expect([...delays].sort((a, b) => a - b)).toEqual(delays);
    expect(Math.max(...delays)).toBeGreaterThan(Math.min(...delays));

    // The same deployment comes back on the same port, with activity that happened meanwhile.
    const second = await serve({ env: { PORT: port }, secret: first.secret });
    const user = `u-${randomUUID()}`;
    await record(second, activity(`${user}-1`, user, { userName: 'Back' }));
    await statuses.waitFor((s) => s.kind === 'connected', 10_000, 'the feed to reconnect');
    const fresh = await events.waitFor((e) => e.__typename === 'Snapshot');
    expect(fresh).toMatchObject({ activeUsers: { edges: [{ node: { id: user, name: 'Back' } }] } });
    // The token function ran once per connection attempt, so a refreshed token would have been used.
    expect(tokenCalls).toBe(statuses.seen.filter((s) => s.kind === 'connecting').length);
    expect(tokenCalls).toBeGreaterThanOrEqual(4);
  });

  it('resumes from its last cursor after the server drops it, receiving Resumed and then what it missed', async () => {
    // Redis keeps the history across the restart of this (only) Pulse process.
    const redisPrefix = `resume-${randomUUID().slice(0, 8)}:`;
    const first = await serve({ backend: 'redis', redisPrefix });
    const port = new URL(first.url).port;
    const { pulse, statuses, events } = watch(first.url, await first.token('admin', ['admin']));
    pulse.live.start();
    const snapshot = await events.next();
    expect(snapshot).toMatchObject({ __typename: 'Snapshot', resume: 'FRESH' });
    await statuses.waitFor((s) => s.kind === 'connected');

    await stop(first);
    await statuses.waitFor((s) => s.kind === 'reconnecting', 5_000, 'the feed to notice the drop');
    const second = await serve({ backend: 'redis', redisPrefix, env: { PORT: port }, secret: first.secret });
    const user = `u-${randomUUID()}`;
    await record(second, activity(`${user}-1`, user, { userName: 'Missed' }));

    const resumed = await events.waitFor((e) => e.__typename === 'Resumed' || e.__typename === 'Snapshot', 10_000, 'the resumed stream');
    expect(resumed).toMatchObject({ __typename: 'Resumed', cursor: snapshot.cursor });
    const missed = await events.next();
    expect(missed).toMatchObject({ __typename: 'SessionStarted', session: { id: `${user}-1`, userName: 'Missed' } });
    expect(seqOf(missed.cursor)).toBe(seqOf(snapshot.cursor) + 1);
  });

  it('records reported activity in batches that show up in activeUsers', async () => {
    const server = await serve();
    const reporter = createActivityReporter({ url: server.url, token: await server.token('app', ['ingest']), maxBatch: 2 });
    const users = [0, 1, 2].map((i) => `u-${i}-${randomUUID()}`);
    users.forEach((user) => expect(reporter.report({ sessionId: `${user}-s`, userId: user, path: '/reported' })).toBe(true));
    await reporter.close();
    expect(reporter.stats).toMatchObject({ sent: 3, queued: 0, droppedRefused: 0 });

    const { body } = await postGraphQL<{ activeUsers: { edges: Array<{ node: { id: string } }> } }>(
      server.graphqlUrl,
      await server.token('admin', ['admin']),
      ACTIVE_USERS,
      { first: 100 },
    );
    expect(body.data?.activeUsers.edges.map((e) => e.node.id)).toEqual(expect.arrayContaining(users));
  });
});
