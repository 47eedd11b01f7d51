import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createPulseClient,
  StatsQuery,
  type ActivityEvent,
  type ConnectionStatus,
  type PulseClient,
  type PulseClientOptions,
  type SseTransport,
} from '../../../client/lib/index.js';
import { FakePulse, refusal, settle } from './fake-pulse.js';
import { must, oneOfEach, session, snapshot, stats } from './fixtures.js';

const TRANSPORTS: readonly SseTransport[] = ['single', 'distinct'];

describe.each(TRANSPORTS)('createPulseClient over graphql-sse, %s mode (fake server, fake timers)', (transport) => {
  let server: FakePulse;
  let pulse: PulseClient;
  let statuses: ConnectionStatus[];
  let events: ActivityEvent[];
  let invalid: Array<{ problem: string; raw: unknown }>;

  beforeEach(() => {
    vi.useFakeTimers();
    server = new FakePulse();
  });
  afterEach(() => {
    pulse.dispose();
    vi.useRealTimers();
  });

  const create = (options: Partial<PulseClientOptions> = {}): PulseClient => {
    pulse = createPulseClient({
      url: 'http://pulse.test/',
      token: 't0',
      transport,
      fetch: server.fetch,
      lifecycle: null,
      random: () => 0.5,
      onInvalidEvent: (problem, raw) => invalid.push({ problem, raw }),
      ...options,
    });
    statuses = [];
    events = [];
    invalid = [];
    pulse.live.onStatus((status) => statuses.push(status));
    pulse.live.onEvent((event) => events.push(event));
    return pulse;
  };
  const connect = async (options: Partial<PulseClientOptions> = {}): Promise<void> => {
    create(options).live.start();
    await settle();
    server.stream.next(snapshot());
    await settle();
    expect(statuses.at(-1)).toEqual({ kind: 'connected' });
  };

  it('subscribes at the endpoint of its mode, with the bearer token and the variables', async () => {
    create().live.start({ filter: { userId: 'alice' }, first: 5 });
    await settle();
    const subscribe = must(server.requests.find((r) => r.method === 'POST'));
    expect(subscribe.url).toBe(transport === 'single' ? 'http://pulse.test/graphql/stream' : 'http://pulse.test/graphql');
    expect(subscribe.headers.get('authorization')).toBe('Bearer t0');
    expect(JSON.parse(must(subscribe.body))).toMatchObject({ variables: { filter: { userId: 'alice' }, first: 5 } });
  });

  it('delivers validated events of every type', async () => {
    create().live.start();
    await settle();
    for (const event of oneOfEach()) server.stream.next(event);
    await settle();
    expect(events).toEqual(oneOfEach());
  });

  it('drops and reports a malformed event off the wire, and keeps the connection', async () => {
    await connect();
    const broken = { __typename: 'SessionEnded', cursor: '11', at: '2026-11-27T08:00:00Z', session: session(), reason: 'EXPLODED' };
    server.stream.next(broken);
    server.stream.next({ data: { somethingElse: true } }, true);
    server.stream.next({ __typename: 'StatsChanged', cursor: '12', at: '2026-11-27T08:00:00Z', stats: stats() });
    await settle();
    expect(invalid).toEqual([
      { problem: 'SessionEnded.reason: expected one of IDLE_TIMEOUT, LOGOUT, got the string "EXPLODED"', raw: broken },
      { problem: 'event: expected an object, got undefined', raw: undefined },
    ]);
    expect(events.map((e) => e.__typename)).toEqual(['Snapshot', 'StatsChanged']);
    expect(server.streams.filter((s) => s.open)).toHaveLength(1);
  });

  it('calls the token function again for every reconnect, and sends what it returns', async () => {
    let calls = 0;
    create({ token: async () => `t${++calls}` }).live.start();
    for (let attempt = 1; attempt <= 3; attempt++) {
      await settle();
      server.stream.drop();
      await settle();
      await vi.advanceTimersByTimeAsync((statuses.at(-1) as { delayMs: number }).delayMs);
    }
    await settle();
    expect(calls).toBe(4);
    expect([...new Set(server.authorizations())]).toEqual(['Bearer t1', 'Bearer t2', 'Bearer t3', 'Bearer t4']);
  });

  it('reconnects when the server ends the stream, and gets a fresh snapshot', async () => {
    await connect();
    server.stream.complete();
    await settle();
    expect(statuses.at(-1)).toMatchObject({ kind: 'reconnecting', reason: 'the server ended the stream' });
    await vi.advanceTimersByTimeAsync(750);
    await settle();
    server.stream.next(snapshot([session({ id: 's2' })], '20'));
    await settle();
    expect(events.map((e) => [e.__typename, e.cursor])).toEqual([
      ['Snapshot', '10'],
      ['Snapshot', '20'],
    ]);
    expect(statuses.at(-1)).toEqual({ kind: 'connected' });
  });

  it('is kept alive by keep-alive pings alone, which graphql-sse never surfaces', async () => {
    await connect();
    for (let i = 0; i < 20; i++) {
      await vi.advanceTimersByTimeAsync(12_000);
      server.stream.ping();
      await settle();
    }
    expect(statuses.map((s) => s.kind)).toEqual(['connecting', 'connected']);
    expect(server.streams).toHaveLength(1);
  });

  it('reconnects when nothing at all arrives for watchdogMs, closing the silent stream', async () => {
    await connect({ watchdogMs: 30_000 });
    const silent = server.stream;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(statuses.at(-1)).toMatchObject({ kind: 'reconnecting', reason: 'no data for 30000 ms' });
    await settle();
    expect(silent.open).toBe(false);
    await vi.advanceTimersByTimeAsync(750);
    await settle();
    expect(server.streams).toHaveLength(2);
    expect(server.stream.open).toBe(true);
  });

  it('retries a 503 with backoff', async () => {
    server.answer = (request) => (request.method !== 'DELETE' ? refusal(503, 'SERVICE_UNAVAILABLE') : undefined);
    create().live.start();
    await settle();
    expect(statuses.at(-1)).toMatchObject({ kind: 'reconnecting', attempt: 1, delayMs: 750, reason: 'refused: SERVICE_UNAVAILABLE' });
    await vi.advanceTimersByTimeAsync(750);
    await settle();
    expect(statuses.at(-1)).toMatchObject({ kind: 'reconnecting', attempt: 2, delayMs: 1_500 });
  });

  it.each([
    { status: 401, code: 'UNAUTHENTICATED' },
    { status: 403, code: 'FORBIDDEN' },
    { status: 429, code: 'TOO_MANY_SUBSCRIPTIONS' },
  ])('reports HTTP $status as failed $code with the server message, and never retries', async ({ status, code }) => {
    // Single connection mode meets the refusal at its first request (the reservation), distinct mode at its only one.
    server.answer = () => refusal(status, code, `no: ${code}`);
    create().live.start();
    await settle();
    expect(statuses).toEqual([
      { kind: 'connecting', attempt: 0 },
      { kind: 'failed', code, message: `no: ${code}` },
    ]);
    const requests = server.requests.length;
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(server.requests).toHaveLength(requests);
  });

  it('reports a refusal sent as an error result as failed, and never retries', async () => {
    create().live.start();
    await settle();
    server.stream.next({ data: null, errors: [{ message: 'At most 2', extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } }] }, true);
    await settle();
    expect(statuses.at(-1)).toEqual({ kind: 'failed', code: 'TOO_MANY_SUBSCRIPTIONS', message: 'At most 2' });
    const requests = server.requests.filter((r) => r.method !== 'DELETE').length;
    await vi.advanceTimersByTimeAsync(10 * 60_000);
    expect(server.requests.filter((r) => r.method !== 'DELETE')).toHaveLength(requests);
  });

  it('closes the stream on stop() and on dispose()', async () => {
    await connect();
    pulse.live.stop();
    await settle();
    expect(server.stream.open).toBe(false);
    expect(statuses.at(-1)).toEqual({ kind: 'stopped' });
    pulse.live.start();
    await settle();
    pulse.dispose();
    await settle();
    expect(server.streams.every((s) => !s.open)).toBe(true);
  });

  it('sends urql queries over HTTP with a fresh bearer token each time', async () => {
    let calls = 0;
    server.answer = (request) =>
      request.url.startsWith('http://pulse.test/graphql?') || request.headers.get('accept')?.includes('json')
        ? Response.json({ data: { stats: stats() } })
        : undefined;
    create({ token: () => `q${++calls}` });
    const first = await pulse.urql.query(StatsQuery, {}, { requestPolicy: 'network-only' }).toPromise();
    const second = await pulse.urql.query(StatsQuery, {}, { requestPolicy: 'network-only' }).toPromise();
    expect(first.data?.stats.activeUsers).toBe(1);
    expect(second.error).toBeUndefined();
    expect(server.requests.map((r) => r.headers.get('authorization'))).toEqual(['Bearer q1', 'Bearer q2']);
  });
});
