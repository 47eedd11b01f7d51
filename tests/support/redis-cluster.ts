import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { DEFAULT_PARTITIONS, partitionOfUser, partitionTags } from '../../server/redis/partitions.js';
import { testRedisUrl } from './redis.js';
import { freePort, spawnRedis, startRedisProcess, stopRedisProcess, type RedisProcess } from './redis-server.js';
import { waitUntil } from './wait.js';

/** A Redis Cluster of real `redis-server` nodes owned by a test run. */
export interface SpawnedCluster {
  /** `host:port` of every master, as `REDIS_CLUSTER_NODES` takes them. */
  readonly nodes: readonly string[];
  readonly ports: readonly number[];
  /** Stops one master (SIGTERM) and starts it again on the same port with its data; resolves when the cluster is ok again. */
  restartNode(index: number): Promise<void>;
  /** Stops one master (SIGTERM): with no replicas its slots go unserved until {@link SpawnedCluster.startNode}. */
  stopNode(index: number): Promise<void>;
  /** Starts a stopped master again on its port with its data; resolves when the cluster is ok again. */
  startNode(index: number): Promise<void>;
  /** Stops every node and removes their folders. */
  dispose(): Promise<void>;
  /** What a client needs to sign in and speak to the nodes ({@link ClusterSetup}); empty for an open cluster. */
  readonly access: RedisOptions;
}

/** Test certificates (see tests/support/tls/README.md): a CA and one certificate for 127.0.0.1 that every node serves. */
export const TEST_TLS = {
  ca: fileURLToPath(new URL('tls/ca.crt', import.meta.url)),
  cert: fileURLToPath(new URL('tls/redis.crt', import.meta.url)),
  key: fileURLToPath(new URL('tls/redis.key', import.meta.url)),
} as const;

/** How a test cluster is made beyond its masters: replicas, and how it is locked (a password on the default user, an ACL user, TLS only). */
export interface ClusterSetup {
  /** Replicas of each master, each a node of its own on a port of its own. @defaultValue 0 */
  readonly replicasPerMaster?: number;
  /** `requirepass`: the default user's password. */
  readonly password?: string;
  /** An ACL user allowed every command on the keys and channels that start with `prefix`, with its password. */
  readonly user?: { readonly name: string; readonly password: string; readonly prefix: string };
  /** Nodes listen with TLS only (their ports are `tls-port`s) and talk TLS on the cluster bus; clients need {@link TEST_TLS}'s CA. */
  readonly tls?: boolean;
}

const HOW_TO_INSTALL =
  'redis-cli was not found. The Redis Cluster tests need redis-server and redis-cli (Debian/Ubuntu: `apt-get update && apt-get install -y redis-server`).';

/**
 * Starts `masters` cluster-enabled `redis-server` nodes on free ports, each
 * in its own folder (where it keeps `nodes.conf`), joins them with
 * `redis-cli --cluster create` (no replicas) and resolves once every node
 * reports `cluster_state:ok`. Nodes keep an append-only file, so a restarted
 * master comes back with its slots and data.
 * @throws Error with installation advice when redis-server or redis-cli is missing
 */
export async function spawnRedisCluster(masters = 3, setup: ClusterSetup = {}): Promise<SpawnedCluster> {
  const ports = await Promise.all(Array.from({ length: masters * (1 + (setup.replicasPerMaster ?? 0)) }, () => freePort()));
  const dirs = await Promise.all(ports.map(() => mkdtemp(join(tmpdir(), 'pulse-cluster-'))));
  const start = (index: number): Promise<RedisProcess> =>
    startRedisProcess(ports[index] as number, [...clusterArgs(dirs[index] as string), ...securityArgs(ports[index] as number, setup)]);
  const processes = await Promise.all(ports.map((_, index) => start(index)));
  const nodes = ports.map((port) => `127.0.0.1:${port}`);
  const access = accessOf(setup);
  await createCluster(nodes, setup);
  await waitForClusterOk(ports, access);
  if ((setup.replicasPerMaster ?? 0) > 0) await waitForReplicasInSync(ports, access);
  return {
    nodes,
    ports,
    access,
    restartNode: async (index) => {
      await stopRedisProcess(processes[index] as RedisProcess);
      processes[index] = await start(index);
      await waitForClusterOk(ports, access);
    },
    stopNode: (index) => stopRedisProcess(processes[index] as RedisProcess),
    startNode: async (index) => {
      processes[index] = await start(index);
      await waitForClusterOk(ports, access);
    },
    dispose: async () => {
      await Promise.all(processes.map(stopRedisProcess));
      await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    },
  };
}

