import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { get } from 'node:http';
import type { ExecutionResult } from 'graphql';
import { createClient } from 'graphql-sse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../../server/auth/authenticator.js';
import { DEFAULT_RESTART_BACKOFF, restartDelayMs } from '../../../server/root/cluster.js';
import { changeChannels, redisKeys } from '../../../server/redis/keys.js';
import { EventQueue } from '../../support/event-queue.js';
import { ACTIVITY, RECORD, STATS, activity } from '../../support/operations.js';
import { logLines, runPulseToExit, servedBy, servingWorkerPids, spawnPulse, type PulseProcess } from '../../support/pulse-process.js';
import { Redis } from 'ioredis';
import { DEFAULT_PARTITIONS } from '../../../server/redis/partitions.js';
import { connectTestRedis, testRedisUrl, uniquePrefix } from '../../support/redis.js';
import { startRedisDeployment, type RedisDeployment } from '../../support/redis-cluster.js';
import { waitUntil } from '../../support/wait.js';

type Result = ExecutionResult<Record<string, unknown>>;
const typename = (result: Result): unknown => (result.data?.activityChanged as { __typename?: unknown } | undefined)?.__typename;

/** A distinct-mode SSE subscription whose request carries a known `x-request-id`, so the log names the worker serving it. */
interface TracedSubscription {
  readonly requestId: string;
  readonly results: EventQueue<Result>;
  readonly errors: EventQueue<unknown>;
  dispose(): void;
}

function subscribeTraced(pulse: PulseProcess, token: string, variables?: Record<string, unknown>): TracedSubscription {
  const requestId = `sub-${randomUUID()}`;
  const client = createClient({ url: `${pulse.url}/graphql`, headers: { authorization: `Bearer ${token}`, 'x-request-id': requestId }, retryAttempts: 0 });
  const results = new EventQueue<Result>();
  const errors = new EventQueue<unknown>();
  const unsubscribe = client.subscribe(variables ? { query: ACTIVITY, variables } : { query: ACTIVITY }, {
    next: results.push,
    error: (error) => {
      errors.push(error);
      results.fail(error);
    },
    complete: results.end,
  });
  return {
    requestId,
    results,
    errors,
    dispose: () => {
      unsubscribe();
      client.dispose();
    },
  };
}

/**
 * POSTs one operation on a connection of its own (`connection: close`): the
 * primary hands out connections, not requests, so a reused one would always
 * reach the same worker. Resolves with the status, the body and the pid
 * that served it.
 */
