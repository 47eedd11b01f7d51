import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { errorCode, postGraphQL, subscribe, TRANSPORTS, type Subscription, type Transport } from '../../support/clients.js';
import { RECORD_MANY } from '../../support/operations.js';
import { parseExposition, sampleValue } from '../../support/prometheus.js';
import { startTestPulse, type TestPulse } from '../../support/pulse.js';
import { rawUpload } from '../../support/raw-http.js';
import { probeSse, refusalOf } from '../../support/refusal.js';
import { waitUntil } from '../../support/wait.js';

const MIB = 1024 * 1024;

/** Documents past each document limit at its default, and the limit each one must be refused by. */
const HOSTILE_DOCUMENTS: readonly [string, string, string][] = [
  // Introspection is the one part of the schema that nests without end; past 15 levels it is refused too.
  ['a deep query', `{ __schema { types { ${'fields { type { '.repeat(8)}name${' } }'.repeat(8)} } } }`, 'MAX_QUERY_DEPTH'],
  ['a huge query', `{ __typename } # ${'x'.repeat(17_000)}`, 'MAX_DOCUMENT_BYTES'],
  ['a query of too many tokens', `{ ${'a '.repeat(2100)}}`, 'MAX_DOCUMENT_TOKENS'],
  ['a query of too many fields', `{ ${Array.from({ length: 501 }, (_, i) => `f${i}: __typename`).join(' ')} }`, 'MAX_QUERY_FIELDS'],
];

