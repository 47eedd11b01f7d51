import { Redis, type RedisOptions } from 'ioredis';

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