function clusterArgs(dir: string): string[] {
  return ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000', '--dir', dir, '--appendonly', 'yes'];
}

/** The node's own port becomes its TLS port (the plain one closed), so that the cluster announces the ports clients must use. */
function securityArgs(port: number, { password, user, tls }: ClusterSetup): string[] {
  const args: string[] = [];
  // A replica signs in to its master as a client does.
  if (password !== undefined) args.push('--requirepass', password, '--masterauth', password);
  if (user !== undefined) {
    args.push('--user', user.name, 'on', `>${user.password}`, `~${user.prefix}*`, `&${user.prefix}*`, '+@all');
    args.push('--masteruser', user.name, '--masterauth', user.password);
  }
  if (tls) {
    args.push('--port', '0', '--tls-port', String(port), '--tls-cluster', 'yes', '--tls-auth-clients', 'no');
    args.push('--tls-cert-file', TEST_TLS.cert, '--tls-key-file', TEST_TLS.key, '--tls-ca-cert-file', TEST_TLS.ca);
  }
  return args;
}

/** ioredis options of a client of a cluster locked as `setup` says. */
function accessOf({ password, user, tls }: ClusterSetup): RedisOptions {
  return {
    ...(user !== undefined ? { username: user.name, password: user.password } : password !== undefined ? { password } : {}),
    ...(tls ? { tls: { ca: readFileSync(TEST_TLS.ca) } } : {}),
  };
}

/** redis-cli's arguments for the same. */
function cliAccessArgs({ password, user, tls }: ClusterSetup): string[] {
  const auth = user !== undefined ? ['--user', user.name, '--pass', user.password] : password !== undefined ? ['--pass', password] : [];
  return [...auth, ...(tls ? ['--tls', '--cacert', TEST_TLS.ca] : [])];
}

async function createCluster(nodes: readonly string[], setup: ClusterSetup): Promise<void> {
  const replicas = String(setup.replicasPerMaster ?? 0);
  try {
    await promisify(execFile)('redis-cli', [...cliAccessArgs(setup), '--no-auth-warning', '--cluster', 'create', ...nodes, '--cluster-replicas', replicas, '--cluster-yes']);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(HOW_TO_INSTALL);
    throw error;
  }
}

/** Every node agrees that all 16384 slots are served: the cluster takes commands. */
function waitForClusterOk(ports: readonly number[], access: RedisOptions): Promise<void> {
  return untilEveryNode(ports, access, (node) => node.cluster('INFO'), (info) => /cluster_state:ok/.test(info), 'the Redis Cluster to report cluster_state:ok');
}

/** Every replica has its master's data and follows it (a manual failover waits for nothing less). */
function waitForReplicasInSync(ports: readonly number[], access: RedisOptions): Promise<void> {
  return untilEveryNode(
    ports,
    access,
    (node) => node.info('replication'),
    (info) => /role:master/.test(info) || /master_link_status:up/.test(info),
    'every replica of the Redis Cluster to be in sync with its master',
  );
}

/** Asks every node `ask` until every answer `holds` (a node that cannot answer yet answers ''), for up to 20 s. */
async function untilEveryNode(
  ports: readonly number[],
  access: RedisOptions,
  ask: (node: Redis) => Promise<string>,
  holds: (answer: string) => boolean,
  what: string,
): Promise<void> {
  const nodes = ports.map((port) => new Redis({ ...access, port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 }));
  try {
    await waitUntil(async () => (await Promise.all(nodes.map((node) => ask(node).catch(() => '')))).every(holds), 20_000, { intervalMs: 50, what });
  } finally {
    nodes.forEach((node) => node.disconnect());
  }
}

