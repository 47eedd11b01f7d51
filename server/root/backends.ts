import type { Logger } from 'pino';
import { createMemoryFeed } from '../bus/memory.js';
import { createRedisFeed } from '../bus/redis.js';
import type { ChangeFeed } from '../bus/types.js';
import type { Config } from '../config/index.js';
import { systemClock, type Clock } from '../core/clock.js';
import { createMemoryLeases } from '../leases/memory.js';
import { createRedisLeases } from '../leases/redis.js';
import type { LeaseManager } from '../leases/types.js';
import { createMemorySaltStore } from '../privacy/salts/memory.js';
import { createRedisSaltStore } from '../privacy/salts/redis.js';
import { dateOf, type SaltStore } from '../privacy/salts/types.js';
import { connectRedis } from '../redis/connect.js';
import { redisKeys } from '../redis/keys.js';
import { createMemoryStore } from '../store/memory.js';
import { createRedisStore } from '../store/redis.js';
import { DEFAULT_HISTORY, type ActivityStore, type HistoryOptions } from '../store/types.js';
import { createMemorySingleConnection, createRedisSingleConnection, type SingleConnectionBackend, type SingleConnectionSettings } from '../transports/sse-single/backend.js';

/** The engines, all in memory or all on Redis. */
export interface Backends {
  readonly store: ActivityStore;
  /** Subscribe-only: the store is the one publisher of changes. */
  readonly bus: ChangeFeed;
  readonly leases: LeaseManager;
  /** graphql-sse single connection reservations and the router to other processes' streams. */
  readonly singleConnection: SingleConnectionBackend;
  /** The daily salts of `IP_MODE=hash`, shared by every process on Redis. */
  readonly salts: SaltStore;
  /** `memory` or `redis`, for logs. */
  readonly kind: 'memory' | 'redis';
  /** True when every backend answers now. */
  isReady(): Promise<boolean>;
  /** Releases leases, listeners and connections. */
  close(): Promise<void>;
}

/**
 * What the engines report for metrics; kept to plain callbacks so that the
 * engines know nothing of the metrics library.
 */
export interface BackendObserver {
  /** A store write of this process published `count` changes. */
  onPublished(count: number): void;
  /** Redis failed where no request is waiting to hear it: renewing or releasing leases, the bus connection. */
  onRedisError(operation: 'lease_renewal' | 'bus'): void;
  /**
   * The bus lost its connection: changes published from now until it is
   * back never reach this process. Called once per outage. @defaultValue ignore
   */
  onConnectionLost?(): void;
}

const UNOBSERVED: BackendObserver = { onPublished: () => {}, onRedisError: () => {} };

/** The settings the engines read; the history ones default to `HISTORY_SIZE` and `HISTORY_MAX_AGE_MS`'s defaults. */
export type BackendConfig = Pick<Config, 'redisUrl' | 'redisPrefix' | 'leaseTtlMs' | 'sseReservationTtlMs' | 'maxSseReservationsPerAdmin' | 'maxSseStreamsPerAdmin'> &
  Partial<Pick<Config, 'historySize' | 'historyMaxAgeMs'>>;

function historyOf({ historySize, historyMaxAgeMs }: BackendConfig): HistoryOptions {
  return { size: historySize ?? DEFAULT_HISTORY.size, maxAgeMs: historyMaxAgeMs ?? DEFAULT_HISTORY.maxAgeMs };
}

function singleConnectionOf(config: BackendConfig): SingleConnectionSettings {
  return {
    ttlMs: config.sseReservationTtlMs,
    maxPerOwner: config.maxSseReservationsPerAdmin,
    maxStreamsPerOwner: config.maxSseStreamsPerAdmin,
    streamTtlMs: config.leaseTtlMs,
  };
}

/**
 * Picks the engines: memory (one process, no setup) unless `REDIS_URL` is
 * set, in which case every part uses Redis so that processes act as one.
 * @param observer - receives counts for metrics @defaultValue none
 * @param clock - by which memory salts are deleted @defaultValue the system clock
 * @throws when Redis is configured but cannot be reached at start
 */
