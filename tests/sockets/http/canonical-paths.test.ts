import { randomUUID } from 'node:crypto';
import type { ExecutionResult } from 'graphql';
import { createClient } from 'graphql-sse';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { targetPath } from '../../../server/http/front-door.js';
import { postGraphQL } from '../../support/clients.js';
import { EventQueue } from '../../support/event-queue.js';
import { ACTIVITY, RECORD, STATS, activity } from '../../support/operations.js';
import { parseExposition, sampleValue } from '../../support/prometheus.js';
import { BACKENDS, startTestPulse, type TestPulse } from '../../support/pulse.js';
import { rawRequest } from '../../support/raw-request.js';
import { probeSse } from '../../support/refusal.js';

/** Paths that look like an endpoint and are not one, as a client would send them (raw, undecoded). */
const NOT_ENDPOINTS = [
  '/graphql/',
  '/x/graphql',
  '/GRAPHQL',
  '/Graphql/stream',
  '/graphql//stream',
  '/graphql/stream/',
  '/graphql;x',
  '/graphql/stream;x',
  '/%2Fgraphql',
  '/graphql%2Fstream',
  '/%67raphql',
  '/x/../graphql',
  '/./graphql',
  '/graphql/./stream',
  '//graphql',
  '/graphql/x',
  '/graphql.json',
  '/x/healthz',
  '/healthz/',
  '/metrics/',
  '/assets/../graphql',
  '/x?/graphql',
];

/** A body that would be a GraphQL error (400) if it were parsed, and whose size would be a 413 if it were read. */
const BROKEN_DOCUMENT = JSON.stringify({ query: '{ this is not GraphQL' });

describe('targetPath', () => {
  it('keeps the path exactly as sent, without the query, and refuses other request-target forms', () => {
    expect(targetPath('/graphql?query={__typename}')).toBe('/graphql');
    expect(targetPath('/x/../graphql#frag')).toBe('/x/../graphql');
    expect(targetPath('/x?/graphql')).toBe('/x');
    expect(targetPath('http://pulse.test/graphql')).toBeNull();
    expect(targetPath('*')).toBeNull();
  });
});

