import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyEvent, createPulseClient, emptyLiveState, type ActivityEvent, type ConnectionStatus, type LiveState, type PulseClient } from '../../../client/lib/index.js';
import { errorCode, postGraphQL } from '../../support/clients.js';
import { RECORD, activity } from '../../support/operations.js';
import { startTestPulse, type TestPulse } from '../../support/pulse.js';
import { REDIS_DEPLOYMENTS, startStoppableRedis, type StoppableRedis } from '../../support/redis-cluster.js';
import { waitUntil } from '../../support/wait.js';

/** What the writer saw for each write. */
interface Writes {
  acknowledged: string[];
  refused: string[];
}

/** Every deployment with every SSE transport; on a cluster, one master is stopped and started (a restart under load). */
const CASES = REDIS_DEPLOYMENTS.flatMap((kind) => (['distinct', 'single'] as const).map((transport) => [kind, transport] as const));

/** One Redis (or cluster) per deployment for the whole file, shared by its transports' cases: a cluster takes seconds to start. */
const started = new Map<string, Promise<StoppableRedis>>();
const redisOf = (kind: (typeof REDIS_DEPLOYMENTS)[number]): Promise<StoppableRedis> => {
  const existing = started.get(kind) ?? startStoppableRedis(kind);
  started.set(kind, existing);
  return existing;
};
afterAll(async () => {
  for (const redis of started.values()) await (await redis).dispose();
});

describe.each(CASES)('%s stopped and started under load, clients on %s SSE', (kind, transport) => {
  let redis: StoppableRedis;
  let pulse: TestPulse;
  let ingest: string;
  let client: PulseClient;
  let user: string;
  let state: LiveState = emptyLiveState();
  const events: ActivityEvent[] = [];
  const statuses: ConnectionStatus[] = [];

  beforeAll(async () => {
    // Persistent, so that what Redis acknowledged survives its restart and resuming can be checked in full.
    redis = await redisOf(kind);
    user = await redis.userOnStopped(`u-${randomUUID()}`);
    // Leases of dropped streams cannot be released while Redis is away; they lapse after LEASE_TTL_MS.
    pulse = await startTestPulse({ env: { ...redis.env, MAX_SUBSCRIPTIONS_PER_ADMIN: '20', LEASE_TTL_MS: '3000', STATS_INTERVAL_MS: '100' } });
    ingest = await pulse.token('app', ['ingest']);
    const admin = await pulse.token(`admin-${randomUUID()}`, ['admin']);
    client = createPulseClient({ url: pulse.url, token: admin, transport, lifecycle: null, initialRetryDelayMs: 200, maxRetryDelayMs: 500, watchdogMs: 0 });
    client.live.onEvent((event) => {
      events.push(event);
      state = applyEvent(state, event);
    });
    client.live.onStatus((status) => statuses.push(status));
  }, 60_000);
  afterAll(async () => {
    client?.dispose();
    await pulse?.close();
  });

  const write = async (writes: Writes, sessionId: string): Promise<void> => {
    const started = Date.now();
    const { body } = await postGraphQL(pulse.graphqlUrl, ingest, RECORD, { input: activity(sessionId, user, { path: '/p' }) });
    expect(Date.now() - started, 'a write answers within 5 s').toBeLessThan(5_000);
    if (body.errors === undefined) writes.acknowledged.push(sessionId);
    else {
      expect(errorCode(body)).toBe('SERVICE_UNAVAILABLE');
      writes.refused.push(sessionId);
    }
  };
  const delivered = (): Set<string> => new Set(events.flatMap((e) => (e.__typename === 'SessionStarted' ? [e.session.id] : [])));
  const connectedCount = (): number => statuses.filter((s) => s.kind === 'connected').length;

  it('refuses writes fast while it is away, drops the streams, and after it is back every acknowledged write is visible and delivered', async () => {
    const writes: Writes = { acknowledged: [], refused: [] };
    client.live.start({ filter: { userId: user } });
    await waitUntil(() => client.live.status.kind === 'connected', 10_000, { what: 'the live feed to connect' });
    let n = 0;
    let writing = true;
    const writer = (async () => {
      while (writing) await write(writes, `${transport}-s-${n++}`);
    })();
    await waitUntil(() => writes.acknowledged.length >= 20 && delivered().size >= 10, 10_000, { what: 'writes flowing' });

    await redis.stop();
    await waitUntil(() => writes.refused.length > 0, 10_000, { what: 'a write refused with SERVICE_UNAVAILABLE' });
    await waitUntil(() => statuses.some((s) => s.kind === 'reconnecting'), 10_000, { what: 'the stream to be dropped (reconnecting, not stopped)' });
    await waitUntil(async () => (await fetch(`${pulse.url}/readyz`)).status === 503, 5_000, { what: '/readyz reports not ready' });
    const connectionsBefore = connectedCount();

    await redis.start();
    await waitUntil(async () => (await fetch(`${pulse.url}/readyz`)).status === 200, 15_000, { what: '/readyz reports ready again' });
    await waitUntil(() => connectedCount() > connectionsBefore, 15_000, { what: 'the live feed to reconnect' });
    const ackedBeforeRecovery = writes.acknowledged.length;
    await waitUntil(() => writes.acknowledged.length >= ackedBeforeRecovery + 20, 10_000, { what: 'writes acknowledged after recovery' });
    writing = false;
    await writer;

    // Every acknowledged write was delivered as a change (live, or replayed on resume) and is in the client's state.
    await waitUntil(() => writes.acknowledged.every((id) => delivered().has(id)), 10_000, { what: 'every acknowledged write delivered' });
    const sessions = state.users.get(user)?.sessions;
    expect(writes.acknowledged.filter((id) => !sessions?.has(id))).toEqual([]);
    // A refused write's outcome is unknown (Redis may have applied it and died before answering), so it may show up;
    // nothing else may.
    const sent = new Set([...writes.acknowledged, ...writes.refused]);
    expect([...delivered()].filter((id) => !sent.has(id))).toEqual([]);
    // It resumed rather than starting over: the only snapshot is the first one.
    expect(events.filter((e) => e.__typename === 'Snapshot')).toHaveLength(1);
    expect(events.some((e) => e.__typename === 'Resumed')).toBe(true);
    expect(statuses.some((s) => s.kind === 'failed' || s.kind === 'stopped')).toBe(false);
    expect(client.live.status.kind).toBe('connected');
  });
});
