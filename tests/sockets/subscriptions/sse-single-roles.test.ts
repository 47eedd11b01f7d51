import { randomUUID } from 'node:crypto';
import { TOKEN_HEADER_KEY } from 'graphql-sse';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../../server/auth/authenticator.js';
import { subscribe, type Subscription } from '../../support/clients.js';
import { ACTIVITY } from '../../support/operations.js';
import { parseExposition, sampleValue } from '../../support/prometheus.js';
import { BACKENDS, startTestPulse, type TestPulse } from '../../support/pulse.js';
import { uniquePrefix } from '../../support/redis.js';
import { refusalOf } from '../../support/refusal.js';
import { waitUntil } from '../../support/wait.js';

/** Two pending reservations and two streams per admin, so that the bound on streams is what a third connect meets. */
const ENV = { MAX_SSE_STREAMS_PER_ADMIN: '2', MAX_SSE_RESERVATIONS_PER_ADMIN: '3', SSE_RESERVATION_TTL_MS: '5000' };

const STREAM = '/graphql/stream';

/** The single-connection requests, raw, as `as` (a bearer token, or none). */
function requests(base: string) {
  const auth = (as: string | null): Record<string, string> => (as === null ? {} : { authorization: `Bearer ${as}` });
  return {
    reserve: (as: string | null) => fetch(`${base}${STREAM}`, { method: 'PUT', headers: { ...auth(as), accept: 'text/plain' } }),
    connect: (as: string | null, token: string) => fetch(`${base}${STREAM}`, { headers: { ...auth(as), accept: 'text/event-stream', [TOKEN_HEADER_KEY]: token } }),
    connectByPost: (as: string | null, token: string) =>
      fetch(`${base}${STREAM}?token=${token}`, { method: 'POST', headers: { ...auth(as), accept: 'text/event-stream' } }),
    run: (as: string | null, token: string) =>
      fetch(`${base}${STREAM}`, {
        method: 'POST',
        headers: { ...auth(as), 'content-type': 'application/json', [TOKEN_HEADER_KEY]: token },
        body: JSON.stringify({ query: '{ __typename }', extensions: { operationId: 'op' } }),
      }),
    cancel: (as: string | null, token: string) => fetch(`${base}${STREAM}?operationId=op`, { method: 'DELETE', headers: { ...auth(as), [TOKEN_HEADER_KEY]: token } }),
  };
}

async function refusal(response: Response): Promise<{ status: number; code: unknown }> {
  const body = (await response.json()) as { errors?: Array<{ extensions?: { code?: unknown } }> };
  return { status: response.status, code: body.errors?.[0]?.extensions?.code };
}

async function limitRefusals(base: string, limit: string): Promise<number> {
  return sampleValue(parseExposition(await (await fetch(`${base}/metrics`)).text()), 'pulse_limit_refusals_total', { limit }) ?? 0;
}

