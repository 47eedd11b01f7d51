import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPulseClient, type ActivityEvent, type ConnectionStatus } from '../../../client/lib/index.js';
import { postGraphQL } from '../../support/clients.js';
import { progressOf } from '../../support/cursors.js';
import { EventQueue } from '../../support/event-queue.js';
import { RECORD, activity } from '../../support/operations.js';
import { startTestPulse, type TestPulse } from '../../support/pulse.js';
import { uniquePrefix } from '../../support/redis.js';
import { spawnRedisCluster, type SpawnedCluster } from '../../support/redis-cluster.js';
import { waitUntil } from '../../support/wait.js';

/** Users spread over the partitions, so that some live on the master that hands over. */
const USERS = Array.from({ length: 24 }, (_, i) => `failover-user-${i}`);

/** The role a node reports, and for a replica the port of its master. */
async function roleOf(port: number): Promise<{ role: string; masterPort: number | null }> {
  const node = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  try {
    const reply = (await node.call('ROLE')) as [string, ...unknown[]];
    return { role: reply[0], masterPort: reply[0] === 'slave' ? Number(reply[2]) : null };
  } finally {
    node.disconnect();
  }
}

/** Records one event per user, retrying a user whose write is refused while the cluster changes hands; resolves with the refusals seen. */
async function recordEveryUser(pulse: TestPulse, token: string, round: number): Promise<string[]> {
  const refusals: string[] = [];
  for (const user of USERS) {
    await waitUntil(
      async () => {
        const { status, body } = await postGraphQL(pulse.graphqlUrl, token, RECORD, { input: activity(`${user}-s`, user, { path: `/round-${round}` }) });
        if (status === 200 && body.errors === undefined) return true;
        refusals.push(`${status} ${JSON.stringify(body.errors)}`);
        return false;
      },
      15_000,
      { intervalMs: 100, what: `a write for ${user} to be taken` },
    );
  }
  return refusals;
}

/** Changes, as opposed to the events that frame them. */
const NOT_CHANGES = new Set(['Snapshot', 'Resumed', 'StatsChanged']);

/** Waits until the feed has delivered a change of `type` for every user; resolves with every event seen so far. */
async function untilEveryUserHas(events: EventQueue<ActivityEvent>, type: ActivityEvent['__typename']): Promise<void> {
  const seen = new Set<string>();
  while (seen.size < USERS.length) {
    const event = await events.next(20_000, `a ${type} of every user (${seen.size} so far)`);
    if (event.__typename === type && 'session' in event) seen.add(event.session.userId);
  }
}

/** A master that has a replica, and that replica. */
async function masterWithReplica(cluster: SpawnedCluster): Promise<{ master: number; replica: number }> {
  const roles = await Promise.all(cluster.ports.map(async (port) => ({ port, ...(await roleOf(port)) })));
  const replica = roles.find(({ role }) => role === 'slave');
  if (replica?.masterPort == null) throw new Error(`no replica among ${JSON.stringify(roles)}`);
  return { master: replica.masterPort, replica: replica.port };
}

/** Asks the node at `port` once. */
async function ask<T>(port: number, question: (node: Redis) => Promise<T>): Promise<T> {
  const node = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  try {
    return await question(node);
  } finally {
    node.disconnect();
  }
}

/**
 * Two ways a replica takes over its master. `manual`: `CLUSTER FAILOVER`
 * on the replica, what an operator runs before maintaining a master; the
 * replica takes over only once it has everything. `unplanned`: the master
 * stops and the other masters vote its replica in after the node timeout;
 * it is asked to `WAIT` for the replica first, so that this handover loses
 * nothing either (asynchronous replication can lose the last writes of one
 * that crashes, which the README says).
 */
