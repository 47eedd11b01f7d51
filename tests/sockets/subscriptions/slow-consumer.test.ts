import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { postGraphQL, subscribe, type Subscription } from '../../support/clients.js';
import { ACTIVITY, RECORD_MANY, activity } from '../../support/operations.js';
import { parseExposition, sampleValue } from '../../support/prometheus.js';
import { startTestPulse, type TestPulse } from '../../support/pulse.js';
import { openRawSse } from '../../support/raw-sse.js';
import { openRawSingleStream } from '../../support/raw-sse-single.js';

/** The transports whose subscribers are tested here, each through a bare socket it can stop reading. */
const SLOW_TRANSPORTS = ['sse-distinct', 'sse-single', 'ws'] as const;
type SlowTransport = (typeof SLOW_TRANSPORTS)[number];

/** What a `complete` looks like on each transport: a dropped subscriber must never get one. */
const COMPLETE: Record<SlowTransport, RegExp> = { 'sse-distinct': /event: complete/, 'sse-single': /event: complete/, ws: /"type":"complete"/ };

/** A subscriber over a bare socket: started (first event received), then paused and resumed by the test. */
interface SlowSubscriber {
  pause(): void;
  resume(): void;
  /** Resolves when the server closed (or reset) the connection. */
  readonly closed: Promise<void>;
  /** What arrived after `resume()` (the first 64 KB). */
  tail(): string;
}

/** Opens an `activityChanged` subscriber over `transport` on a socket the test controls, once its first event arrived. */
async function openSlowSubscriber(transport: SlowTransport, pulse: TestPulse, token: string): Promise<SlowSubscriber> {
  let tail = '';
  const keep = (chunk: Buffer | string): void => {
    if (tail.length < 65_536) tail += chunk.toString();
  };
  if (transport === 'ws') {
    const socket = new WebSocket(pulse.wsUrl, 'graphql-transport-ws');
    socket.on('error', () => {});
    await once(socket, 'open');
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    await once(socket, 'message');
    socket.send(JSON.stringify({ id: 'slow', type: 'subscribe', payload: { query: ACTIVITY } }));
    await once(socket, 'message');
    const closed = once(socket, 'close').then(() => undefined);
    return { pause: () => socket.pause(), resume: () => (socket.on('message', keep), socket.resume()), closed, tail: () => tail };
  }
  const raw =
    transport === 'sse-distinct' ? await openRawSse(pulse.graphqlUrl, token, ACTIVITY) : await startSingle(`${pulse.graphqlUrl}/stream`, token);
  return { pause: () => raw.socket.pause(), resume: () => (raw.socket.on('data', keep), raw.socket.resume()), closed: raw.closed, tail: () => tail };
}

/** A single-connection stream with the subscription on it, once its first event arrived. */
async function startSingle(streamUrl: string, token: string): Promise<Awaited<ReturnType<typeof openRawSingleStream>>> {
  const stream = await openRawSingleStream(streamUrl, token);
  const response = await fetch(streamUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'x-graphql-event-stream-token': stream.streamToken, 'content-type': 'application/json' },
    body: JSON.stringify({ query: ACTIVITY, extensions: { operationId: 'slow' } }),
  });
  expect(response.status).toBe(202);
  const firstEvent = new Promise<void>((resolve) => {
    const check = (): void => {
      if (stream.text().includes('event: next')) resolve();
    };
    stream.socket.on('data', check);
    check();
  });
  await firstEvent;
  return stream;
}

setFlagsFromString('--expose-gc');
/** V8's gc(), reachable without starting the test process with --expose-gc. */
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** 100 sessions: a burst of 200 changes, about 420 KB estimated, which a reading subscriber's 1 MiB queue takes whole. */
const BATCH = 100;
/** Each change carries a long path, so a few batches fill the socket buffers and the subscriber's queue. */
const LONG_PATH = `/${'p'.repeat(2000)}`;

