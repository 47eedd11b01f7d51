import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { mintToken } from '../../../server/auth/authenticator.js';
import { subscribe } from '../../support/clients.js';
import { ACTIVITY } from '../../support/operations.js';
import { BACKENDS, startTestPulse, type TestPulse } from '../../support/pulse.js';
import { openRawSse } from '../../support/raw-sse.js';
import { openRawSingleStream } from '../../support/raw-sse-single.js';
import { waitUntil } from '../../support/wait.js';

/** The verifier's tolerance in these tests: a token is accepted until `exp` plus this. */
const SKEW_MS = 300;
/** How late after its token's end a connection may still be open: timer and scheduling slack on a busy machine. */
const LATE_MS = 1_000;

/** When the server stops accepting `token`: its `exp` plus the tolerance. */
function acceptedUntil(token: string): number {
  return (decodeJwt(token).exp ?? 0) * 1000 + SKEW_MS;
}

/** Expects an end observed at `at` (epoch ms) to come at `token`'s expiry: not before it, and not much later. */
function expectAtExpiry(at: number, token: string): void {
  const until = acceptedUntil(token);
  // A timer may fire a millisecond before Date.now() agrees.
  expect(at).toBeGreaterThanOrEqual(until - 5);
  expect(at - until).toBeLessThan(LATE_MS);
}

describe.each(BACKENDS)('connections end when the token that opened them expires (%s)', (backend) => {
  let pulse: TestPulse;
  /** An admin token that ends about 2 s from now (exp has whole seconds). */
  const shortToken = (): Promise<string> => mintToken({ secret: pulse.secret, sub: `admin-${randomUUID()}`, roles: ['admin'], expiresIn: 2 });

  beforeAll(async () => {
    pulse = await startTestPulse({ backend, env: { CLOCK_SKEW_MS: String(SKEW_MS), MAX_SUBSCRIPTIONS_PER_ADMIN: '10' } });
  });
  afterAll(async () => {
    await pulse?.close();
  });

  it('closes a graphql-ws socket with 4403 at its token expiry, idle or not, while a socket with a longer token stays open', async () => {
    const token = await shortToken();
    const socket = new WebSocket(pulse.wsUrl, 'graphql-transport-ws');
    await once(socket, 'open');
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    await once(socket, 'message');
    const longLived = subscribe('ws', { graphqlUrl: pulse.graphqlUrl, token: await pulse.token(`admin-${randomUUID()}`, ['admin']) }, ACTIVITY);
    const subscribed = subscribe('ws', { graphqlUrl: pulse.graphqlUrl, token }, ACTIVITY);
    try {
      expect((await longLived.results.next()).data?.activityChanged).toMatchObject({ __typename: 'Snapshot' });
      expect((await subscribed.results.next()).data?.activityChanged).toMatchObject({ __typename: 'Snapshot' });

      const [code, reason] = (await once(socket, 'close')) as [number, Buffer];
      expectAtExpiry(Date.now(), token);
      expect(code).toBe(4403);
      expect(reason.toString()).toMatch(/expired/);
      // The subscription on the other socket with the same token ends the same way: an error (4403), not a complete.
      const error = await subscribed.errors.next(LATE_MS);
      expect((error as { code?: number }).code).toBe(4403);
      expect(subscribed.results.ended).toBe(false);
      expect(longLived.errors.seen).toEqual([]);
    } finally {
      longLived.dispose();
      subscribed.dispose();
    }
  });

  it('drops a distinct-mode SSE subscription at its token expiry, without `complete`', async () => {
    const token = await shortToken();
    const stream = await openRawSse(pulse.graphqlUrl, token, ACTIVITY);
    const chunks: Buffer[] = [];
    stream.socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    await stream.closed;
    expectAtExpiry(Date.now(), token);
    expect(Buffer.concat(chunks).toString('utf8')).not.toContain('event: complete');
    await waitUntil(() => pulse.services.openStreams.count === 0, 2_000, { what: 'the stream to let go of its lease and group' });
  });

  it('drops a single-connection stream at the expiry of the token that connected it, and its subscriptions with it', async () => {
    const token = await shortToken();
    const stream = await openRawSingleStream(`${pulse.graphqlUrl}/stream`, token);
    // The subscription is sent with a longer token of the same admin: the stream's own token decides.
    const longer = await pulse.token(decodeJwt(token).sub ?? '', ['admin']);
    const response = await fetch(`${pulse.graphqlUrl}/stream`, {
      method: 'POST',
      headers: { authorization: `Bearer ${longer}`, 'x-graphql-event-stream-token': stream.streamToken, 'content-type': 'application/json' },
      body: JSON.stringify({ query: ACTIVITY, extensions: { operationId: 'live' } }),
    });
    expect(response.status).toBe(202);
    await waitUntil(() => stream.text().includes('event: next'), 5_000, { what: 'the snapshot' });
    await stream.closed;
    expectAtExpiry(Date.now(), token);
    expect(stream.text()).not.toContain('event: complete');
    await waitUntil(() => pulse.services.openStreams.count === 0, 2_000, { what: 'the subscription to end with its stream' });
  });
});