const HANDOVERS = {
  manual: async (cluster: SpawnedCluster): Promise<void> => {
    const { master, replica } = await masterWithReplica(cluster);
    await ask(replica, (node) => node.cluster('FAILOVER'));
    await waitUntil(async () => (await roleOf(replica)).role === 'master' && (await roleOf(master)).role === 'slave', 20_000, {
      intervalMs: 50,
      what: `${replica} to take over from ${master}`,
    });
  },
  unplanned: async (cluster: SpawnedCluster): Promise<void> => {
    const { master, replica } = await masterWithReplica(cluster);
    expect(await ask(master, (node) => node.call('WAIT', '1', '5000'))).toBe(1);
    await cluster.stopNode(cluster.ports.indexOf(master));
    await waitUntil(
      async () => (await roleOf(replica)).role === 'master' && /cluster_state:ok/.test(await ask(replica, (node) => node.cluster('INFO'))),
      30_000,
      { intervalMs: 100, what: `the cluster to vote ${replica} in for the stopped ${master}` },
    );
  },
} as const;

/** Every handover with every SSE transport. */
const CASES = (['manual', 'unplanned'] as const).flatMap((handover) => (['distinct', 'single'] as const).map((transport) => [handover, transport] as const));

/**
 * A replica takes over its master. Pulse's writes follow the slots to the
 * new master. Its change feed loses the old master's channels and
 * resubscribes on the new one; changes published in between would miss this
 * process, so it drops its streams (as on any lost feed) and the official
 * client resumes from its cursor: no change missed, none twice.
 */
describe.each(CASES)('Pulse on a Redis Cluster with replicas, across a %s failover, clients on %s SSE', (handover, transport) => {
  let cluster: SpawnedCluster;
  let pulse: TestPulse;
  beforeAll(async () => {
    cluster = await spawnRedisCluster(3, { replicasPerMaster: 1 });
    pulse = await startTestPulse({ env: { REDIS_CLUSTER_NODES: cluster.nodes.join(','), REDIS_PREFIX: uniquePrefix('replica-failover'), STATS_INTERVAL_MS: '60000' } });
  }, 60_000);
  afterAll(async () => {
    await pulse?.close();
    await cluster?.dispose();
  });

  it('keeps taking writes, and the client resumes with every change once, in order, after a replica takes over its master', async () => {
    const [admin, ingest] = await Promise.all([pulse.token('admin', ['admin']), pulse.token('ingest', ['ingest'])]);
    const client = createPulseClient({ url: pulse.url, token: admin, transport, lifecycle: null, initialRetryDelayMs: 100, maxRetryDelayMs: 400, watchdogMs: 0 });
    const events = new EventQueue<ActivityEvent>();
    const statuses = new EventQueue<ConnectionStatus>();
    client.live.onEvent(events.push);
    client.live.onStatus(statuses.push);
    client.live.start();
    try {
      const snapshot = await events.next(10_000, 'the snapshot');
      expect(snapshot.__typename).toBe('Snapshot');
      expect(await recordEveryUser(pulse, ingest, 1)).toEqual([]);
      await untilEveryUserHas(events, 'SessionStarted');

      await HANDOVERS[handover](cluster);
      const refusals = await recordEveryUser(pulse, ingest, 2);
      await untilEveryUserHas(events, 'SessionUpdated');

      const seen = events.seen;
      expect(seen.filter((event) => event.__typename === 'Snapshot')).toHaveLength(1);
      // Every change once, in order: the whole log's progress moves by one per change, from the snapshot's.
      const progress = seen.filter((event) => !NOT_CHANGES.has(event.__typename)).map((event) => progressOf(event.cursor));
      expect(progress).toEqual(progress.map((_, i) => progressOf(snapshot.cursor) + 1 + i));
      // SessionStarted and UserJoined per user, then SessionUpdated.
      expect(progress).toHaveLength(3 * USERS.length);
      // The handover did reach the feed: the stream was dropped and the client came back by resuming, not by a snapshot.
      expect(seen.filter((event) => event.__typename === 'Resumed').length).toBeGreaterThanOrEqual(1);
      // A write that met the handover was refused as unavailable, never as anything else, and taken on retry.
      for (const refusal of refusals) expect(refusal).toMatch(/SERVICE_UNAVAILABLE/);
      expect(statuses.seen.map((status) => status.kind)).not.toContain('failed');
      await waitUntil(async () => (await fetch(`${pulse.url}/readyz`)).status === 200, 10_000, { intervalMs: 100, what: '/readyz to answer 200' });
    } finally {
      client.dispose();
    }
  }, 90_000);
});
