import { randomBytes, randomUUID } from 'node:crypto';
import type { ExecutionResult } from 'graphql';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../../server/auth/authenticator.js';
import { postGraphQL, subscribe, type Subscription } from '../../support/clients.js';
import { ACTIVITY, RECORD, activity } from '../../support/operations.js';
import { spawnPulse, type PulseProcess } from '../../support/pulse-process.js';
import { uniquePrefix } from '../../support/redis.js';
import { REDIS_DEPLOYMENTS, startRedisDeployment, type RedisDeployment } from '../../support/redis-cluster.js';
import { probeSse } from '../../support/refusal.js';
import { waitUntil } from '../../support/wait.js';

type Event = { __typename: string; cursor: string; session?: { id: string }; user?: { id: string } };
const eventOf = (result: ExecutionResult<Record<string, unknown>>): Event => result.data?.activityChanged as Event;

/** How many keys under `prefix` each master holds. */
async function keysPerMaster(ports: readonly number[], prefix: string): Promise<number[]> {
  return Promise.all(
    ports.map(async (port) => {
      const node = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
      try {
        return (await node.keys(`${prefix}*`)).length;
      } finally {
        node.disconnect();
      }
    }),
  );
}

const RESUMABLE = /* GraphQL */ `
  subscription Resumable($filter: ActivityFilter, $since: Cursor) {
    activityChanged(filter: $filter, since: $since) {
      __typename
      cursor
      ... on SessionStarted { session { id } }
      ... on SessionUpdated { session { id } }
    }
  }
`;

/**
 * Two Pulse processes acting as one gateway: on one Redis; on a 3-master
 * Redis Cluster (its own, started once for the file's cluster suite, with
 * the default 18 partitions); and on one Redis split into 3 partitions (the
 * cluster's code, every partition on one node).
 */
const CASES = [...REDIS_DEPLOYMENTS.map((kind) => [kind, kind, {}] as const), ['redis, 3 partitions', 'redis', { REDIS_PARTITIONS: '3' }] as const];

