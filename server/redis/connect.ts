import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/**
 * Opens an ioredis client and resolves once it is ready.
 *
 * Commands fail after one retry instead of queueing forever while Redis is
 * away, so a mutation answers `SERVICE_UNAVAILABLE` quickly rather than
 * hanging; the client keeps reconnecting by itself in the background.
 */
export async function connectRedis(url: string, name: string, overrides: RedisOptions = {}): Promise<Redis> {
  const client = new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
    commandTimeout: 5_000,
    retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2_000),
    lazyConnect: true,
    ...overrides,
  });
  // Errors surface on the commands that fail; without a listener ioredis would print every reconnect attempt.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new Error(`cannot connect to Redis at ${redactUrl(url)}: ${(error as Error).message}`);
  }
  return client;
}

/** One seed master of a Redis Cluster (`REDIS_CLUSTER_NODES`). */
export interface ClusterNode {
  readonly host: string;
  readonly port: number;
}

/**
 * How often a Cluster client reloads its slot map. The sharded change feed
 * needs a reload to notice a slot whose master died without a word (see
 * bus/redis-sharded.ts); it is also how every client learns of a failover
 * or a resharding it has not run into yet. One `CLUSTER SLOTS` per client
 * per period is cheap.
 */
export const SLOTS_REFRESH_INTERVAL_MS = 2_000;

/**
 * Opens an ioredis `Cluster` client and resolves once it is ready (it has
 * a slot map and reaches the masters). It fails fast as {@link connectRedis}
 * does: one retry per command, 5 s timeouts, and commands refused rather
 * than queued while the cluster is away, so that a mutation answers
 * `SERVICE_UNAVAILABLE` instead of hanging. `slotsRefreshInterval` is set.
 * @param nodes - seed masters; the rest of the cluster is discovered from them
 * @param name - the connection name every node sees (`CLIENT LIST`)
 * @param overrides - Cluster options that win over these, e.g. `{ redisOptions: { password } }`
 * @throws Error naming the seed nodes (never a password) when the cluster cannot be reached or is not ready within the timeout
 */
export async function connectRedisCluster(nodes: readonly ClusterNode[], name: string, overrides: ClusterOptions = {}): Promise<Cluster> {
  const { redisOptions, ...clusterOverrides } = overrides;
  const client = new Cluster(
    nodes.map(({ host, port }) => ({ host, port })),
    {
      slotsRefreshInterval: SLOTS_REFRESH_INTERVAL_MS,
      slotsRefreshTimeout: 2_000,
      clusterRetryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2_000),
      maxRedirections: 8,
      lazyConnect: true,
      // Fail fast instead of waiting for a cluster that is away, as one Redis's client does after its retry.
      enableOfflineQueue: false,
      ...clusterOverrides,
      redisOptions: { connectionName: name, maxRetriesPerRequest: 1, connectTimeout: 5_000, commandTimeout: 5_000, ...redisOptions },
    },
  );
  // As for one Redis: failures surface on the commands; without a listener ioredis prints every node's reconnects.
  client.on('error', () => {});
  try {
    // Cluster.connect resolves on `ready`; while seed nodes refuse, it retries without ever rejecting.
    await withTimeout(client.connect(), 10_000, 'no slot map from the seed nodes within 10 s');
  } catch (error) {
    client.disconnect();
    const cause = await whyNodeRefuses(nodes[0], client.options.redisOptions ?? {});
    throw new Error(`cannot connect to Redis Cluster at ${nodes.map(nodeName).join(',')}: ${(error as Error).message}${cause === undefined ? '' : ` (${cause})`}`);
  }
  return client;
}

/**
 * Why one seed node refuses a connection, asked of it alone: a Cluster
 * reports only "None of startup nodes is available" or "Connection is
 * closed.", while the cause an operator needs (WRONGPASS, an untrusted
 * certificate, a refused port) is the error of a node's own connection.
 * Undefined when the node takes this connection (the trouble is elsewhere).
 */
async function whyNodeRefuses(node: ClusterNode | undefined, redisOptions: RedisOptions): Promise<string | undefined> {
  if (node === undefined) return undefined;
  const probe = new Redis({ ...redisOptions, host: node.host, port: node.port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  // The socket's own error comes as an event; the rejection of connect() says only that the connection closed.
  let failure: string | undefined;
  probe.on('error', (error: Error) => (failure ??= error.message));
  try {
    await probe.connect();
    return failure;
  } catch (error) {
    return failure ?? (error as Error).message;
  } finally {
    probe.disconnect();
  }
}

/** `host:port`, with brackets around an IPv6 host (config's `formatRedisNode`; this part imports no config). */
function nodeName({ host, port }: ClusterNode): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Rejects with `message` when `promise` has not settled within `ms`: a Cluster retries its first connection forever. */
async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<invalid url>';
  }
}

/**
 * Opens a subscriber connection to one master of a Redis Cluster (`node`
 * as `host:port`), with the Cluster's `redisOptions` (credentials, TLS),
 * for a sharded change feed that manages its connections itself: it never
 * reconnects and never resubscribes by itself, and it connects at once,
 * queueing commands until it is ready. The caller listens for `error`
 * before anything can arrive (see bus/shard-connection.ts).
 */
export function openClusterNodeSubscriber(node: string, redisOptions: RedisOptions): Redis {
  const separator = node.lastIndexOf(':');
  return new Redis({
    ...redisOptions,
    host: node.slice(0, separator),
    port: Number(node.slice(separator + 1)),
    lazyConnect: false,
    enableReadyCheck: false,
    enableOfflineQueue: true,
    autoResubscribe: false,
    retryStrategy: () => null,
  });
}