describe.each(BACKENDS)('graphql-sse single connection mode: roles and bounds per admin (%s)', (backend) => {
  let a: TestPulse;
  /** A second server on the same backend: another process of the deployment with Redis, another gateway in memory. */
  let b: TestPulse;
  const open: Response[] = [];
  const subs: Subscription[] = [];

  beforeAll(async () => {
    const redisPrefix = uniquePrefix('sse-roles');
    a = await startTestPulse({ backend, env: ENV, redisPrefix });
    b = backend === 'redis' ? await startTestPulse({ backend, env: ENV, redisPrefix, secret: a.secret }) : a;
  });
  afterEach(async () => {
    subs.splice(0).forEach((sub) => sub.dispose());
    await Promise.all(open.splice(0).map((response) => response.body?.cancel()));
  });
  afterAll(async () => {
    await a.close();
    if (b !== a) await b.close();
  });

  const tokenOf = (sub: string, roles: readonly Role[]) => a.token(sub, roles);

  it('refuses the reservation PUT without a token (401) and without the admin role (403 FORBIDDEN)', async () => {
    const api = requests(a.url);
    expect(await refusal(await api.reserve(null))).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    expect(await refusal(await api.reserve(await tokenOf('ingest-tool', ['ingest'])))).toEqual({ status: 403, code: 'FORBIDDEN' });
    expect(await refusal(await api.reserve(await tokenOf('no-role', [])))).toEqual({ status: 403, code: 'FORBIDDEN' });
  });

  it("refuses every other request without the admin role, even from a token of the reservation's own subject", async () => {
    const api = requests(a.url);
    const sub = `admin-${randomUUID()}`;
    const reserved = await api.reserve(await tokenOf(sub, ['admin']));
    expect(reserved.status).toBe(201);
    const streamToken = await reserved.text();
    const ingest = await tokenOf(sub, ['ingest']);
    for (const request of [api.connect, api.connectByPost, api.run, api.cancel]) {
      expect(await refusal(await request(ingest, streamToken))).toEqual({ status: 403, code: 'FORBIDDEN' });
      expect(await refusal(await request(null, streamToken))).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    }
    // The refusals left the reservation as it was: its admin connects it.
    const stream = await api.connect(await tokenOf(sub, ['admin']), streamToken);
    open.push(stream);
    expect(stream.status).toBe(200);
  });

  it('refuses the official client in single connection mode with an ingest token at its reservation: 403', async () => {
    const sub = subscribe('sse-single', { graphqlUrl: a.graphqlUrl, token: await tokenOf('ingest-client', ['ingest']) }, ACTIVITY);
    subs.push(sub);
    // The client has read the body by the time it reports the response, so only the status is left to see.
    expect(await refusalOf(sub)).toMatchObject({ status: 403 });
  });

  it('bounds connected streams per admin across servers at MAX_SSE_STREAMS_PER_ADMIN: 429 TOO_MANY_SUBSCRIPTIONS, counted, freed on close', async () => {
    const owner = await tokenOf(`greedy-${randomUUID()}`, ['admin']);
    const [onA, onB] = [requests(a.url), requests(b.url)];
    const tokens = await Promise.all([onA.reserve(owner), onB.reserve(owner), onA.reserve(owner)].map(async (reply) => (await reply).text()));
    const [first, second, third] = tokens as [string, string, string];
    const before = await limitRefusals(b.url, 'MAX_SSE_STREAMS_PER_ADMIN');
    const streams = [await onA.connect(owner, first), await onB.connect(owner, second)];
    open.push(...streams);
    expect(streams.map((stream) => stream.status)).toEqual([200, 200]);

    expect(await refusal(await onB.connect(owner, third))).toEqual({ status: 429, code: 'TOO_MANY_SUBSCRIPTIONS' });
    expect(await limitRefusals(b.url, 'MAX_SSE_STREAMS_PER_ADMIN')).toBe(before + 1);
    // Another admin is not held to this one's bound.
    const other = await tokenOf(`other-${randomUUID()}`, ['admin']);
    const theirs = await onB.connect(other, await (await onB.reserve(other)).text());
    open.push(theirs);
    expect(theirs.status).toBe(200);

    // Closing a stream frees its slot once its release is through; nothing announces that, hence the polling.
    await streams[0]?.body?.cancel();
    const late = await waitUntil(
      async () => {
        const attempt = await onB.connect(owner, third);
        if (attempt.status === 200) return attempt;
        expect(await refusal(attempt)).toEqual({ status: 429, code: 'TOO_MANY_SUBSCRIPTIONS' });
        return null;
      },
      5_000,
      { intervalMs: 50, what: 'the closed stream to free its slot' },
    );
    open.push(late);
  });

  it('counts refused reservations past MAX_SSE_RESERVATIONS_PER_ADMIN in the same metric', async () => {
    const owner = await tokenOf(`reserver-${randomUUID()}`, ['admin']);
    const api = requests(a.url);
    for (let i = 0; i < 3; i++) expect((await api.reserve(owner)).status).toBe(201);
    const before = await limitRefusals(a.url, 'MAX_SSE_RESERVATIONS_PER_ADMIN');
    expect(await refusal(await api.reserve(owner))).toEqual({ status: 429, code: 'TOO_MANY_SUBSCRIPTIONS' });
    expect(await limitRefusals(a.url, 'MAX_SSE_RESERVATIONS_PER_ADMIN')).toBe(before + 1);
  });
});