/** A slot migration begun by {@link beginSlotMigration}: its keys are on the target, the slot has not changed hands yet. */
export interface SlotMigration {
  readonly slot: number;
  /** Indexes in `ports` of the master that owned the slot and of the one taking it. */
  readonly from: number;
  readonly to: number;
  /**
   * `CLUSTER SETSLOT … NODE` naming the target, on the target, then on the source
   * (the moment the source drops the slot's shard channels and pushes
   * `sunsubscribe` to their subscribers), then on the other masters; resolves
   * once every master names the target as the slot's owner.
   */
  finish(): Promise<void>;
}

/**
 * Starts moving `slot` to the master at `to` the way
 * `redis-cli --cluster reshard` does: `SETSLOT IMPORTING` on the target,
 * `SETSLOT MIGRATING` on the source, then `MIGRATE` of every key in the slot, a batch at a time. The
 * source keeps serving the slot (and its shard channels) until
 * {@link SlotMigration.finish}.
 * @throws Error when the slot already belongs to `to`
 */
export async function beginSlotMigration(ports: readonly number[], slot: number, to: number): Promise<SlotMigration> {
  const masters = ports.map((port) => new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 }));
  try {
    const ids = await Promise.all(masters.map(async (master) => String(await master.cluster('MYID'))));
    const from = ports.indexOf(await slotOwnerPort(masters[0] as Redis, slot));
    if (from === to) throw new Error(`slot ${slot} is already on master ${to}`);
    const [source, target] = [masters[from] as Redis, masters[to] as Redis];
    await target.cluster('SETSLOT', slot, 'IMPORTING', ids[from] as string);
    await source.cluster('SETSLOT', slot, 'MIGRATING', ids[to] as string);
    for (;;) {
      const keys = (await source.cluster('GETKEYSINSLOT', slot, 100)) as string[];
      if (keys.length === 0) break;
      await source.migrate('127.0.0.1', ports[to] as number, '', 0, 5_000, 'KEYS', ...keys);
    }
    return { slot, from, to, finish: () => finishSlotMigration(ports, slot, [to, from], ids[to] as string) };
  } finally {
    masters.forEach((master) => master.disconnect());
  }
}

/** Moves `slot` to the master at `to` (a whole {@link beginSlotMigration}); resolves once every master agrees. */
export async function migrateSlot(ports: readonly number[], slot: number, to: number): Promise<void> {
  await (await beginSlotMigration(ports, slot, to)).finish();
}

/** The port of the master that owns `slot`, as `node` sees the cluster. */
async function slotOwnerPort(node: Redis, slot: number): Promise<number> {
  const range = (await node.cluster('SLOTS')).find(([first, last]) => slot >= first && slot <= last);
  const port = range?.[2]?.[1];
  if (port === undefined) throw new Error(`no master owns slot ${slot}`);
  return Number(port);
}

async function finishSlotMigration(ports: readonly number[], slot: number, [to, from]: [number, number], targetId: string): Promise<void> {
  const masters = ports.map((port) => new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 }));
  try {
    // Target first, so that it bumps its epoch and claims the slot before the source lets it go.
    const order = [to, from, ...ports.keys()].filter((index, i, all) => all.indexOf(index) === i);
    for (const index of order) await (masters[index] as Redis).cluster('SETSLOT', slot, 'NODE', targetId);
    await waitUntil(
      async () => (await Promise.all(masters.map((master) => slotOwnerPort(master, slot).catch(() => -1)))).every((port) => port === ports[to]),
      20_000,
      { intervalMs: 20, what: `every master to name ${ports[to]} as the owner of slot ${slot}` },
    );
  } finally {
    masters.forEach((master) => master.disconnect());
  }
}

/**
 * A client of a test cluster. A `forFeed` one is what the sharded change
 * feed needs: it reloads the slot map every half second, which is how the
 * feed notices a slot that moved.
 */
export function connectTestCluster(cluster: SpawnedCluster, { forFeed = false }: { forFeed?: boolean } = {}): Cluster {
  const nodes = cluster.ports.map((port) => ({ host: '127.0.0.1', port }));
  const client = new Cluster(nodes, {
    slotsRefreshInterval: forFeed ? 500 : undefined,
    redisOptions: { maxRetriesPerRequest: 1 },
  });
  // Commands report their own failures; without a listener ioredis would print every node's reconnect attempt.
  client.on('error', () => {});
  return client;
}

