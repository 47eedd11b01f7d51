import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createPulseClient, type ActivityEvent, type ConnectionStatus, type PulseClient, type SseTransport } from '../../../client/lib/index.js';
import { mintToken } from '../../../server/auth/authenticator.js';
import { postGraphQL, subscribe, type Subscription } from '../../support/clients.js';
import { EventQueue } from '../../support/event-queue.js';
import { ACTIVITY, RECORD, activity } from '../../support/operations.js';
import { spawnPulse, type PulseProcess } from '../../support/pulse-process.js';
import { uniquePrefix } from '../../support/redis.js';
import { REDIS_DEPLOYMENTS, startRedisDeployment, type RedisDeployment, type RedisDeploymentKind } from '../../support/redis-cluster.js';
import { progressOf } from '../../support/cursors.js';
import { probeSse } from '../../support/refusal.js';
import { backendOf, startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.js';
import { waitUntil } from '../../support/wait.js';

const LEASE_TTL_MS = 1_000;
/** Renewal period (a third of the TTL) plus a slow machine's scheduling: the lease check's slack. */
const LEASE_MARGIN_MS = 1_500;
const NOT_CHANGES = new Set(['Snapshot', 'Resumed', 'StatsChanged']);

/** Records activity on one process at a steady pace until stopped, counting every failed write. */
function startWriter(graphqlUrl: string, token: string): { stop(): Promise<{ written: number; failed: string[] }> } {
  let writing = true;
  const failed: string[] = [];
  let written = 0;
  const loop = (async () => {
    // Bounded in count as well as by stop(), so a stuck test cannot write forever.
    for (let i = 0; writing && i < 5_000; i++) {
      const user = `u${i % 3}`;
      const result = await postGraphQL(graphqlUrl, token, RECORD, { input: activity(`s${i % 6}-${user}`, user, { path: `/p${i % 4}` }) }).catch(
        (error: unknown) => ({ status: 0, body: { errors: [{ message: String(error) }] } }),
      );
      if (result.status === 200 && !result.body.errors) written++;
      else failed.push(`${result.status} ${JSON.stringify(result.body.errors)}`);
      // The pace of the traffic, not a wait for some state.
      await delay(20);
    }
  })();
  return {
    stop: async () => {
      writing = false;
      await loop;
      return { written, failed };
    },
  };
}

/** The live feed of the official client library, with every status and event queued. */
function watch(url: string, token: string, transport: SseTransport): { client: PulseClient; statuses: EventQueue<ConnectionStatus>; events: EventQueue<ActivityEvent> } {
  const client = createPulseClient({ url, token, transport, initialRetryDelayMs: 100, maxRetryDelayMs: 400, lifecycle: null });
  const statuses = new EventQueue<ConnectionStatus>();
  const events = new EventQueue<ActivityEvent>();
  client.live.onStatus(statuses.push);
  client.live.onEvent(events.push);
  return { client, statuses, events };
}

/** One Redis deployment per kind for the whole file, shared by the transports' cases: a cluster takes seconds to start. */
const deployments = new Map<RedisDeploymentKind, Promise<RedisDeployment>>();
const deploymentOf = (kind: RedisDeploymentKind): Promise<RedisDeployment> => {
  const deployment = deployments.get(kind) ?? startRedisDeployment(kind);
  deployments.set(kind, deployment);
  return deployment;
};
afterAll(async () => {
  for (const deployment of deployments.values()) await (await deployment).dispose();
});

const CASES = REDIS_DEPLOYMENTS.flatMap((kind) => (['distinct', 'single'] as const).map((transport) => [kind, transport] as const));

describe.each(CASES)('failover behind a load balancer on %s (client transport %s)', (kind, transport) => {
  const secret = randomBytes(32).toString('base64url');
  const token = (sub: string, role: 'admin' | 'ingest'): Promise<string> => mintToken({ secret, sub, roles: [role] });
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  const startPair = async (): Promise<{ a: PulseProcess; b: PulseProcess; proxy: TcpProxy }> => {
    const env = {
      ...(await deploymentOf(kind)).env,
      REDIS_PREFIX: uniquePrefix('failover'),
      JWT_SECRET: secret,
      LEASE_TTL_MS: String(LEASE_TTL_MS),
      // Two, not one: with one, the watcher's reconnect to B would be refused TOO_MANY_SUBSCRIPTIONS (final
      // for the client) while its own lease on A has not lapsed yet. The holder fills both slots instead.
      MAX_SUBSCRIPTIONS_PER_ADMIN: '2',
    };
    const [a, b] = await Promise.all([spawnPulse(env), spawnPulse(env)]);
    // PulseProcess.stop() waits for an exit that already happened when the child was killed, hence the check.
    const stop = (child: PulseProcess) => () => (child.child.signalCode === null ? child.stop() : undefined);
    cleanup.push(stop(a), stop(b));
    const proxy = await startTcpProxy([backendOf(a.url), backendOf(b.url)]);
    cleanup.push(() => proxy.close());
    return { a, b, proxy };
  };

  /** Opens `count` subscriptions of `admin` straight on one process, each up to its snapshot. */
  const holdSlots = async (on: PulseProcess, admin: string, count: number): Promise<Subscription[]> => {
    const subs = Array.from({ length: count }, () => subscribe('sse-distinct', { graphqlUrl: `${on.url}/graphql`, token: admin }, ACTIVITY));
    cleanup.push(() => subs.forEach((sub) => sub.dispose()));
    for (const sub of subs) await sub.results.next(5_000, 'the holder snapshot');
    return subs;
  };

  it('keeps B serving, frees the dead process\'s leases within the lease time, and the client resumes on B with no gap', { timeout: 30_000 }, async () => {
    const { a, b, proxy } = await startPair();
    const holder = await token(`holder-${randomUUID()}`, 'admin');
    await holdSlots(a, holder, 2);
    expect(await probeSse(`${b.url}/graphql`, holder, ACTIVITY)).toMatchObject({ status: 429, code: 'TOO_MANY_SUBSCRIPTIONS' });

    const { client, statuses, events } = watch(proxy.url, await token(`watcher-${randomUUID()}`, 'admin'), transport);
    cleanup.push(() => client.dispose());
    client.live.start();
    const snapshot = await events.next(5_000, 'the snapshot');
    expect(snapshot.__typename).toBe('Snapshot');
    expect(proxy.routedTo(backendOf(a.url))).toBeGreaterThan(0);
    expect(proxy.routedTo(backendOf(b.url))).toBe(0);

    // Writes go to B directly: B's serving is what is under test, not the proxy's routing of them.
    const writer = startWriter(`${b.url}/graphql`, await token('app', 'ingest'));
    cleanup.push(() => writer.stop());
    for (let n = 0; n < 10; n++) await events.waitFor((e) => !NOT_CHANGES.has(e.__typename), 5_000, 'changes before the kill');

    const exited = once(a.child, 'exit');
    a.child.kill('SIGKILL');
    const killedAt = Date.now();
    await exited;

    await statuses.waitFor((s) => s.kind === 'reconnecting', 5_000, 'reconnecting');
    await statuses.waitFor((s) => s.kind === 'connected', 10_000, 'connected again');
    const resumed = await events.waitFor((e) => e.__typename === 'Resumed' || e.__typename === 'Snapshot', 5_000, 'the resume');
    expect(resumed.__typename).toBe('Resumed');
    expect(proxy.routedTo(backendOf(b.url))).toBeGreaterThan(0);

    // Polled: a lease lapsing in Redis sends no event.
    await waitUntil(async () => (await probeSse(`${b.url}/graphql`, holder, ACTIVITY)).status === 200, LEASE_TTL_MS + LEASE_MARGIN_MS + 3_000, {
      intervalMs: 25,
      what: "the dead process's leases to lapse",
    });
    expect(Date.now() - killedAt).toBeLessThan(LEASE_TTL_MS + LEASE_MARGIN_MS);

    for (let n = 0; n < 10; n++) await events.waitFor((e) => !NOT_CHANGES.has(e.__typename), 5_000, 'changes after the resume');
    const { written, failed } = await writer.stop();
    expect(failed).toEqual([]);
    expect(written).toBeGreaterThan(20);

    // A marker written last proves the watcher caught up with everything before it.
    const marker = `marker-${randomUUID()}`;
    const { body } = await postGraphQL(`${b.url}/graphql`, await token('app', 'ingest'), RECORD, { input: activity(marker, 'u-marker') });
    expect(body.errors).toBeUndefined();
    await events.waitFor((e) => e.__typename === 'SessionStarted' && e.session.id === marker, 5_000, 'the marker');

    const seen = events.seen;
    expect(seen.filter((e) => e.__typename === 'Snapshot')).toHaveLength(1);
    for (const [i, e] of seen.entries()) if (e.__typename === 'Resumed') expect(e.cursor).toBe(seen[i - 1]?.cursor);
    const progress = seen.filter((e) => !NOT_CHANGES.has(e.__typename)).map((e) => progressOf(e.cursor));
    expect(progress.length).toBeGreaterThan(20);
    expect(progress).toEqual(progress.map((_, i) => progressOf(snapshot.cursor) + 1 + i));

    // Connected once, then one or more failed attempts, then connected again, and nothing since.
    const kinds = statuses.seen.map((s) => s.kind).join(' ');
    expect(kinds).toMatch(/^connecting connected (reconnecting connecting )+connected$/);
  });
});