async function postTraced(pulse: PulseProcess, token: string, query: string, variables?: Record<string, unknown>): Promise<{ status: number; body: Result; pid: number }> {
  const requestId = `req-${randomUUID()}`;
  const response = await fetch(`${pulse.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-request-id': requestId, connection: 'close' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Result;
  return { status: response.status, body, pid: await servedBy(pulse, requestId) };
}

/** Sends queries on fresh connections until each of `pids` has served one; every answer must be a 200 without errors. */
async function untilServedBy(pulse: PulseProcess, token: string, pids: readonly number[], attempts = 30): Promise<void> {
  const seen = new Set<number>();
  for (let i = 0; i < attempts && !pids.every((pid) => seen.has(pid)); i++) {
    const { status, body, pid } = await postTraced(pulse, token, STATS);
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    seen.add(pid);
  }
  expect([...seen].sort()).toEqual([...pids].sort());
}

/** Opens subscriptions (up to their snapshot) until `pids` each serve one; returns them all. */
async function subscribeOnEach(pulse: PulseProcess, token: string, pids: readonly number[], attempts = 20): Promise<Map<number, TracedSubscription>> {
  const byPid = new Map<number, TracedSubscription>();
  const extra: TracedSubscription[] = [];
  for (let i = 0; i < attempts && byPid.size < pids.length; i++) {
    const sub = subscribeTraced(pulse, token);
    expect(typename(await sub.results.next(5_000, 'the snapshot'))).toBe('Snapshot');
    const pid = await servedBy(pulse, sub.requestId);
    if (byPid.has(pid)) extra.push(sub);
    else byPid.set(pid, sub);
  }
  extra.forEach((sub) => sub.dispose());
  expect([...byPid.keys()].sort()).toEqual([...pids].sort());
  return byPid;
}

/** The two workers' pids, once the primary's log lines saying so are out (pino writes them after the banner, on its own schedule). */
function twoWorkerPids(pulse: PulseProcess): Promise<number[]> {
  return waitUntil(() => {
    const pids = servingWorkerPids(pulse);
    return pids.length >= 2 && pids;
  }, 5_000, { what: 'the primary to log both workers serving' });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `PUBSUB NUMSUB` of one channel: how many connections are subscribed to it. */
async function subscribersOf(redis: Redis, channel: string): Promise<number> {
  const reply = (await redis.call('PUBSUB', 'NUMSUB', channel)) as [string, number];
  return Number(reply[1]);
}

/** Every channel under `prefix` with its number of subscribed connections, sorted by channel. */
async function channelsOf(redis: Redis, prefix: string): Promise<Array<[string, number]>> {
  const channels = ((await redis.call('PUBSUB', 'CHANNELS', `${prefix}*`)) as string[]).sort();
  return Promise.all(channels.map(async (channel): Promise<[string, number]> => [channel, await subscribersOf(redis, channel)]));
}

/**
 * Opens `count` more subscriptions, each up to its snapshot, and checks
 * that Redis sees the same channels with the same subscriber counts as
 * before: Pulse subscribes per process, never per client.
 * @returns the pids that served them
 */
async function expectSubscriptionsPerProcess(pulse: PulseProcess, redis: Redis, prefix: string, token: string, count: number, opened: TracedSubscription[]): Promise<Set<number>> {
  const before = await channelsOf(redis, prefix);
  const subs = Array.from({ length: count }, () => subscribeTraced(pulse, token));
  opened.push(...subs);
  for (const sub of subs) expect(typename(await sub.results.next(10_000, 'the snapshot'))).toBe('Snapshot');
  expect(await channelsOf(redis, prefix)).toEqual(before);
  return new Set(await Promise.all(subs.map((sub) => servedBy(pulse, sub.requestId))));
}

/** GET on a fresh connection (no keep-alive), so that successive requests may reach different workers. */
function scrapeOnNewConnection(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

describe('`--workers 2` on Redis', () => {
  const prefix = uniquePrefix('workers');
  const redis = connectTestRedis();
  const opened: TracedSubscription[] = [];
  let pulse: PulseProcess;
  let admin: string;
  let ingest: string;
  let workerPids: number[];

  beforeAll(async () => {
    // Dev mode: the banner's tokens must work on every worker, which proves they share the primary's secret.
    pulse = await spawnPulse(
      { REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix, JWT_SECRET: undefined, LOG_LEVEL: 'info', MAX_SUBSCRIPTIONS_PER_ADMIN: '100' },
      ['--workers', '2'],
    );
    admin = /^Admin token:\s+(\S+)$/m.exec(pulse.stdout())?.[1] ?? '';
    ingest = /^Ingest token:\s+(\S+)$/m.exec(pulse.stdout())?.[1] ?? '';
    workerPids = await twoWorkerPids(pulse);
  });
  afterAll(async () => {
    opened.forEach((sub) => sub.dispose());
    await pulse?.stop();
    redis.disconnect();
  });

  it('prints the banner once, after both workers serve, with the real port and dev tokens', () => {
    const out = pulse.stdout();
    expect(out.match(/Pulse is running on/g)).toHaveLength(1);
    expect(pulse.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
    expect(out).toContain(', 2 workers)');
    expect(out).toMatch(new RegExp(`^${pulse.url.replace(/[.]/g, '\\.')}/#token=${admin}$`, 'm'));
    expect(admin).not.toBe('');
    expect(ingest).not.toBe('');
    expect(workerPids).toHaveLength(2);
    expect(new Set(workerPids).size).toBe(2);
    expect(workerPids).not.toContain(pulse.child.pid);
  });

  it('serves requests from both workers on one port, each accepting the same dev token', async () => {
    await untilServedBy(pulse, admin, workerPids);
  });

  it('delivers an activity recorded through one worker to a subscription opened through the other', async () => {
    const user = `u-${randomUUID()}`;
    const subs = await subscribeOnEach(pulse, admin, workerPids);
    opened.push(...subs.values());
    const { status, body, pid: writer } = await postTraced(pulse, ingest, RECORD, { input: activity(`${user}-s`, user) });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const other = workerPids.find((pid) => pid !== writer) as number;
    const across = subs.get(other) as TracedSubscription;
    const started = await across.results.waitFor(
      (r) => typename(r) === 'SessionStarted' && (r.data?.activityChanged as { session?: { id?: string } }).session?.id === `${user}-s`,
      5_000,
      'the change recorded on the other worker',
    );
    expect(started).toBeDefined();
  });

  it('holds one Redis subscription per worker on the changes channel, however many subscribers', async () => {
    const { changesChannel } = redisKeys(prefix);
    opened.push(...(await subscribeOnEach(pulse, admin, workerPids)).values());
    expect(await subscribersOf(redis, changesChannel)).toBe(2);
    expect(await expectSubscriptionsPerProcess(pulse, redis, prefix, admin, 40, opened)).toEqual(new Set(workerPids));
    expect(await subscribersOf(redis, changesChannel)).toBe(2);
  });

  it('answers /metrics for the whole gateway, whichever worker takes the scrape', async () => {
    expect(opened.length).toBeGreaterThan(2);
    const open = `pulse_subscriptions{transport="sse-distinct"} ${opened.length}`;
    // Each scrape on a connection of its own: the primary hands connections to the workers in turn.
    for (let i = 0; i < 6; i++) expect((await scrapeOnNewConnection(`${pulse.url}/metrics`)).split('\n')).toContain(open);
  });

  it('replaces a killed worker and keeps serving meanwhile', async () => {
    const [victim, survivor] = workerPids as [number, number];
    process.kill(victim, 'SIGKILL');
    await waitUntil(() => logLines(pulse.stdout()).some((line) => line.msg === 'worker exited unexpectedly; starting a new one' && line.workerPid === victim), 5_000, {
      what: 'the primary to see the worker die',
    });
    await untilServedBy(pulse, admin, [survivor], 3);
    const replacement = await waitUntil(() => servingWorkerPids(pulse).find((pid) => !workerPids.includes(pid)), 15_000, {
      what: 'a new worker to serve',
    });
    await untilServedBy(pulse, admin, [survivor, replacement]);
    expect(isAlive(victim)).toBe(false);
  });
});

