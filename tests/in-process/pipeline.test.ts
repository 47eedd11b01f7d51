import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorExtensions, startInProcessPulse, type InProcessPulse } from '../support/in-process.js';
import { RECORD, STATS, activity } from '../support/operations.js';

/**
 * The plugins every transport shares (auth, document and body limits, CORS,
 * GraphiQL, error masking), in process through `yoga.fetch`: their logic
 * needs no socket. What they do on a socket (a body never read, a closed
 * connection, a stalled reader) stays in `tests/sockets/`.
 */

const LISTED = 'https://dash.example.com';
const SUBSCRIBE = 'subscription { activityChanged(first: 1) { __typename } }';

describe('the shared pipeline, in process', () => {
  let app: InProcessPulse;
  let admin: string;
  let ingest: string;

  beforeAll(async () => {
    app = await startInProcessPulse({ env: { CORS_ORIGINS: LISTED, MAX_REQUEST_BODY_BYTES: '4096' } });
    [admin, ingest] = await Promise.all([app.token('pipeline-admin', ['admin']), app.token('pipeline-shop', ['ingest'])]);
  });
  afterAll(() => app.close());

  /** A distinct-mode subscription request; the role check runs before the stream starts. */
  const subscribeOverSse = (token: string): Promise<Response> =>
    app.fetch('/graphql', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: SUBSCRIBE }),
    });

  describe('auth', () => {
    it('answers 401 UNAUTHENTICATED to no token, a malformed one and one with a bad signature', async () => {
      for (const token of [null, 'garbage', `${admin}x`]) {
        const result = await app.graphql(token, STATS);
        expect(result.status).toBe(401);
        expect(errorExtensions(result)).toEqual([expect.objectContaining({ code: 'UNAUTHENTICATED' })]);
      }
    });

    it('lets an ingest token only mutate: 403 FORBIDDEN for a query, and for a subscription', async () => {
      const query = await app.graphql(ingest, STATS);
      expect(query.status).toBe(403);
      expect(errorExtensions(query)).toEqual([expect.objectContaining({ code: 'FORBIDDEN' })]);
      const stream = await (await subscribeOverSse(ingest)).text();
      expect(stream).toContain('"FORBIDDEN"');
      expect(stream).not.toContain('"activityChanged"');
      const mutation = await app.graphql(ingest, RECORD, { input: activity('pipeline-s1', 'pipeline-u1') });
      expect(mutation.body.errors).toBeUndefined();
    });

    it('lets an admin query, mutate and subscribe', async () => {
      expect((await app.graphql(admin, STATS)).status).toBe(200);
      expect((await app.graphql(admin, RECORD, { input: activity('pipeline-s2', 'pipeline-u2') })).body.errors).toBeUndefined();
      const response = await subscribeOverSse(admin);
      const reader = response.body?.getReader();
      let text = '';
      while (!text.includes('"Snapshot"')) text += new TextDecoder().decode((await reader?.read())?.value);
      await reader?.cancel();
      expect(response.status).toBe(200);
    });

    it('picks the operation by name before checking roles', async () => {
      const document = `${STATS} mutation Rec($input: ActivityInput!) { recordActivity(input: $input) { id } }`;
      const body = (operationName: string): RequestInit => ({
        method: 'POST',
        headers: { authorization: `Bearer ${ingest}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query: document, operationName, variables: { input: activity('pipeline-s3', 'pipeline-u3') } }),
      });
      expect((await app.fetch('/graphql', body('Stats'))).status).toBe(403);
      expect((await app.fetch('/graphql', body('Rec'))).status).toBe(200);
    });
  });

  describe('document limits', () => {
    it.each([
      ['MAX_QUERY_DEPTH', `{ __schema { types { ${'fields { type { '.repeat(8)}name${' } }'.repeat(8)} } } }`],
      ['MAX_DOCUMENT_BYTES', `{ __typename } # ${'x'.repeat(17_000)}`],
      ['MAX_DOCUMENT_TOKENS', `{ ${'a '.repeat(2100)}}`],
      ['MAX_QUERY_FIELDS', `{ ${Array.from({ length: 501 }, (_, i) => `f${i}: __typename`).join(' ')} }`],
    ])('refuses a document past %s with 400 BAD_USER_INPUT naming it', async (limit, query) => {
      // The byte limit is checked before the body limit can see it: this server's body limit is 4 KiB, so send it in a GET.
      const response = await app.fetch(`/graphql?query=${encodeURIComponent(query)}`, { headers: { authorization: `Bearer ${admin}`, accept: 'application/graphql-response+json' } });
      const body = (await response.json()) as { errors?: { extensions?: Record<string, unknown> }[] };
      expect(response.status).toBe(400);
      // The depth rule runs among the validation rules, so other validation errors may follow its own.
      expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit });
    });
  });

  describe('body limit', () => {
    it('answers 413 PAYLOAD_TOO_LARGE past MAX_REQUEST_BODY_BYTES, and serves a body under it', async () => {
      const post = (padding: number): Promise<Response> =>
        app.fetch('/graphql', {
          method: 'POST',
          headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ query: '{ __typename }', variables: { padding: 'x'.repeat(padding) } }),
        });
      const refused = await post(5_000);
      expect(refused.status).toBe(413);
      expect(((await refused.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe('PAYLOAD_TOO_LARGE');
      expect((await post(3_000)).status).toBe(200);
    });
  });

  describe('CORS', () => {
    const preflight = (origin: string): Promise<Response> =>
      app.fetch('/graphql', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });

    it('answers a listed origin’s preflight without a token, and lets it read answers, refusals included', async () => {
      const response = await preflight(LISTED);
      expect(response.status).toBeLessThan(300);
      expect(response.headers.get('access-control-allow-origin')).toBe(LISTED);
      expect(response.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
      const refused = await app.fetch('/graphql', { method: 'POST', headers: { origin: LISTED, 'content-type': 'application/json' }, body: '{}' });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('access-control-allow-origin')).toBe(LISTED);
    });

    it('gives any other origin nothing', async () => {
      for (const origin of ['https://evil.example', 'null', `${LISTED}.evil.example`]) {
        const response = await preflight(origin);
        expect(response.headers.get('access-control-allow-origin')).toBeNull();
        const answer = await app.fetch('/graphql', { method: 'POST', headers: { origin, authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ query: STATS }) });
        expect(answer.headers.get('access-control-allow-origin')).toBeNull();
      }
    });
  });

  describe('GraphiQL', () => {
    it('serves its page without a token, under a CSP, never cached nor referred', async () => {
      const response = await app.fetch('/graphql', { headers: { accept: 'text/html' } });
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('GraphiQL');
      expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    });
  });

  describe('error masking', () => {
    it('answers an internal error as `Unexpected error.`, with no stack nor cause', async () => {
      const { store } = app.pulse.services;
      const stats = store.stats;
      // A fault inside a resolver: stats whose topPaths is missing, so `Stats.topPaths` throws a TypeError.
      store.stats = async (...args) => ({ ...(await stats.apply(store, args)), topPaths: null as never });
      try {
        const result = await app.graphql(admin, STATS);
        expect(result.body.errors?.map((e) => e.message)).toEqual(['Unexpected error.']);
        const text = JSON.stringify(result.body);
        expect(text).not.toMatch(/TypeError|stack|slice|\.ts:/);
      } finally {
        store.stats = stats;
      }
    });
  });
});
