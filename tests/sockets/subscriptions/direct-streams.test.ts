import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../../server/auth/authenticator.js';
import type { DirectOutcome } from '../../../server/transports/sse-direct/handler.js';
import { BACKENDS, startTestPulse, type TestPulse } from '../../support/pulse.js';
import { openRawSse } from '../../support/raw-sse.js';
import { waitUntil } from '../../support/wait.js';

/** What came back for a request, up to its first event (a stream) or its end (anything else). */
interface Answer {
  readonly status: number;
  /** Lower-case names; `date` and `x-request-id` left out, as they differ between any two answers. */
  readonly headers: Record<string, string>;
  /** The body's text (chunked framing removed), up to and with the first event of a stream. */
  readonly body: string;
}

/** A request as written on the socket: anything a client may send, odd or not. */
interface RawPost {
  readonly target?: string;
  readonly version?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Sends the body with chunked transfer coding instead of a length. */
  readonly chunked?: boolean;
}

const STREAM = { accept: 'text/event-stream', 'content-type': 'application/json' };
/** The subscription these tests open: shallow, so that a deeper one can pass the depth limit set here. */
const LIVE = 'subscription Live($first: Int) { activityChanged(first: $first) { __typename cursor at ... on SessionStarted { session { id } } } }';
/** Deeper than the limit set here (`MAX_QUERY_DEPTH=5`): Snapshot, activeUsers, edges, node, sessions, id. */
const DEEP = 'subscription { activityChanged { ... on Snapshot { activeUsers { edges { node { sessions { id } } } } } } }';