/** The same gateway on a 3-master Redis Cluster of its own, with the default 18 partitions. */
describe('`--workers 2` on a Redis Cluster', () => {
  const prefix = uniquePrefix('workers-cluster');
  const opened: TracedSubscription[] = [];
  let deployment: RedisDeployment | undefined;
  let masters: Redis[] = [];
  let pulse: PulseProcess;
  let admin: string;
  let ingest: string;
  let workerPids: number[];

  beforeAll(async () => {
    deployment = await startRedisDeployment('redis-cluster');
    masters = (deployment.cluster?.ports ?? []).map((port) => new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 }));
    pulse = await spawnPulse({ ...deployment.env, REDIS_PREFIX: prefix, JWT_SECRET: undefined, LOG_LEVEL: 'info', MAX_SUBSCRIPTIONS_PER_ADMIN: '100' }, ['--workers', '2']);
    admin = /^Admin token:\s+(\S+)$/m.exec(pulse.stdout())?.[1] ?? '';
    ingest = /^Ingest token:\s+(\S+)$/m.exec(pulse.stdout())?.[1] ?? '';
    workerPids = await twoWorkerPids(pulse);
  }, 60_000);
  afterAll(async () => {
    opened.forEach((sub) => sub.dispose());
    await pulse?.stop();
    masters.forEach((master) => master.disconnect());
    await deployment?.dispose();
  });

  it('delivers an activity recorded through one worker to a subscription opened through the other', async () => {
    const user = `u-${randomUUID()}`;
    const subs = await subscribeOnEach(pulse, admin, workerPids);
    opened.push(...subs.values());
    const { body, pid: writer } = await postTraced(pulse, ingest, RECORD, { input: activity(`${user}-s`, user) });
    expect(body.errors).toBeUndefined();
    const across = subs.get(workerPids.find((pid) => pid !== writer) as number) as TracedSubscription;
    await across.results.waitFor(
      (r) => typename(r) === 'SessionStarted' && (r.data?.activityChanged as { session?: { id?: string } }).session?.id === `${user}-s`,
      5_000,
      'the change recorded on the other worker',
    );
  });

  it('holds one sharded subscription per worker on each partition channel, on its master, and no classic one', async () => {
    opened.push(...(await subscribeOnEach(pulse, admin, workerPids)).values());
    const channels = changeChannels(prefix, DEFAULT_PARTITIONS);
    const counts = await Promise.all(
      masters.map(async (master) => ((await master.call('PUBSUB', 'SHARDNUMSUB', ...channels)) as (string | number)[]).filter((_, i) => i % 2 === 1).map(Number)),
    );
    // Summed over the masters: each channel is subscribed where its slot is, once per worker.
    expect(channels.map((_, i) => counts.reduce((sum, perChannel) => sum + (perChannel[i] ?? 0), 0))).toEqual(channels.map(() => 2));
    for (const master of masters) expect(await master.pubsub('CHANNELS', `${prefix}changes*`)).toEqual([]);
  });
});

