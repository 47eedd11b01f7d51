import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { postGraphQL, subscribe, TRANSPORTS, type Subscription } from '../../support/clients.js';
import { ACTIVITY, END_SESSION, RECORD, STATS, activity } from '../../support/operations.js';
import { parseExposition, sampleValue, type Exposition } from '../../support/prometheus.js';
import { BACKENDS, startTestPulse, type TestPulse } from '../../support/pulse.js';
import { refusalOf } from '../../support/refusal.js';
import { waitUntil } from '../../support/wait.js';
import { eventOf, nextChange } from '../../support/events.js';

const METRICS_TOKEN = 'scrape-token-0123456789abcdef';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;


/** GET /metrics, checked to be the text format, parsed. */
async function scrape(pulse: TestPulse, headers: Record<string, string> = {}): Promise<Exposition> {
  const response = await fetch(`${pulse.url}/metrics`, { headers });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

describe.each(BACKENDS)('/metrics on the %s backend', (backend) => {
  let pulse: TestPulse;
  let ingest: string;
  const opened: Subscription[] = [];

  beforeAll(async () => {
    pulse = await startTestPulse({ backend, env: { MAX_SUBSCRIPTIONS_PER_ADMIN: '2' } });
    ingest = await pulse.token('ingest-app', ['ingest']);
  });
  afterAll(async () => {
    opened.forEach((sub) => sub.dispose());
    await pulse.close();
  });

  const open = async (transport: (typeof TRANSPORTS)[number], admin: string, variables: Record<string, unknown> = {}): Promise<Subscription> => {
    const sub = subscribe(transport, { graphqlUrl: pulse.graphqlUrl, token: await pulse.token(admin, ['admin']) }, ACTIVITY, variables);
    opened.push(sub);
    return sub;
  };
  const mutate = async (query: string, variables: Record<string, unknown>): Promise<void> => {
    const { body } = await postGraphQL(pulse.graphqlUrl, ingest, query, variables);
    expect(body.errors).toBeUndefined();
  };

  // Runs first: the counters below are exact because nothing else has touched this server yet.
  it('counts published and delivered changes and open subscriptions per transport, which return to 0 on close', async () => {
    const user = `u-${randomUUID()}`;
    const subs = await Promise.all(TRANSPORTS.map((transport) => open(transport, `admin-${transport}`, { filter: { userId: user } })));
    for (const sub of subs) expect(eventOf(await sub.results.next()).__typename).toBe('Snapshot');

    await mutate(RECORD, { input: activity(`${user}-s1`, user, { path: '/a' }) }); // SessionStarted, UserJoined
    await mutate(RECORD, { input: activity(`${user}-s1`, user, { path: '/b' }) }); // SessionUpdated
    await mutate(END_SESSION, { id: `${user}-s1` }); // SessionEnded, UserLeft
    for (const sub of subs) {
      const received = [];
      for (let i = 0; i < 5; i++) received.push((await nextChange(sub)).__typename);
      expect(received).toEqual(['SessionStarted', 'UserJoined', 'SessionUpdated', 'SessionEnded', 'UserLeft']);
    }

    const metrics = await scrape(pulse);
    expect(metrics.types.get('pulse_subscriptions')).toBe('gauge');
    expect(metrics.help.get('pulse_subscriptions')).toBe('Open subscriptions by transport.');
    for (const transport of TRANSPORTS) expect(sampleValue(metrics, 'pulse_subscriptions', { transport }), transport).toBe(1);
    expect(sampleValue(metrics, 'pulse_subscriptions_opened_total')).toBe(3);
    expect(sampleValue(metrics, 'pulse_leases_held')).toBe(3);
    expect(sampleValue(metrics, 'pulse_events_published_total')).toBe(5);
    expect(sampleValue(metrics, 'pulse_events_delivered_total')).toBe(15);
    expect(metrics.types.get('pulse_delivery_lag_seconds')).toBe('histogram');
    // The three subscriptions ask the same of the same roles: one fan-out group, which writes each change to all three at once.
    expect(sampleValue(metrics, 'pulse_subscription_groups')).toBe(1);
    expect(sampleValue(metrics, 'pulse_delivery_lag_seconds_count')).toBe(5);
    expect(sampleValue(metrics, 'pulse_delivery_lag_seconds_bucket', { le: '+Inf' })).toBe(5);
    expect(sampleValue(metrics, 'pulse_delivery_lag_seconds_bucket', { le: '0.001' })).toBeDefined();
    expect(sampleValue(metrics, 'pulse_delivery_lag_seconds_sum')).toBeGreaterThanOrEqual(0);
    // One socket per SSE stream and one per WebSocket, at least.
    expect(sampleValue(metrics, 'pulse_http_connections')).toBeGreaterThanOrEqual(3);
    expect(sampleValue(metrics, 'pulse_slow_consumer_disconnects_total')).toBe(0);
    expect(sampleValue(metrics, 'pulse_subscriptions_refused_total', { code: 'TOO_MANY_SUBSCRIPTIONS' })).toBe(0);
    expect(sampleValue(metrics, 'pulse_redis_errors_total', { operation: 'lease_renewal' })).toBe(0);
    expect(metrics.samples.filter((s) => s.name === 'pulse_redis_errors_total' && s.value !== 0)).toEqual([]);
    // Node's default metrics, in this instance's registry under the same prefix.
    expect(sampleValue(metrics, 'pulse_process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(metrics.types.get('pulse_nodejs_eventloop_lag_seconds')).toBe('gauge');

    subs.forEach((sub) => sub.dispose());
    const closed = await waitUntil(
      async () => {
        const now = await scrape(pulse);
        const open = TRANSPORTS.map((transport) => sampleValue(now, 'pulse_subscriptions', { transport }));
        return open.every((n) => n === 0) && sampleValue(now, 'pulse_leases_held') === 0 && now;
      },
      5_000,
      { intervalMs: 50, what: 'the subscription gauges and leases to return to 0' },
    );
    expect(sampleValue(closed, 'pulse_subscriptions_opened_total')).toBe(3);
  });

  it('counts a refused third subscription of one admin by its code, on every transport', async () => {
    const refused = async (): Promise<number | undefined> =>
      sampleValue(await scrape(pulse), 'pulse_subscriptions_refused_total', { code: 'TOO_MANY_SUBSCRIPTIONS' });
    const before = (await refused()) ?? 0;
    for (const [i, transport] of TRANSPORTS.entries()) {
      const admin = `admin-${randomUUID()}`;
      const held = [await open(transport, admin), await open(transport, admin)];
      for (const sub of held) expect(eventOf(await sub.results.next()).__typename).toBe('Snapshot');
      const third = await open(transport, admin);
      expect(await refusalOf(third)).toBeDefined();
      expect(await refused(), transport).toBe(before + i + 1);
      [...held, third].forEach((sub) => sub.dispose());
    }
  });

  it('counts a backend failure answered SERVICE_UNAVAILABLE under its operation', async () => {
    const admin = await pulse.token('admin', ['admin']);
    const failing = vi.spyOn(pulse.services.store, 'stats').mockRejectedValueOnce(new Error('connection lost'));
    try {
      const { body } = await postGraphQL(pulse.graphqlUrl, admin, STATS);
      expect(body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    } finally {
      failing.mockRestore();
    }
    const metrics = await scrape(pulse);
    expect(sampleValue(metrics, 'pulse_redis_errors_total', { operation: 'read_stats' })).toBe(1);
    expect(sampleValue(metrics, 'pulse_redis_errors_total', { operation: 'record' })).toBe(0);
  });

  it('echoes a sane x-request-id and generates one otherwise, on every kind of response', async () => {
    const idOf = async (path: string, requestId?: string, init: RequestInit = {}): Promise<string | null> => {
      const headers = new Headers(init.headers);
      if (requestId !== undefined) headers.set('x-request-id', requestId);
      const response = await fetch(`${pulse.url}${path}`, { ...init, headers });
      await response.body?.cancel();
      return response.headers.get('x-request-id');
    };
    const query = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ stats { activeUsers } }' }) };
    for (const path of ['/healthz', '/readyz', '/metrics', '/graphql', '/nowhere']) {
      expect(await idOf(path, 'trace-42.a_B-c', path === '/graphql' ? query : {}), path).toBe('trace-42.a_B-c');
      expect(await idOf(path, undefined, path === '/graphql' ? query : {}), path).toMatch(UUID);
    }
    for (const insane of ['has space', 'x'.repeat(65), 'semi;colon', 'ünïcode']) {
      const echoed = await idOf('/healthz', insane);
      expect(echoed, insane).toMatch(UUID);
    }
    expect(await idOf('/healthz', 'x'.repeat(64))).toBe('x'.repeat(64));
  });

  it('echoes the request id on the WebSocket upgrade too', async () => {
    const socket = new WebSocket(pulse.wsUrl, 'graphql-transport-ws', { headers: { 'x-request-id': 'ws-upgrade-1' } });
    const echoed = await new Promise<string | string[] | undefined>((resolve, reject) => {
      socket.once('upgrade', (response) => resolve(response.headers['x-request-id']));
      socket.once('error', reject);
    });
    socket.close();
    expect(echoed).toBe('ws-upgrade-1');
  });

  describe('with METRICS_TOKEN', () => {
    let guarded: TestPulse;
    beforeAll(async () => {
      guarded = await startTestPulse({ backend, env: { METRICS_TOKEN } });
    });
    afterAll(() => guarded.close());

    it.each([
      ['no Authorization header', {}],
      ['a wrong token', { authorization: 'Bearer not-the-metrics-token-at-all' }],
      ['the token with another scheme', { authorization: `Basic ${METRICS_TOKEN}` }],
      ['a prefix of the token', { authorization: `Bearer ${METRICS_TOKEN.slice(0, -1)}` }],
    ])('answers 401 to %s', async (_case, headers: Record<string, string>) => {
      const response = await fetch(`${guarded.url}/metrics`, { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="pulse"');
      const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
      expect(body.errors[0]?.extensions.code).toBe('UNAUTHENTICATED');
    });

    it('serves the metrics to the bearer of the token', async () => {
      const metrics = await scrape(guarded, { authorization: `Bearer ${METRICS_TOKEN}` });
      expect(sampleValue(metrics, 'pulse_subscriptions_opened_total')).toBe(0);
    });

    it('is open without METRICS_TOKEN', async () => {
      expect(sampleValue(await scrape(pulse), 'pulse_leases_held')).toBeDefined();
    });
  });
});

/** A Pulse on every interface (HOST=0.0.0.0), reached over loopback, with its warn log lines collected. */
async function offLoopback(env: Record<string, string>): Promise<{ pulse: TestPulse; base: string; warnings: string[] }> {
  const warnings: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      warnings.push(String((JSON.parse(chunk.toString()) as { msg?: unknown }).msg));
      done();
    },
  });
  const pulse = await startTestPulse({ env: { HOST: '0.0.0.0', ...env }, logger: pino({ level: 'warn' }, sink) });
  return { pulse, base: pulse.url.replace('0.0.0.0', '127.0.0.1'), warnings };
}

describe('/metrics off loopback', () => {
  it('answers 404 to everyone without METRICS_TOKEN, and says so once at start', async () => {
    const { pulse, base, warnings } = await offLoopback({});
    try {
      for (const init of [{}, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }, { method: 'POST', body: '{}' }, { method: 'OPTIONS' }]) {
        const response = await fetch(`${base}/metrics`, init);
        expect(response.status, JSON.stringify(init)).toBe(404);
        expect(await response.text()).not.toContain('pulse_');
      }
      expect(warnings.filter((msg) => msg.includes('/metrics answers 404') && msg.includes('METRICS_TOKEN'))).toHaveLength(1);
      // The API itself is served as usual.
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    } finally {
      await pulse.close();
    }
  });

  it('serves the bearer of METRICS_TOKEN and refuses everyone else with 401', async () => {
    const { pulse, base, warnings } = await offLoopback({ METRICS_TOKEN });
    try {
      expect((await fetch(`${base}/metrics`)).status).toBe(401);
      expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer not-the-metrics-token-at-all' } })).status).toBe(401);
      const response = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(response.status).toBe(200);
      expect(sampleValue(parseExposition(await response.text()), 'pulse_leases_held')).toBe(0);
      expect(warnings.filter((msg) => msg.includes('/metrics'))).toEqual([]);
    } finally {
      await pulse.close();
    }
  });
});