describe('limits on hostile input, over real sockets', () => {
  let pulse: TestPulse;
  let admin: string;
  const opened: Subscription[] = [];

  beforeAll(async () => {
    // Every limit at its default but the reservation TTL, which a test waits out.
    pulse = await startTestPulse({ env: { SSE_RESERVATION_TTL_MS: '300', MAX_SSE_RESERVATIONS_PER_ADMIN: '2' } });
    admin = await pulse.token('admin', ['admin']);
  });
  afterAll(async () => {
    opened.forEach((sub) => sub.dispose());
    await pulse.close();
  });

  /** `pulse_limit_refusals_total{limit}` now: every bound a client hits is counted by its setting. */
  const refusals = async (limit: string): Promise<number> =>
    sampleValue(parseExposition(await (await fetch(`${pulse.url}/metrics`)).text()), 'pulse_limit_refusals_total', { limit }) ?? 0;

  describe.each(HOSTILE_DOCUMENTS)('%s', (_what, query, limit) => {
    it('is refused over HTTP with 400 BAD_USER_INPUT naming the limit, and counted under it', async () => {
      const before = await refusals(limit);
      const { status, body } = await postGraphQL(pulse.graphqlUrl, admin, query);
      expect(status).toBe(400);
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit });
      expect(body.errors?.[0]?.message).toContain(limit);
      expect(await refusals(limit)).toBe(before + 1);
    });

    it.each(TRANSPORTS)('is refused over %s with BAD_USER_INPUT', async (transport: Transport) => {
      const sub = subscribe(transport, { graphqlUrl: pulse.graphqlUrl, token: admin }, query);
      opened.push(sub);
      const refusal = await refusalOf(sub);
      if (transport !== 'sse-distinct') return void expect(refusal).toMatchObject({ code: 'BAD_USER_INPUT' });
      // Distinct mode answers a document refused before parsing with 400 (which the client reports without its body)
      // and one refused by validation with an error event; the body says which code either way.
      expect(refusal.status === 400 || refusal.code === 'BAD_USER_INPUT').toBe(true);
      expect(await probeSse(pulse.graphqlUrl, admin, query)).toMatchObject({ code: 'BAD_USER_INPUT' });
    });
  });

  it('still answers an ordinary query after all that', async () => {
    const { status, body } = await postGraphQL(pulse.graphqlUrl, admin, '{ stats { activeUsers } }');
    expect(status).toBe(200);
    expect(body.data).toEqual({ stats: { activeUsers: expect.any(Number) } });
  });

  describe.each([
    ['/graphql', 'application/json'],
    ['/graphql/stream', 'application/json'],
  ])('an oversized body on %s', (path, accept) => {
    const headers = { authorization: '', 'content-type': 'application/json', accept };

    it('is refused with 413 PAYLOAD_TOO_LARGE from its Content-Length, before it is read, and counted', async () => {
      const before = await refusals('MAX_REQUEST_BODY_BYTES');
      const answer = await rawUpload(`${pulse.url}${path}`, { headers: { ...headers, authorization: `Bearer ${admin}` }, size: 8 * MIB });
      expect(answer.status).toBe(413);
      expect(errorCode(JSON.parse(answer.body) as { errors?: [] })).toBe('PAYLOAD_TOO_LARGE');
      expect(answer.sent).toBeLessThan(8 * MIB);
      expect(await refusals('MAX_REQUEST_BODY_BYTES')).toBe(before + 1);
    });

    it('is refused with 413 once a chunked body passes the limit', async () => {
      const answer = await rawUpload(`${pulse.url}${path}`, { headers: { ...headers, authorization: `Bearer ${admin}` }, size: 8 * MIB, chunked: true });
      expect(answer.status).toBe(413);
      expect(errorCode(JSON.parse(answer.body) as { errors?: [] })).toBe('PAYLOAD_TOO_LARGE');
      expect(answer.sent).toBeLessThan(8 * MIB);
    });
  });

  it('accepts a body just under the limit', async () => {
    const variables = { padding: 'x'.repeat(MIB - 200) };
    const { status, body } = await postGraphQL(pulse.graphqlUrl, admin, '{ __typename }', variables);
    expect(status).toBe(200);
    expect(body.data).toEqual({ __typename: 'Query' });
  });

  it('closes a WebSocket that sends a message over the limit with 1009, and counts it', async () => {
    const before = await refusals('MAX_REQUEST_BODY_BYTES');
    const socket = new WebSocket(pulse.wsUrl, 'graphql-transport-ws');
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.once('error', () => undefined);
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${admin}` } }));
    await new Promise((resolve) => socket.once('message', resolve));
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: `{ __typename } # ${'x'.repeat(2 * MIB)}` } }));
    expect(await closed).toBe(1009);
    await waitUntil(async () => (await refusals('MAX_REQUEST_BODY_BYTES')) === before + 1, 5_000, { what: 'the oversized message to be counted' });
  });

  it('refuses a batch over MAX_BATCH_SIZE with BAD_USER_INPUT, and counts it', async () => {
    const before = await refusals('MAX_BATCH_SIZE');
    const inputs = Array.from({ length: 501 }, (_, i) => ({ sessionId: `batch-${i}`, userId: 'batch-user' }));
    const { body } = await postGraphQL(pulse.graphqlUrl, admin, RECORD_MANY, { inputs });
    expect(errorCode(body)).toBe('BAD_USER_INPUT');
    expect(await refusals('MAX_BATCH_SIZE')).toBe(before + 1);
  });

  it('counts a subscription over MAX_SUBSCRIPTIONS_PER_ADMIN under its setting', async () => {
    const owner = await pulse.token('counted-admin', ['admin']);
    const held = [0, 1].map(() => subscribe('sse-distinct', { graphqlUrl: pulse.graphqlUrl, token: owner }, 'subscription { activityChanged { __typename } }'));
    opened.push(...held);
    await Promise.all(held.map((sub) => sub.results.next()));
    const before = await refusals('MAX_SUBSCRIPTIONS_PER_ADMIN');
    const third = subscribe('ws', { graphqlUrl: pulse.graphqlUrl, token: owner }, 'subscription { activityChanged { __typename } }');
    opened.push(third);
    expect(await refusalOf(third)).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS' });
    expect(await refusals('MAX_SUBSCRIPTIONS_PER_ADMIN')).toBe(before + 1);
  });

  describe('single connection reservations', () => {
    const reserve = (token: string) =>
      fetch(`${pulse.graphqlUrl}/stream`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, accept: 'text/plain' } });
    const connect = (token: string, streamToken: string) =>
      fetch(`${pulse.graphqlUrl}/stream`, {
        headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream', 'x-graphql-event-stream-token': streamToken },
      });

    it('forgets a reservation that never connects within SSE_RESERVATION_TTL_MS', async () => {
      const owner = await pulse.token('lapsing-admin', ['admin']);
      const reserved = await reserve(owner);
      expect(reserved.status).toBe(201);
      const streamToken = await reserved.text();
      // Both slots taken; one frees when the first reservation lapses.
      expect((await reserve(owner)).status).toBe(201);
      await waitUntil(async () => (await reserve(owner)).status === 201, 3_000, { intervalMs: 50, what: 'a lapsed reservation to free its slot' });
      const late = await connect(owner, streamToken);
      expect(late.status).toBe(404);
      expect(((await late.json()) as { errors: { message: string }[] }).errors[0]?.message).toMatch(/No pending reservation/);
    });

    it('refuses more than MAX_SSE_RESERVATIONS_PER_ADMIN pending reservations with 429, per admin', async () => {
      const greedy = await pulse.token('greedy-admin', ['admin']);
      const first = await reserve(greedy);
      expect((await reserve(greedy)).status).toBe(201);
      const refused = await reserve(greedy);
      expect(refused.status).toBe(429);
      expect(errorCode((await refused.json()) as { errors?: [] })).toBe('TOO_MANY_SUBSCRIPTIONS');
      expect((await reserve(await pulse.token('other-admin', ['admin']))).status).toBe(201);

      // Connecting takes a reservation out of the pending ones.
      const stream = await connect(greedy, await first.text());
      expect(stream.status).toBe(200);
      expect((await reserve(greedy)).status).toBe(201);
      await stream.body?.cancel();
    });

    it("does not let another admin connect to someone's reservation", async () => {
      const reserved = await reserve(await pulse.token('owner', ['admin']));
      const hijack = await connect(await pulse.token('thief', ['admin']), await reserved.text());
      expect(hijack.status).toBe(404);
    });
  });
});
