import type { Logger } from 'pino';
import { systemClock, type Clock } from '../core/clock.js';
import { UNOBSERVED, type BackendConfig, type BackendObserver, type Backends } from './backend-types.js';
import { createClusterBackends } from './backends-cluster.js';
import { createMemoryBackends } from './backends-memory.js';
import { createRedisBackends } from './backends-redis.js';

export type { BackendConfig, BackendKind, BackendObserver, Backends } from './backend-types.js';

/**
 * Picks the engines: memory (one process, no setup) unless `REDIS_URL` or
 * `REDIS_CLUSTER_NODES` is set, in which case every part uses that Redis
 * or that cluster, so that processes act as one. The config refuses both
 * at once (`loadConfig`); should a hand-built one name both, the cluster wins.
 * @param observer - receives counts for metrics @defaultValue none
 * @param clock - by which memory salts are deleted @defaultValue the system clock
 * @throws when Redis is configured but cannot be reached at start
 */
export async function createBackends(config: BackendConfig, logger: Logger, observer: BackendObserver = UNOBSERVED, clock: Clock = systemClock): Promise<Backends> {
  if (config.redisClusterNodes !== undefined) return createClusterBackends(config.redisClusterNodes, config, logger, observer);
  if (config.redisUrl !== undefined) return createRedisBackends(config.redisUrl, config, logger, observer);
  return createMemoryBackends(config, logger, observer, clock);
}