/** The Redis deployments the multi-process suites run on. */
export const REDIS_DEPLOYMENTS = ['redis', 'redis-cluster'] as const;

/** One of {@link REDIS_DEPLOYMENTS}. */
export type RedisDeploymentKind = (typeof REDIS_DEPLOYMENTS)[number];

/** A Redis for child Pulse processes: the run's shared one, or a 3-master cluster of the suite's own. */
export interface RedisDeployment {
  readonly kind: RedisDeploymentKind;
  /**
   * The settings that point Pulse at it; the other one unset, so that a
   * `REDIS_URL` of the test run's environment cannot make the pair refused.
   */
  readonly env: Record<string, string | undefined>;
  /** The cluster, for a `redis-cluster` deployment. */
  readonly cluster: SpawnedCluster | undefined;
  /** Stops what was started for it (the shared Redis stays). */
  dispose(): Promise<void>;
}

/** Starts (or names) a deployment of `kind`; a cluster takes a few seconds: start it in `beforeAll`. */
export async function startRedisDeployment(kind: RedisDeploymentKind): Promise<RedisDeployment> {
  if (kind === 'redis') return { kind, env: { REDIS_URL: testRedisUrl(), REDIS_CLUSTER_NODES: undefined }, cluster: undefined, dispose: async () => {} };
  const cluster = await spawnRedisCluster(3);
  return { kind, env: { REDIS_CLUSTER_NODES: cluster.nodes.join(','), REDIS_URL: undefined }, cluster, dispose: () => cluster.dispose() };
}

/** A Redis of a test's own that the test stops and starts: one redis-server, or one master of a 3-master cluster. */
export interface StoppableRedis {
  readonly kind: RedisDeploymentKind;
  /** The settings that point an in-process Pulse (`startTestPulse`'s `env`) at it. */
  readonly env: Record<string, string>;
  /** Stops the Redis, or the cluster's second master (whose slots then go unserved). */
  stop(): Promise<void>;
  /** Starts it again with its data; for the cluster, resolves once it is ok again. */
  start(): Promise<void>;
  /**
   * A user id starting with `prefix` whose data {@link StoppableRedis.stop}
   * makes unreachable: on a cluster, one whose partition (of the default
   * 18) lives on the master that stops, so that its writes are refused
   * while that master is away.
   */
  userOnStopped(prefix: string): Promise<string>;
  dispose(): Promise<void>;
}

/**
 * Starts a {@link StoppableRedis}. One redis-server is persistent (fsync
 * always), so what it acknowledged survives a stop; a cluster's masters keep
 * an append-only file, which a SIGTERM flushes.
 */
export async function startStoppableRedis(kind: RedisDeploymentKind): Promise<StoppableRedis> {
  if (kind === 'redis') {
    const redis = await spawnRedis({ persistent: true });
    return { kind, env: { REDIS_URL: redis.url }, stop: () => redis.stop(), start: () => redis.restart(), userOnStopped: async (prefix) => prefix, dispose: () => redis.dispose() };
  }
  const cluster = await spawnRedisCluster(3);
  return {
    kind,
    env: { REDIS_CLUSTER_NODES: cluster.nodes.join(',') },
    stop: () => cluster.stopNode(1),
    start: () => cluster.startNode(1),
    userOnStopped: (prefix) => userOnMaster(cluster.ports, 1, prefix),
    dispose: () => cluster.dispose(),
  };
}

/** The first `<prefix>-<n>` whose partition (of the default ones) lives on the master at `index`. */
async function userOnMaster(ports: readonly number[], index: number, prefix: string): Promise<string> {
  const node = new Redis({ port: ports[0] as number, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  try {
    const tags = partitionTags(DEFAULT_PARTITIONS);
    for (let n = 0; n < 10_000; n++) {
      const user = `${prefix}-${n}`;
      const slot = calculateSlot(tags[partitionOfUser(user, DEFAULT_PARTITIONS)] as string);
      if ((await slotOwnerPort(node, slot)) === ports[index]) return user;
    }
    throw new Error(`no user of ${prefix} lives on master ${index}`);
  } finally {
    node.disconnect();
  }
}
