import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../../observability/logger.js';
import type { RedisKeys } from '../../redis/keys.js';
import type { ReservationRegistry } from './reservations.js';
import { createMemoryReservations } from './reservations-memory.js';
import { createRedisReservations } from './reservations-redis.js';
import type { StreamRouter } from './routing.js';
import { createLocalRouter } from './routing.js';
import type { RouterPubSub } from './routing-pubsub.js';
import { createRedisRouter } from './routing-redis.js';

/** What single connection mode keeps outside a request: its reservations and the way to reach another process's stream. */
export interface SingleConnectionBackend {
  readonly reservations: ReservationRegistry;
  readonly router: StreamRouter;
  /** Stops the router and the registry (not the connections they were given). */
  close(): Promise<void>;
}

/** The settings it reads. */
export interface SingleConnectionSettings {
  /** `SSE_RESERVATION_TTL_MS`. */
  readonly ttlMs: number;
  /** `MAX_SSE_RESERVATIONS_PER_ADMIN`. */
  readonly maxPerOwner: number;
  /** `MAX_SSE_STREAMS_PER_ADMIN`. */
  readonly maxStreamsPerOwner: number;
  /** How long a crashed process's streams stay on record in Redis (`LEASE_TTL_MS`, the same promise as its leases). */
  readonly streamTtlMs: number;
}

/** Memory mode: one process holds every reservation and stream. */
export function createMemorySingleConnection({ ttlMs, maxPerOwner, maxStreamsPerOwner }: SingleConnectionSettings): SingleConnectionBackend {
  const reservations = createMemoryReservations({ ttlMs, maxPerOwner, maxStreamsPerOwner });
  const router = createLocalRouter();
  return { reservations, router, close: () => Promise.all([router.close(), reservations.close()]).then(() => undefined) };
}

/** The connections and keys Redis mode runs on, all opened and owned by the composition root. */
export interface SingleConnectionRedis {
  /** The shared command connection (one Redis or a Cluster client): the reservations' scripts. */
  readonly commands: Redis | Cluster;
  /**
   * The router's pub/sub: `classicRouterPubSub` on one Redis (PUBLISH on the
   * command connection, a subscriber of its own), sharded on a Cluster.
   */
  readonly pubsub: RouterPubSub;
  /** `REDIS_PREFIX`, for the router's channels. */
  readonly prefix: string;
  readonly keys: RedisKeys;
}

/**
 * Redis mode: reservations in Redis through `commands`, and a router on
 * `pubsub`. No connection is quit here: the caller opened them.
 * @throws when the router's subscription cannot be made
 */
export async function createRedisSingleConnection(
  { commands, pubsub, prefix, keys }: SingleConnectionRedis,
  settings: SingleConnectionSettings,
  logger: Logger,
): Promise<SingleConnectionBackend> {
  const router = await createRedisRouter({
    pubsub,
    prefix,
    onError: (err) => logger.warn({ err }, 'could not answer a forwarded single-connection request'),
    onMalformed: (err) => logger.warn({ err }, 'dropped a malformed single-connection routing message'),
  });
  const reservations = createRedisReservations({
    redis: commands,
    keys,
    ttlMs: settings.ttlMs,
    maxPerOwner: settings.maxPerOwner,
    maxStreamsPerOwner: settings.maxStreamsPerOwner,
    streamTtlMs: settings.streamTtlMs,
    onError: (err) => logger.warn({ err }, 'renewing or releasing a single-connection stream record failed'),
  });
  return {
    reservations,
    router,
    close: async () => {
      await router.close();
      await reservations.close();
    },
  };
}