describe('one process, `--workers 1`', () => {
  const prefix = uniquePrefix('workers-one');
  const secret = randomBytes(32).toString('base64url');
  const redis = connectTestRedis();
  const opened: TracedSubscription[] = [];
  let pulse: PulseProcess;

  beforeAll(async () => {
    pulse = await spawnPulse(
      { REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix, JWT_SECRET: secret, LOG_LEVEL: 'info', MAX_SUBSCRIPTIONS_PER_ADMIN: '100' },
      ['--workers', '1'],
    );
  });
  afterAll(async () => {
    opened.forEach((sub) => sub.dispose());
    await pulse?.stop();
    redis.disconnect();
  });

  it('serves from the one process it started, with no primary, and holds one Redis subscription for 40 subscribers', async () => {
    expect(pulse.stdout()).not.toContain('workers)');
    expect(servingWorkerPids(pulse)).toEqual([]);
    const token = await mintToken({ secret, sub: 'numsub-admin', roles: ['admin'] });
    const first = subscribeTraced(pulse, token);
    opened.push(first);
    expect(typename(await first.results.next(5_000, 'the snapshot'))).toBe('Snapshot');
    expect(await servedBy(pulse, first.requestId)).toBe(pulse.child.pid);
    expect(await subscribersOf(redis, redisKeys(prefix).changesChannel)).toBe(1);
    expect(await expectSubscriptionsPerProcess(pulse, redis, prefix, token, 39, opened)).toEqual(new Set([pulse.child.pid]));
    expect(await subscribersOf(redis, redisKeys(prefix).changesChannel)).toBe(1);
  });
});

