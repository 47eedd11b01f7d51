import { randomUUID } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL, subscribe, type Subscription } from '../support/clients.js';
import { ACTIVITY, RECORD_MANY, activity } from '../support/operations.js';
import { parseExposition, sampleValue } from '../support/prometheus.js';
import { startTestPulse, type TestPulse } from '../support/pulse.js';
import { openRawSse } from '../support/raw-sse.js';

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

  const slowDisconnects = async (): Promise<number | undefined> =>
    sampleValue(parseExposition(await (await fetch(`${pulse.url}/metrics`)).text()), 'pulse_slow_consumer_disconnects_total');

  /** Records one batch of new sessions (a SessionStarted and a UserJoined each) and waits until the normal subscriber has all of them. */
  const recordBatch = async (round: number): Promise<void> => {
    const inputs = Array.from({ length: BATCH }, (_, i) => activity(`s-${round}-${i}`, `u-${round}-${i}`, { path: LONG_PATH }));
    const { body } = await postGraphQL(pulse.graphqlUrl, ingest, RECORD_MANY, { inputs });
    expect(body.errors).toBeUndefined();
    // Every change of the batch, in order, within a second of its write: the slow subscriber holds nobody up.
    for (let i = 0; i < BATCH; i++) {
      const started = await normal.results.waitFor((r) => (r.data?.activityChanged as { __typename?: string } | undefined)?.__typename === 'SessionStarted', 1_000, `SessionStarted ${i} of round ${round}`);
      const session = (started.data?.activityChanged as { session: { id: string } }).session;
      expect(session.id).toBe(`s-${round}-${i}`);
    }
  };

  it('is disconnected once its queue passes SUBSCRIBER_BUFFER_BYTES, while the others keep receiving and memory stays flat', async () => {
    normal = subscribe('sse-distinct', { graphqlUrl: pulse.graphqlUrl, token: admin }, ACTIVITY);
    expect((await normal.results.next()).data?.activityChanged).toMatchObject({ __typename: 'Snapshot' });
    const slow = await openRawSse(pulse.graphqlUrl, admin, ACTIVITY);
    slow.socket.pause();
    expect(pulse.services.openStreams.count).toBe(2);
    const heapBefore = heapAfterGc();

    // A paused socket sees no FIN (it is not reading), so the server's side says when it let go.
    const slowGone = (): boolean => pulse.services.openStreams.count === 1;
    let round = 0;
    // Kernel and Node buffers hold a few MB before the queue grows; 100 rounds are ~22 MB of events for the slow one.
    while (!slowGone() && round < 100) await recordBatch(round++);
    expect(slowGone(), 'the server dropped the slow subscriber').toBe(true);
    const roundsToDisconnect = round;

    // Its connection was closed, not ended: reading again, it finds the end of the socket without a `complete` event.
    const chunks: Buffer[] = [];
    slow.socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    slow.socket.resume();
    await slow.closed;
    const tail = Buffer.concat(chunks).toString('utf8');
    expect(tail).not.toContain('event: complete');

    // The normal one goes on receiving, and memory stays where it was.
    for (let extra = 0; extra < 5; extra++) await recordBatch(round++);
    expect(await slowDisconnects()).toBe(1);
    const grown = heapAfterGc() - heapBefore;
    // Generous: the history ring and sessions written meanwhile count too; an unbounded queue would be tens of MB.
    expect(grown, `heap grew by ${grown} bytes over ${round} rounds (${roundsToDisconnect} to disconnect)`).toBeLessThan(24 * 1024 * 1024);
  });
});