export async function createBackends(
  config: BackendConfig,
  logger: Logger,
  observer: BackendObserver = UNOBSERVED,
  clock: Clock = systemClock,
): Promise<Backends> {
  return config.redisUrl ? createRedisBackends(config.redisUrl, config, logger, observer) : createMemoryBackends(config, logger, observer, clock);
}

function createMemoryBackends(config: BackendConfig, logger: Logger, observer: BackendObserver, clock: Clock): Backends {
  // Made together: the store is the only one given the feed's way in.
  const { feed: bus, deliver } = createMemoryFeed({ onListenerError: (err) => logger.error({ err }, 'change listener failed') });
  const store = createMemoryStore({ deliver, onPublished: observer.onPublished, history: historyOf(config) });
  const leases = createMemoryLeases();
  const singleConnection = createMemorySingleConnection(singleConnectionOf(config));
  const salts = createMemorySaltStore(clock);
  return {
    store,
    bus,
    leases,
    singleConnection,
    salts,
    kind: 'memory',
    isReady: async () => true,
    close: async () => {
      salts.close();
      await singleConnection.close();
      await leases.close();
      await bus.close();
      await store.close();
    },
  };
}

async function createRedisBackends(
  url: string,
  config: BackendConfig,
  logger: Logger,
  observer: BackendObserver,
): Promise<Backends> {
  const keys = redisKeys(config.redisPrefix);
  const commands = await connectRedis(url, 'pulse-commands');
  const subscriber = await connectRedis(url, 'pulse-subscriber').catch((error: unknown) => {
    commands.disconnect();
    throw error;
  });
  // Single connection mode's router subscribes to a channel of this process's own: a connection of its own.
  const routerSubscriber = await connectRedis(url, 'pulse-stream-router').catch((error: unknown) => {
    commands.disconnect();
    subscriber.disconnect();
    throw error;
  });
  // Each failed (re)connection of the pub/sub connection is a window in which changes from other processes are lost.
  subscriber.on('error', () => observer.onRedisError('bus'));
  const redis = { commands, subscriber: routerSubscriber, prefix: config.redisPrefix, keys };
  const singleConnection = await createRedisSingleConnection(redis, singleConnectionOf(config), logger).catch((error: unknown) => {
    for (const client of [commands, subscriber, routerSubscriber]) client.disconnect();
    throw error;
  });
  // The store's scripts publish on `keys.changesChannel`; the feed only listens.
  const bus = createRedisFeed({
    subscriber,
    channel: keys.changesChannel,
    onListenerError: (err) => logger.error({ err }, 'change listener failed'),
    onMalformed: (err) => logger.warn({ err }, 'dropped a malformed change message'),
    onDisconnect: () => observer.onConnectionLost?.(),
  });
  const store = createRedisStore({ redis: commands, keys, onPublished: observer.onPublished, history: historyOf(config) });
  const leases = createRedisLeases({
    redis: commands,
    keys,
    ttlMs: config.leaseTtlMs,
    onError: (err) => {
      observer.onRedisError('lease_renewal');
      logger.warn({ err }, 'lease renewal or release failed');
    },
  });
  // On the command connection: a salt is one SET per process and day, then held in the process (see `CurrentSalt`).
  const salts = createRedisSaltStore({ redis: commands, keyOf: (day) => keys.ipSalt(dateOf(day)) });
  return {
    store,
    bus,
    leases,
    singleConnection,
    salts,
    kind: 'redis',
    isReady: async () => {
      if (commands.status !== 'ready' || subscriber.status !== 'ready') return false;
      return commands.ping().then(
        () => true,
        () => false,
      );
    },
    close: async () => {
      salts.close();
      await singleConnection.close();
      await leases.close();
      await bus.close();
      await store.close();
      await Promise.allSettled([commands.quit(), subscriber.quit(), routerSubscriber.quit().catch(() => routerSubscriber.disconnect())]);
    },
  };
}