describe('SIGTERM to the primary of `--workers 2`', () => {
  const GRACE_MS = 3_000;
  const prefix = uniquePrefix('workers-stop');
  const secret = randomBytes(32).toString('base64url');
  const redis = connectTestRedis();
  const opened: TracedSubscription[] = [];
  let pulse: PulseProcess;

  beforeAll(async () => {
    pulse = await spawnPulse(
      { REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix, JWT_SECRET: secret, LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: String(GRACE_MS), MAX_SUBSCRIPTIONS_PER_ADMIN: '10' },
      ['--workers', '2'],
    );
  });
  afterAll(async () => {
    opened.forEach((sub) => sub.dispose());
    await pulse?.stop();
    redis.disconnect();
  });

  it('has every worker shut down gracefully (streams dropped, leases released), then exits 0 within SHUTDOWN_GRACE_MS', async () => {
    const adminId = `admin-${randomUUID()}`;
    const workerPids = await twoWorkerPids(pulse);
    const subs = [...(await subscribeOnEach(pulse, await mintToken({ secret, sub: adminId, roles: ['admin'] }), workerPids)).values()];
    opened.push(...subs);
    // Polled: a subscription subscribeOnEach closed again (a second one on the same worker) releases its lease in the background.
    await waitUntil(async () => (await redis.zcard(redisKeys(prefix).leases(adminId))) === 2, 5_000, { what: 'one lease per open subscription' });

    const exited = once(pulse.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const started = Date.now();
    pulse.child.kill('SIGTERM');
    await Promise.all(subs.map((sub) => sub.errors.next(GRACE_MS, 'the dropped connection')));
    const [code] = await exited;
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(GRACE_MS);
    subs.forEach((sub) => expect(sub.results.ended, 'no complete').toBe(false));
    expect(workerPids.filter(isAlive)).toEqual([]);
    expect(await redis.zcard(redisKeys(prefix).leases(adminId))).toBe(0);
  });
});

describe('refusing to start a cluster', () => {
  it('refuses `--workers 2` without REDIS_URL, saying memory mode is one process, and exits 2', async () => {
    const result = await runPulseToExit({ REDIS_URL: undefined, REDIS_CLUSTER_NODES: undefined }, ['--workers', '2']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'WORKERS (from --workers) = "2": expected at most 1 without REDIS_URL or REDIS_CLUSTER_NODES: memory mode is one process; set one of them',
    );
    expect(result.stdout).not.toContain('Pulse is running');
  });

  it('refuses REDIS_URL and REDIS_CLUSTER_NODES together, and a bad node list, each with a clear line, and exits 2', async () => {
    const result = await runPulseToExit({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CLUSTER_NODES: '127.0.0.1:7000,127.0.0.1:70000' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('REDIS_CLUSTER_NODES and REDIS_URL are both set: expected one of them');
    expect(result.stderr).toContain('REDIS_CLUSTER_NODES = "127.0.0.1:7000,127.0.0.1:70000": expected comma-separated host:port seed nodes of a Redis Cluster');
    expect(result.stderr).toContain('"127.0.0.1:70000" is not one');
    expect(result.stdout).not.toContain('Pulse is running');
  });

  it('exits 1 with a redacted reason when no seed node of the cluster answers', async () => {
    const result = await runPulseToExit({ REDIS_URL: undefined, REDIS_CLUSTER_NODES: '127.0.0.1:1', JWT_SECRET: 'x'.repeat(32) });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot connect to Redis Cluster at 127\.0\.0\.1:1: /);
  }, 30_000);

  it('exits 1 with the workers\' reason when they cannot start (Redis unreachable), without restarting them', async () => {
    const result = await runPulseToExit({ REDIS_URL: 'redis://127.0.0.1:1', JWT_SECRET: 'x'.repeat(32), LOG_LEVEL: 'info' }, ['--workers', '2']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot connect to Redis/);
    expect(result.stderr).toMatch(/Pulse failed to start: worker \d \(pid \d+\) exited with code 1 before it was serving/);
    expect(logLines(result.stdout).filter((line) => line.msg === 'worker starting')).toHaveLength(2);
  });
});

describe('restartDelayMs', () => {
  it('doubles from the initial delay for each crash in a row, up to the cap', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 100].map((crashes) => restartDelayMs(crashes, DEFAULT_RESTART_BACKOFF));
    expect(delays).toEqual([100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  });
});
