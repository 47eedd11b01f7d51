import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, startRedisProcess, stopRedisProcess, type RedisProcess } from './redis-server.js';
import { waitUntil } from './wait.js';

/** A Redis Cluster of real `redis-server` nodes owned by a test run. */
export interface SpawnedCluster {
  /** `host:port` of every master, as `REDIS_CLUSTER_NODES` takes them. */
  readonly nodes: readonly string[];
  readonly ports: readonly number[];
  /** Stops one master (SIGTERM) and starts it again on the same port with its data; resolves when the cluster is ok again. */
  restartNode(index: number): Promise<void>;
  /** Stops every node and removes their folders. */
  dispose(): Promise<void>;
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
export async function spawnRedisCluster(masters = 3): Promise<SpawnedCluster> {
  const ports = await Promise.all(Array.from({ length: masters }, () => freePort()));
  const dirs = await Promise.all(ports.map(() => mkdtemp(join(tmpdir(), 'pulse-cluster-'))));
  const start = (index: number): Promise<RedisProcess> => startRedisProcess(ports[index] as number, clusterArgs(dirs[index] as string));
  const processes = await Promise.all(ports.map((_, index) => start(index)));
  const nodes = ports.map((port) => `127.0.0.1:${port}`);
  await createCluster(nodes);
  await waitForClusterOk(ports);
  return {
    nodes,
    ports,
    restartNode: async (index) => {
      await stopRedisProcess(processes[index] as RedisProcess);
      processes[index] = await start(index);
      await waitForClusterOk(ports);
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

async function createCluster(nodes: readonly string[]): Promise<void> {
  try {
    await promisify(execFile)('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes']);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(HOW_TO_INSTALL);
    throw error;
  }
}

/** Every node agrees that all 16384 slots are served: the cluster takes commands. */
async function waitForClusterOk(ports: readonly number[]): Promise<void> {
  const clients = ports.map((port) => new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1 }));
  try {
    await waitUntil(
      async () => {
        const infos = await Promise.all(clients.map((client) => client.cluster('INFO').catch(() => '')));
        return infos.every((info) => /cluster_state:ok/.test(info));
      },
      20_000,
      { intervalMs: 50, what: 'the Redis Cluster to report cluster_state:ok' },
    );
  } finally {
    clients.forEach((client) => client.disconnect());
  }
}
