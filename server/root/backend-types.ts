import type { ChangeFeed } from '../bus/types.js';
import type { Config } from '../config/index.js';
import type { LeaseManager } from '../leases/types.js';
import type { SaltStore } from '../privacy/salts/types.js';
import { DEFAULT_HISTORY, type ActivityStore, type HistoryOptions } from '../store/types.js';
import type { SingleConnectionBackend, SingleConnectionSettings } from '../transports/sse-single/backend.js';

/** Where the engines run. */
export type BackendKind = 'memory' | 'redis' | 'redis-cluster';

/** The engines, all in memory, all on one Redis, or all on a Redis Cluster. */
export interface Backends {
  readonly store: ActivityStore;
  /** Subscribe-only: the store is the one publisher of changes. */
  readonly bus: ChangeFeed;
  readonly leases: LeaseManager;
  /** graphql-sse single connection reservations and the router to other processes' streams. */
  readonly singleConnection: SingleConnectionBackend;
  /** The daily salts of `IP_MODE=hash`, shared by every process on Redis. */
  readonly salts: SaltStore;
  /** Where they run, for logs. */
  readonly kind: BackendKind;
  /** True when every backend answers now (`/readyz`). */
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

/** An observer that ignores everything. */
export const UNOBSERVED: BackendObserver = { onPublished: () => {}, onRedisError: () => {} };

/**
 * The settings the engines read; the history ones default to `HISTORY_SIZE`
 * and `HISTORY_MAX_AGE_MS`'s defaults, the cluster ones to none and the
 * partitions to one.
 */
export type BackendConfig = Pick<Config, 'redisUrl' | 'redisPrefix' | 'leaseTtlMs' | 'sseReservationTtlMs' | 'maxSseReservationsPerAdmin' | 'maxSseStreamsPerAdmin'> &
  Partial<Pick<Config, 'historySize' | 'historyMaxAgeMs' | 'redisClusterNodes' | 'redisClusterUsername' | 'redisClusterPassword' | 'redisClusterTls' | 'redisPartitions'>>;

/** The store's history bounds from the config. */
export function historyOf({ historySize, historyMaxAgeMs }: BackendConfig): HistoryOptions {
  return { size: historySize ?? DEFAULT_HISTORY.size, maxAgeMs: historyMaxAgeMs ?? DEFAULT_HISTORY.maxAgeMs };
}

/** Single connection mode's settings from the config. */
export function singleConnectionOf(config: BackendConfig): SingleConnectionSettings {
  return {
    ttlMs: config.sseReservationTtlMs,
    maxPerOwner: config.maxSseReservationsPerAdmin,
    maxStreamsPerOwner: config.maxSseStreamsPerAdmin,
    streamTtlMs: config.leaseTtlMs,
  };
}