describe.each(BACKENDS)('canonical paths only, over real sockets: %s', (backend) => {
  let pulse: TestPulse;
  let admin: string;
  const cleanups: Array<() => void> = [];

  beforeAll(async () => {
    pulse = await startTestPulse({ backend, env: { MAX_SUBSCRIPTIONS_PER_ADMIN: '2' } });
    admin = await pulse.token(`paths-admin-${randomUUID()}`, ['admin']);
  });
  afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));
  afterAll(() => pulse.close());

  const send = (method: string, target: string, headers: Record<string, string>, body = '') => {
    const { socket, reply } = rawRequest(pulse.url, { method, target, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)), connection: 'close' } });
    socket.write(body);
    return reply;
  };

  describe.each(NOT_ENDPOINTS)('%s', (target) => {
    it('answers 404 to a broken document, anonymous or not, without parsing it', async () => {
      for (const auth of [{}, { authorization: `Bearer ${admin}` }] as Record<string, string>[]) {
        const reply = await send('POST', target, { ...auth, 'content-type': 'application/json', accept: 'application/json' }, BROKEN_DOCUMENT);
        expect(reply.status).toBe(404);
        // No GraphQL answer of any kind: not a syntax error, not a 401.
        expect(reply.body).not.toMatch(/errors|Syntax/);
      }
    });

    it('answers 404 to a GET, a browser page request and a distinct-mode stream', async () => {
      const query = `?query=${encodeURIComponent('{ __typename }')}`;
      expect((await send('GET', `${target}${target.includes('?') ? '&' : '?'}${query.slice(1)}`, { authorization: `Bearer ${admin}` })).status).toBe(404);
      expect((await send('GET', target, { accept: 'text/html' })).status).toBe(404);
      expect((await send('POST', target, { authorization: `Bearer ${admin}`, 'content-type': 'application/json', accept: 'text/event-stream' }, JSON.stringify({ query: ACTIVITY }))).status).toBe(404);
    });
  });

  // Yoga matches its endpoint by suffix, query included: each of these was parsed as GraphQL.
  it.each(['/metrics?x=/graphql', '/?x=/graphql', '/healthz?x=/graphql', '/readyz?x=/graphql', '/index.html?/graphql', '/assets/a.js?x=/graphql/stream'])(
    'answers 404 to a document posted to %s, a path of its own that takes no body, without parsing it',
    async (target) => {
      for (const auth of [{}, { authorization: `Bearer ${admin}` }] as Record<string, string>[]) {
        const reply = await send('POST', target, { ...auth, 'content-type': 'application/json', accept: 'application/json', 'x-request-id': 'probe-1' }, BROKEN_DOCUMENT);
        expect(reply.status).toBe(404);
        expect(reply.body).not.toMatch(/errors|Syntax/);
        expect(reply.headers['x-request-id']).toBe('probe-1');
      }
    },
  );

  it.each(['/healthz?x=/graphql', '/readyz?x=/graphql', '/?x=/graphql', '/metrics?x=/graphql'])(
    'never answers GraphiQL to a browser page request for %s, a path whose query ends like the endpoint',
    async (target) => {
      const reply = await send('GET', target, { accept: 'text/html' });
      expect(reply.body).not.toMatch(/graphiql/i);
    },
  );

  it('answers 404 to a GET of a probe path whose query ends like an endpoint, without executing it', async () => {
    const reply = await send('GET', `/healthz?query=${encodeURIComponent('{ __typename }')}&x=/graphql`, { authorization: `Bearer ${admin}`, accept: 'application/json' });
    expect(reply.status).toBe(404);
    expect(reply.body).not.toContain('Query');
  });

  it('answers 404 at once, with the connection closed, to a 50 MB body sent to another path', async () => {
    const { socket, reply } = rawRequest(pulse.url, { method: 'POST', target: '/graphql/', headers: { 'content-type': 'application/json', 'content-length': '50000000' } });
    socket.write('{"query":');
    const { status, headers } = await reply;
    expect(status).toBe(404);
    expect(headers.connection).toBe('close');
  });

  it('still serves every path that is its own', async () => {
    const { status, body } = await postGraphQL(pulse.graphqlUrl, admin, STATS);
    expect([status, body.errors]).toEqual([200, undefined]);
    expect((await send('GET', `/graphql?query=${encodeURIComponent('{ __typename }')}`, { authorization: `Bearer ${admin}`, accept: 'application/json' })).status).toBe(200);
    for (const path of ['/healthz', '/readyz', '/metrics', '/', '/index.html']) expect([path, (await send('GET', path, {})).status]).toEqual([path, 200]);
    expect((await send('GET', '/graphql', { accept: 'text/html' })).status).toBe(200);
    expect((await send('PUT', '/graphql/stream', { authorization: `Bearer ${admin}`, accept: 'text/plain' })).status).toBe(201);
  });

  describe('the official graphql-sse client in its default (distinct connections) mode at /graphql/stream', () => {
    const sseClient = (token: string | null) => {
      const client = createClient({ url: `${pulse.url}/graphql/stream`, headers: token === null ? {} : { authorization: `Bearer ${token}` }, retryAttempts: 0 });
      cleanups.push(() => client.dispose());
      return client;
    };
    const subscribe = (client: Pick<ReturnType<typeof sseClient>, 'subscribe'>, query: string, variables?: Record<string, unknown>) => {
      const results = new EventQueue<ExecutionResult<Record<string, unknown>>>();
      const errors = new EventQueue<unknown>();
      const stop = client.subscribe(variables ? { query, variables } : { query }, { next: results.push, error: errors.push, complete: results.end });
      cleanups.push(stop);
      return { results, errors };
    };
    const typeOf = (result: ExecutionResult<Record<string, unknown>>) => (result.data?.activityChanged as { __typename?: string } | undefined)?.__typename;
    const subscriptions = async (transport: string) =>
      sampleValue(parseExposition(await (await fetch(`${pulse.url}/metrics`)).text()), 'pulse_subscriptions', { transport }) ?? 0;

    it('streams a subscription, snapshot then live changes, counted as sse-distinct, beside a single-connection client on the same URL', async () => {
      const user = `u-${randomUUID()}`;
      const distinct = subscribe(sseClient(admin), ACTIVITY, { filter: { userId: user } });
      expect(typeOf(await distinct.results.next())).toBe('Snapshot');
      const single = createClient({ url: `${pulse.url}/graphql/stream`, singleConnection: true, headers: { authorization: `Bearer ${admin}` }, retryAttempts: 0 });
      cleanups.push(() => single.dispose());
      const viaSingle = subscribe(single, ACTIVITY, { filter: { userId: user } });
      expect(typeOf(await viaSingle.results.next())).toBe('Snapshot');
      expect([await subscriptions('sse-distinct'), await subscriptions('sse-single')]).toEqual([1, 1]);

      const ingest = await pulse.token('paths-ingest', ['ingest']);
      await postGraphQL(pulse.graphqlUrl, ingest, RECORD, { input: activity(`${user}-s`, user) });
      for (const stream of [distinct, viaSingle]) {
        const started = await stream.results.waitFor((result) => typeOf(result) === 'SessionStarted');
        expect((started.data?.activityChanged as { session: { id: string } }).session.id).toBe(`${user}-s`);
      }
    });

    it('answers a query and a mutation as on /graphql, per-operation roles included', async () => {
      const query = subscribe(sseClient(admin), '{ __typename }');
      expect(await query.results.next()).toEqual({ data: { __typename: 'Query' } });
      const ingest = await pulse.token('paths-ingest', ['ingest']);
      const user = `u-${randomUUID()}`;
      const mutation = subscribe(sseClient(ingest), RECORD, { input: activity(`${user}-s`, user) });
      expect((await mutation.results.next()).data?.recordActivity).toMatchObject({ id: `${user}-s` });
      // A refused subscription is answered exactly as on /graphql.
      const refusal = await probeSse(`${pulse.url}/graphql/stream`, ingest, ACTIVITY);
      expect(refusal).toMatchObject({ code: 'FORBIDDEN' });
      expect(refusal).toEqual(await probeSse(pulse.graphqlUrl, ingest, ACTIVITY));
    });

    it('holds it to the same auth and subscription leases as /graphql', async () => {
      expect(await probeSse(`${pulse.url}/graphql/stream`, null, ACTIVITY)).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
      const owner = await pulse.token(`leases-${randomUUID()}`, ['admin']);
      const client = sseClient(owner);
      for (let i = 0; i < 2; i++) expect(typeOf(await subscribe(client, ACTIVITY).results.next())).toBe('Snapshot');
      // MAX_SUBSCRIPTIONS_PER_ADMIN is 2 here, counted across both paths.
      expect(await probeSse(pulse.graphqlUrl, owner, ACTIVITY)).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS' });
      expect(await probeSse(`${pulse.url}/graphql/stream`, owner, ACTIVITY)).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS' });
    });
  });
});