describe.each(CASES)('two Pulse processes on %s', (_name, kind, extra) => {
  const secret = randomBytes(32).toString('base64url');
  const token = (sub: string, role: 'admin' | 'ingest') => mintToken({ secret, sub, roles: [role] });
  let a: PulseProcess;
  let b: PulseProcess;
  const opened: Subscription[] = [];

  let env: Record<string, string | undefined>;
  let deployment: RedisDeployment | undefined;

  beforeAll(async () => {
    deployment = await startRedisDeployment(kind);
    env = {
      ...deployment.env,
      ...extra,
      REDIS_PREFIX: uniquePrefix('multi'),
      JWT_SECRET: secret,
      IDLE_TIMEOUT_MS: '1500',
      SWEEP_INTERVAL_MS: '50',
      MAX_SUBSCRIPTIONS_PER_ADMIN: '2',
    };
    [a, b] = await Promise.all([spawnPulse(env), spawnPulse(env)]);
  }, 60_000);
  afterAll(async () => {
    opened.forEach((sub) => sub.dispose());
    await Promise.all([a?.stop(), b?.stop()]);
    await deployment?.dispose();
  });

  const open = async (on: PulseProcess, admin: string, variables?: Record<string, unknown>, query = ACTIVITY): Promise<Subscription> => {
    const sub = subscribe('sse-distinct', { graphqlUrl: `${on.url}/graphql`, token: await token(admin, 'admin') }, query, variables);
    opened.push(sub);
    return sub;
  };

  it('answers /readyz with 200 on both', async () => {
    for (const target of [a, b]) expect((await fetch(`${target.url}/readyz`)).status).toBe(200);
  });

  it('delivers each change of many users, recorded on either process, exactly once to a subscriber on each', async () => {
    const run = randomUUID().slice(0, 8);
    // Users of every partition: 40 ids spread over the 18 default partitions of the cluster.
    const users = Array.from({ length: 40 }, (_, i) => `many-${run}-${i}`);
    const watchers = [await open(a, `many-a-${run}`, { first: 1 }), await open(b, `many-b-${run}`, { first: 1 })];
    for (const watcher of watchers) expect(eventOf(await watcher.results.next()).__typename).toBe('Snapshot');
    const ingest = await token('app', 'ingest');
    await Promise.all(users.map((user, i) => postGraphQL(`${(i % 2 === 0 ? a : b).url}/graphql`, ingest, RECORD, { input: activity(`${user}-s`, user) })));
    const sessions = users.map((user) => `${user}-s`).sort();
    for (const watcher of watchers) {
      const startedOf = (): string[] =>
        watcher.results.seen.map(eventOf).flatMap((e) => (e.__typename === 'SessionStarted' && e.session?.id.startsWith(`many-${run}-`) ? [e.session.id] : []));
      await waitUntil(() => startedOf().length >= users.length, 10_000, { what: 'every SessionStarted' });
      // A duplicate would come right with the original; a marker recorded after all of them proves none is on its way.
      await postGraphQL(`${a.url}/graphql`, ingest, RECORD, { input: activity(`${users[0]}-s`, users[0] as string) });
      await watcher.results.waitFor((r) => eventOf(r).__typename === 'SessionUpdated' && eventOf(r).session?.id === `${users[0]}-s`, 5_000, 'the marker');
      expect(startedOf().sort()).toEqual(sessions);
    }
    // On the cluster, the writes spread: every master holds some of the partitions' keys.
    if (deployment?.cluster) expect((await keysPerMaster(deployment.cluster.ports, env.REDIS_PREFIX as string)).every((count) => count > 0)).toBe(true);
  });

  it('resumes on one process from a cursor taken on the other, with no gap and no repeat', async () => {
    const user = `resume-${randomUUID()}`;
    const admin = `resumer-${user}`;
    const ingest = await token('app', 'ingest');
    const first = await open(a, admin, undefined, RESUMABLE);
    expect(eventOf(await first.results.next()).__typename).toBe('Snapshot');
    // Users in several partitions, so the cursor names positions in more than one.
    const record = (i: number) => postGraphQL(`${(i % 2 === 0 ? a : b).url}/graphql`, ingest, RECORD, { input: activity(`${user}-${i}-s`, `${user}-${i}`) });
    for (const i of [0, 1, 2]) await record(i);
    for (const i of [0, 1, 2]) await first.results.waitFor((r) => eventOf(r).session?.id === `${user}-${i}-s`, 5_000, `session ${i} on A`);
    const cursor = eventOf(first.results.seen.at(-1) as ExecutionResult<Record<string, unknown>>).cursor;
    first.dispose();
    for (const i of [3, 4, 5, 6, 7]) await record(i);

    const resumed = await open(b, admin, { since: cursor }, RESUMABLE);
    expect(eventOf(await resumed.results.next()).__typename).toBe('Resumed');
    for (const i of [3, 4, 5, 6, 7]) await resumed.results.waitFor((r) => eventOf(r).session?.id === `${user}-${i}-s`, 5_000, `session ${i} on B`);
    // A later marker proves nothing else (a repeat of 0 to 2) is still on its way.
    await record(8);
    await resumed.results.waitFor((r) => eventOf(r).session?.id === `${user}-8-s`, 5_000, 'the marker');
    const ours = resumed.results.seen.map(eventOf).flatMap((e) => (e.session?.id.startsWith(user) ? [e.session.id] : []));
    // Order across partitions is not defined; each change exactly once is.
    expect([...ours].sort()).toEqual([3, 4, 5, 6, 7, 8].map((i) => `${user}-${i}-s`).sort());
  });

  it('delivers a change recorded on one process to a subscriber on the other, exactly once', async () => {
    const user = `u-${randomUUID()}`;
    const sub = await open(b, `watcher-${user}`, { filter: { userId: user } });
    expect(eventOf(await sub.results.next()).__typename).toBe('Snapshot');
    const { body } = await postGraphQL(`${a.url}/graphql`, await token('app', 'ingest'), RECORD, { input: activity(`${user}-s`, user) });
    expect(body.errors).toBeUndefined();
    const started = await sub.results.waitFor((r) => eventOf(r).__typename === 'SessionStarted');
    expect(eventOf(started).session?.id).toBe(`${user}-s`);
  });

  it('holds the per-admin limit across both processes', async () => {
    const admin = `admin-${randomUUID()}`;
    const onA = await open(a, admin);
    const onB = await open(b, admin);
    expect(eventOf(await onA.results.next()).__typename).toBe('Snapshot');
    expect(eventOf(await onB.results.next()).__typename).toBe('Snapshot');
    for (const target of [a, b]) {
      expect(await probeSse(`${target.url}/graphql`, await token(admin, 'admin'), ACTIVITY)).toEqual({ status: 429, code: 'TOO_MANY_SUBSCRIPTIONS' });
    }
  });

  it('frees the slots of a process killed with SIGKILL within the lease time', async () => {
    const doomed = await spawnPulse({ ...env, LEASE_TTL_MS: '1000' });
    const admin = `admin-${randomUUID()}`;
    const onDoomed = [await open(doomed, admin), await open(doomed, admin)];
    for (const sub of onDoomed) expect(eventOf(await sub.results.next()).__typename).toBe('Snapshot');
    expect(await probeSse(`${b.url}/graphql`, await token(admin, 'admin'), ACTIVITY)).toMatchObject({ status: 429 });

    doomed.child.kill('SIGKILL');
    const killedAt = Date.now();
    await waitUntil(async () => (await probeSse(`${b.url}/graphql`, await token(admin, 'admin'), ACTIVITY)).status === 200, 5_000, {
      what: "the dead process's leases lapse",
    });
    expect(Date.now() - killedAt).toBeLessThan(3_000);
  });

  it('publishes each idle expiry once although both processes sweep', async () => {
    const user = `u-${randomUUID()}`;
    const watchers = [await open(a, `w1-${user}`, { filter: { userId: user } }), await open(b, `w2-${user}`, { filter: { userId: user } })];
    for (const watcher of watchers) expect(eventOf(await watcher.results.next()).__typename).toBe('Snapshot');
    const ingest = await token('app', 'ingest');
    const sessions = [0, 1, 2].map((i) => `${user}-s${i}`);
    for (const session of sessions) await postGraphQL(`${a.url}/graphql`, ingest, RECORD, { input: activity(session, user) });

    for (const watcher of watchers) await watcher.results.waitFor((r) => eventOf(r).__typename === 'UserLeft', 10_000, 'UserLeft');
    // A duplicate would be published right with the original; a later marker event proves none is still on its way.
    await postGraphQL(`${b.url}/graphql`, ingest, RECORD, { input: activity(`${user}-marker`, user) });
    for (const watcher of watchers) {
      await watcher.results.waitFor((r) => eventOf(r).session?.id === `${user}-marker`, 5_000, 'the marker');
      const events = watcher.results.seen.map(eventOf);
      const beforeMarker = events.slice(0, events.findIndex((e) => e.session?.id === `${user}-marker`));
      const ended = beforeMarker.filter((e) => e.__typename === 'SessionEnded').map((e) => e.session?.id);
      expect(ended.sort()).toEqual([...sessions].sort());
      expect(beforeMarker.filter((e) => e.__typename === 'UserLeft')).toHaveLength(1);
    }
  });
});