describe('a subscriber that stops reading', () => {
  let pulse: TestPulse;
  let ingest: string;
  let admin: string;
  let normal: Subscription;

  beforeAll(async () => {
    pulse = await startTestPulse({
      // SUBSCRIBER_BUFFER_BYTES stays at its default (1 MiB); the event-count bound is lifted so that bytes decide.
      env: { SUBSCRIBER_BUFFER: '1000000', MAX_SUBSCRIPTIONS_PER_ADMIN: '5', STATS_INTERVAL_MS: '60000' },
    });
    ingest = await pulse.token('app', ['ingest']);
    admin = await pulse.token(`admin-${randomUUID()}`, ['admin']);
  });
  afterAll(async () => {
    normal?.dispose();
    await pulse.close();
  });

  /** Each test's sessions are new ones, so that every record is a SessionStarted. */
  let batchPrefix = '';
  beforeEach(() => {
    batchPrefix = randomUUID().slice(0, 8);
  });

  const slowDisconnects = async (): Promise<number | undefined> =>
    sampleValue(parseExposition(await (await fetch(`${pulse.url}/metrics`)).text()), 'pulse_slow_consumer_disconnects_total');

  /** Records one batch of new sessions (a SessionStarted and a UserJoined each) and waits until the normal subscriber has all of them. */
  const recordBatch = async (round: number): Promise<void> => {
    const inputs = Array.from({ length: BATCH }, (_, i) => activity(`s-${round}-${i}-${batchPrefix}`, `u-${round}-${i}-${batchPrefix}`, { path: LONG_PATH }));
    const { body } = await postGraphQL(pulse.graphqlUrl, ingest, RECORD_MANY, { inputs });
    expect(body.errors).toBeUndefined();
    // Every change of the batch, in order, within a second of its write: the slow subscriber holds nobody up.
    for (let i = 0; i < BATCH; i++) {
      const started = await normal.results.waitFor((r) => (r.data?.activityChanged as { __typename?: string } | undefined)?.__typename === 'SessionStarted', 1_000, `SessionStarted ${i} of round ${round}`);
      const session = (started.data?.activityChanged as { session: { id: string } }).session;
      expect(session.id).toBe(`s-${round}-${i}-${batchPrefix}`);
    }
  };

  it.each(SLOW_TRANSPORTS)('over %s, is disconnected once its queue passes SUBSCRIBER_BUFFER_BYTES, while the others keep receiving and memory stays flat', async (transport) => {
    const disconnectsBefore = (await slowDisconnects()) ?? 0;
    normal?.dispose();
    normal = subscribe('sse-distinct', { graphqlUrl: pulse.graphqlUrl, token: admin }, ACTIVITY);
    expect((await normal.results.next()).data?.activityChanged).toMatchObject({ __typename: 'Snapshot' });
    const slow = await openSlowSubscriber(transport, pulse, admin);
    slow.pause();
    expect(pulse.services.openStreams.count).toBe(2);
    const heapBefore = heapAfterGc();

    // A paused socket sees no FIN (it is not reading), so the server's side says when it let go.
    const slowGone = (): boolean => pulse.services.openStreams.count === 1;
    let round = 0;
    // Kernel and Node buffers hold a few MB before the queue grows; 100 rounds are ~22 MB of events for the slow one.
    while (!slowGone() && round < 100) await recordBatch(round++);
    expect(slowGone(), 'the server dropped the slow subscriber').toBe(true);
    const roundsToDisconnect = round;

    // Its connection was closed, not ended: reading again, it finds the end of the socket without a `complete`.
    slow.resume();
    await slow.closed;
    expect(slow.tail()).not.toMatch(COMPLETE[transport]);

    // The normal one goes on receiving, and memory stays where it was.
    for (let extra = 0; extra < 5; extra++) await recordBatch(round++);
    expect(await slowDisconnects()).toBe(disconnectsBefore + 1);
    const grown = heapAfterGc() - heapBefore;
    // Generous: the history ring and sessions written meanwhile count too; an unbounded queue would be tens of MB.
    expect(grown, `heap grew by ${grown} bytes over ${round} rounds (${roundsToDisconnect} to disconnect)`).toBeLessThan(24 * 1024 * 1024);
  });
});