/** Writes `post` on a fresh socket and reads the answer up to its first event or its end. */
function send(pulse: TestPulse, { target = '/graphql', version = '1.1', headers = {}, body = '', chunked = false }: RawPost): Promise<Answer> {
  const { hostname, port } = new URL(pulse.url);
  const framing = chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(Buffer.byteLength(body)) };
  const head = [`POST ${target} HTTP/${version}`, `host: ${hostname}:${port}`, ...Object.entries({ ...headers, ...framing }).map(([k, v]) => `${k}: ${v}`)];
  const payload = chunked ? `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n` : body;
  const socket = connect(Number(port), hostname);
  socket.on('error', () => undefined);
  socket.write(`${head.join('\r\n')}\r\n\r\n${payload}`);
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within 10 s: ${text.slice(0, 300)}`));
    }, 10_000);
    const settle = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(parsed(text));
    };
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const bodyText = text.slice(text.indexOf('\r\n\r\n') + 4);
      if (text.includes('\r\n\r\n') && (/event: next[^\n]*\ndata: [^\n]*\n\n/.test(bodyText) || /\r\n0\r\n\r\n$/.test(bodyText))) settle();
    });
    socket.on('close', settle);
  });
}

function parsed(text: string): Answer {
  const end = text.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const name = line.slice(0, line.indexOf(':')).toLowerCase();
    if (name !== 'date' && name !== 'x-request-id') headers[name] = line.slice(line.indexOf(':') + 1).trim();
  }
  const raw = text.slice(end + 4);
  return { status: Number(statusLine.split(' ')[1]), headers, body: headers['transfer-encoding'] === 'chunked' ? unchunked(raw) : raw };
}

function unchunked(raw: string): string {
  let body = '';
  for (let at = 0; at < raw.length; ) {
    const lineEnd = raw.indexOf('\r\n', at);
    if (lineEnd === -1) break;
    const size = Number.parseInt(raw.slice(at, lineEnd), 16);
    if (!(size > 0)) break;
    body += raw.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
  return body;
}

/**
 * The answer with what differs between two subscribers' snapshots (their
 * cursor, their time) left out, and keep-alive comments (`:`), which are
 * no event and come whenever a writer sees fit.
 */
function shapeOf({ status, headers, body }: Answer): unknown {
  const events = body.replace(/^:\n\n/gm, '').replace(/"cursor":"[^"]*"/g, '"cursor":"…"').replace(/"at":"[^"]*"/g, '"at":"…"');
  return { status, headers, body: events };
}

/** `pulse_direct_streams_total`, by outcome. */
async function outcomes(pulse: TestPulse): Promise<Partial<Record<DirectOutcome, number>>> {
  const { values } = await pulse.services.metrics.directStreams.get();
  return Object.fromEntries(values.map(({ labels, value }) => [labels.outcome, value]));
}

async function counted(pulse: TestPulse, metric: 'limitRefusals' | 'subscriptionsRefused', label: string): Promise<number> {
  const { values } = await pulse.services.metrics[metric].get();
  return values.filter(({ labels }) => Object.values(labels).includes(label)).reduce((sum, { value }) => sum + value, 0);
}

/** Runs `request` and expects it to have been counted under `outcome` (and nothing else). */
async function expectOutcome<T>(pulse: TestPulse, outcome: DirectOutcome, request: () => Promise<T>): Promise<T> {
  const before = await outcomes(pulse);
  const answer = await request();
  await waitUntil(async () => ((await outcomes(pulse))[outcome] ?? 0) > (before[outcome] ?? 0), 5_000, { what: `an outcome "${outcome}"` });
  const after = await outcomes(pulse);
  const changed = Object.keys(after).filter((key) => after[key as DirectOutcome] !== before[key as DirectOutcome]);
  expect(changed).toEqual([outcome]);
  return answer;
}

const subscriptionBody = (query: string, extra: Record<string, unknown> = {}): string => JSON.stringify({ query, ...extra });

describe.each(BACKENDS)('distinct-mode subscriptions served before Yoga (%s)', (backend) => {
  let pulse: TestPulse;
  let admin: string;
  const auth = (token: string): Record<string, string> => ({ ...STREAM, authorization: `Bearer ${token}` });

  beforeAll(async () => {
    pulse = await startTestPulse({ backend, env: { MAX_SUBSCRIPTIONS_PER_ADMIN: '50', MAX_REQUEST_BODY_BYTES: '4096', MAX_QUERY_DEPTH: '5' } });
    admin = await pulse.token(`admin-${randomUUID()}`, ['admin']);
  });
  afterAll(() => pulse.close());

  it('serves a plain subscription itself, with the head and first event Yoga sends for the same request', async () => {
    const direct = await expectOutcome(pulse, 'served', () => send(pulse, { headers: auth(admin), body: subscriptionBody(LIVE) }));
    // The same request with a media-type parameter, which Yoga reads alike, goes to Yoga.
    const viaYoga = await expectOutcome(pulse, 'head', () => send(pulse, { headers: { ...auth(admin), accept: 'text/event-stream;q=1' }, body: subscriptionBody(LIVE) }));
    expect(direct.status).toBe(200);
    expect(direct.body).toMatch(/^event: next\ndata: \{"data":\{"activityChanged":\{"__typename":"Snapshot"/);
    expect(shapeOf(direct)).toEqual(shapeOf(viaYoga));
  });

  it('gives Yoga every event-stream request whose head is not the plainest, and Yoga serves it as before', async () => {
    const body = subscriptionBody(LIVE);
    const odd: Array<[string, RawPost]> = [
      ['a charset in other letters', { headers: { ...auth(admin), 'content-type': 'application/json;charset=UTF-8' }, body }],
      ['a chunked body', { headers: auth(admin), body, chunked: true }],
      ['a query string', { target: '/graphql?x=1', headers: auth(admin), body }],
      ['two media types', { headers: { ...auth(admin), accept: 'text/event-stream, application/json' }, body }],
    ];
    for (const [what, post] of odd) {
      const answer = await expectOutcome(pulse, 'head', () => send(pulse, post));
      expect(answer.status, what).toBe(200);
      expect(answer.body, what).toContain('"__typename":"Snapshot"');
    }
  });

  it('refuses what Yoga refuses from the head alone, counted once: no token, a body over the limit', async () => {
    const anonymous = await expectOutcome(pulse, 'head', () => send(pulse, { headers: STREAM, body: subscriptionBody(LIVE) }));
    expect(anonymous.status).toBe(401);
    const before = await counted(pulse, 'limitRefusals', 'MAX_REQUEST_BODY_BYTES');
    const large = await expectOutcome(pulse, 'head', () => send(pulse, { headers: auth(admin), body: subscriptionBody(LIVE, { extensions: { pad: 'x'.repeat(5000) } }) }));
    expect(large.status).toBe(413);
    expect(JSON.parse(large.body)).toMatchObject({ errors: [{ extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
    expect(await counted(pulse, 'limitRefusals', 'MAX_REQUEST_BODY_BYTES')).toBe(before + 1);
  });

  it('gives Yoga a token that fails or lacks the role, before reading the body, and Yoga refuses it', async () => {
    const expired = await mintToken({ secret: pulse.secret, sub: 'late', roles: ['admin'], expiresIn: -60 });
    const forged = await mintToken({ secret: 'another secret of at least thirty-two bytes', sub: 'mallory', roles: ['admin'], expiresIn: 60 });
    const ingest = await pulse.token('ingest-app', ['ingest']);
    for (const [token, status, code] of [
      [expired, 401, 'UNAUTHENTICATED'],
      [forged, 401, 'UNAUTHENTICATED'],
      [ingest, 403, 'FORBIDDEN'],
    ] as const) {
      const answer = await expectOutcome(pulse, 'auth', () => send(pulse, { headers: auth(token), body: subscriptionBody(LIVE) }));
      expect(answer.status, code).toBe(status);
      expect(answer.body, code).toContain(`"code":"${code}"`);
    }
  });

  it("gives Yoga whatever it or the resolver has a word to say about, and Yoga says it: params, documents, variables, arguments", async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['a body that is not JSON', '{"query":', /"code":"BAD_REQUEST"|not valid JSON|Unexpected/],
      ['an unexpected param', subscriptionBody(LIVE, { extra: 1 }), /Unexpected parameter/],
      ['a syntax error', subscriptionBody('subscription {'), /Syntax Error/],
      ['an unknown field', subscriptionBody('subscription { activityChanged { nope } }'), /Cannot query field/],
      ['a document too deep', subscriptionBody(DEEP), /"limit":"MAX_QUERY_DEPTH"/],
      ['a query', subscriptionBody('{ stats { activeUsers } }'), /"activeUsers"/],
      ['two operations and no name', subscriptionBody(`${LIVE} subscription Other { activityChanged { __typename } }`), /"code":"OPERATION_RESOLUTION_FAILURE"/],
      ['an argument out of bounds', subscriptionBody('subscription { activityChanged(first: 0) { __typename } }'), /"field":"first"/],
      ['a malformed cursor', subscriptionBody('subscription($s: Cursor) { activityChanged(since: $s) { __typename } }', { variables: { s: 'nope' } }), /"field":"since"/],
      ['an alias at the root', subscriptionBody('subscription { live: activityChanged { __typename } }'), /"live":\{"__typename":"Snapshot"/],
    ];
    for (const [what, body, expected] of cases) {
      const answer = await expectOutcome(pulse, 'request', () => send(pulse, { headers: auth(admin), body }));
      expect(answer.body, what).toMatch(expected);
    }
    // Counted by Yoga's pipeline alone, as before (a text Yoga has not validated yet): the fast path's own checks count nothing.
    const before = await counted(pulse, 'limitRefusals', 'MAX_QUERY_DEPTH');
    await expectOutcome(pulse, 'request', () => send(pulse, { headers: auth(admin), body: subscriptionBody(DEEP.replace('subscription', 'subscription Deep')) }));
    expect(await counted(pulse, 'limitRefusals', 'MAX_QUERY_DEPTH')).toBe(before + 1);
  });

  it('opens a subscription only once: one refused when opened is answered by Yoga from its refusal, counted once', async () => {
    const limited = await startTestPulse({ backend, env: { MAX_SUBSCRIPTIONS_PER_ADMIN: '1' } });
    try {
      const token = await limited.token(`admin-${randomUUID()}`, ['admin']);
      // Holds the one slot while the next one asks.
      const held = await expectOutcome(limited, 'served', () => openRawSse(limited.graphqlUrl, token, LIVE));
      const refused = await expectOutcome(limited, 'refused', () => send(limited, { headers: auth(token), body: subscriptionBody(LIVE) }));
      expect(refused.status).toBe(429);
      expect(refused.body).toContain('"code":"TOO_MANY_SUBSCRIPTIONS"');
      expect(refused.body).toContain('event: complete');
      expect(await counted(limited, 'limitRefusals', 'MAX_SUBSCRIPTIONS_PER_ADMIN')).toBe(1);
      expect(await counted(limited, 'subscriptionsRefused', 'TOO_MANY_SUBSCRIPTIONS')).toBe(1);
      expect(limited.services.leases.heldCount).toBe(1);
      held.socket.destroy();
      await waitUntil(() => limited.services.leases.heldCount === 0 && limited.services.openStreams.count === 0, 5_000, { what: 'the held stream to end' });
    } finally {
      await limited.close();
    }
  });

  it('holds nothing for a client that leaves before sending its whole body', async () => {
    const { hostname, port } = new URL(pulse.url);
    const body = subscriptionBody(LIVE);
    const socket = connect(Number(port), hostname);
    socket.on('error', () => undefined);
    const before = await outcomes(pulse);
    socket.write(`POST /graphql HTTP/1.1\r\nhost: x\r\naccept: text/event-stream\r\ncontent-type: application/json\r\nauthorization: Bearer ${admin}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`);
    // Past the token check, the fast path is waiting for the rest of the body when the client goes.
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.destroy();
    await waitUntil(async () => ((await outcomes(pulse)).abandoned ?? 0) > (before.abandoned ?? 0), 5_000, { what: 'the request to be abandoned' });
    await waitUntil(() => pulse.services.openStreams.count === 0 && pulse.services.leases.heldCount === 0, 5_000, { what: 'nothing to be held' });
  });
});

describe.each(BACKENDS)('streams served before Yoga end as every stream does (%s)', (backend) => {
  let pulse: TestPulse;
  let ingest: string;
  /** The verifier's tolerance here: a token is accepted until its `exp` plus this. */
  const SKEW_MS = 300;

  beforeAll(async () => {
    // A small byte bound, so that a few batches of long paths pass it.
    pulse = await startTestPulse({ backend, env: { CLOCK_SKEW_MS: String(SKEW_MS), SUBSCRIBER_BUFFER_BYTES: '65536', SUBSCRIBER_BUFFER: '1000000', STATS_INTERVAL_MS: '60000' } });
    ingest = await pulse.token('app', ['ingest']);
  });
  afterAll(() => pulse.close());

  it("drops the connection at its token's expiry, without complete", async () => {
    const token = await mintToken({ secret: pulse.secret, sub: `admin-${randomUUID()}`, roles: ['admin'], expiresIn: 2 });
    const stream = await expectOutcome(pulse, 'served', () => openRawSse(pulse.graphqlUrl, token, LIVE));
    let tail = '';
    stream.socket.on('data', (chunk: Buffer) => (tail += chunk.toString('utf8')));
    await stream.closed;
    const acceptedUntil = (JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as { exp: number }).exp * 1000 + SKEW_MS;
    expect(Date.now()).toBeGreaterThanOrEqual(acceptedUntil - 5);
    expect(tail).not.toContain('event: complete');
    await waitUntil(() => pulse.services.openStreams.count === 0 && pulse.services.leases.heldCount === 0, 5_000, { what: 'the stream to let go' });
  });

  it('drops a reader that stops reading once it holds SUBSCRIBER_BUFFER_BYTES unread, without complete', async () => {
    const { values } = await pulse.services.metrics.slowConsumerDisconnects.get();
    const before = values[0]?.value ?? 0;
    const token = await pulse.token(`admin-${randomUUID()}`, ['admin']);
    // It reads the paths, so that each change is big: the kernel's buffers fill within a few batches.
    const withPaths = 'subscription { activityChanged { __typename ... on SessionStarted { session { id path } } } }';
    const stream = await expectOutcome(pulse, 'served', () => openRawSse(pulse.graphqlUrl, token, withPaths));
    stream.socket.pause();
    const path = `/${'p'.repeat(2000)}`;
    for (let round = 0; round < 100 && pulse.services.openStreams.count > 0; round++) {
      const inputs = Array.from({ length: 100 }, (_, i) => ({ sessionId: `s-${round}-${i}-${randomUUID()}`, userId: `u-${i}`, path }));
      const response = await fetch(pulse.graphqlUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ingest}` },
        body: JSON.stringify({ query: 'mutation($inputs: [ActivityInput!]!) { recordActivities(inputs: $inputs) { recorded } }', variables: { inputs } }),
      });
      expect(response.status).toBe(200);
    }
    expect(pulse.services.openStreams.count, 'the server dropped the reader').toBe(0);
    let tail = '';
    stream.socket.on('data', (chunk: Buffer) => (tail += chunk.toString('utf8')));
    stream.socket.resume();
    await stream.closed;
    expect(tail).not.toContain('event: complete');
    expect((await pulse.services.metrics.slowConsumerDisconnects.get()).values[0]?.value).toBe(before + 1);
  });
});
