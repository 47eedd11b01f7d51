import { isLoopbackHost } from './host.js';
import { redactUrlCredentials } from './checks.js';
import { formatRedisNode } from './redis-nodes.js';
import type { Setting } from './setting.js';
import { settingRows, type Config } from './settings.js';

/** `listen=` and `backend=` each join two settings, so they are written here rather than by a row. */
function joinedParts(config: Config): string[] {
  const listen = config.host.includes(':') ? `[${config.host}]:${config.port}` : `${config.host}:${config.port}`;
  return [`listen=${listen}`, `backend=${backendPart(config)}`];
}

/** Which Redis, its prefix and its partitions; the partition count only where it is not the plain one-Redis default. */
function backendPart(config: Config): string {
  const { redisUrl, redisClusterNodes, redisPrefix, redisPartitions } = config;
  if (redisClusterNodes !== undefined) return `redis-cluster ${redisClusterNodes.map(formatRedisNode).join(',')} prefix=${redisPrefix} partitions=${redisPartitions}${clusterAccessPart(config)}`;
  if (redisUrl === undefined) return 'memory';
  const partitions = redisPartitions === 1 ? '' : ` partitions=${redisPartitions}`;
  return `redis ${redactUrlCredentials(redisUrl)} prefix=${redisPrefix}${partitions}`;
}

/** Whether the cluster is reached over TLS and as whom: never the password, only that one is given. */
function clusterAccessPart({ redisClusterTls, redisClusterUsername, redisClusterPassword }: Config): string {
  const tls = redisClusterTls ? ' tls' : '';
  if (redisClusterPassword === undefined) return tls;
  return `${tls} auth=${redisClusterUsername ?? 'default'}:REDIS_CLUSTER_PASSWORD`;
}

/** Who may scrape `/metrics` depends on the host as well as on `METRICS_TOKEN` (see `metricsAccess`). */
function metricsPart(config: Config): string {
  if (config.metricsToken !== undefined) return 'metrics=METRICS_TOKEN';
  return `metrics=${isLoopbackHost(config.host) ? 'open' : 'hidden'}`;
}

const JOINED: ReadonlySet<string> = new Set([
  'host',
  'port',
  'redisUrl',
  'redisClusterNodes',
  'redisClusterUsername',
  'redisClusterPassword',
  'redisClusterTls',
  'redisPrefix',
  'redisPartitions',
]);

/**
 * One line describing a config for the start-up log, derived from the
 * settings table: every setting but the secrets (only whether each is set)
 * and with Redis credentials masked.
 */
export function describeConfig(config: Config): string {
  const parts = joinedParts(config);
  for (const [key, row] of settingRows()) {
    if (JOINED.has(key)) continue;
    const part = key === 'metricsToken' ? metricsPart(config) : summaryOf(key, row, config[key]);
    if (part !== null) parts.push(part);
  }
  return parts.join(' ');
}

function summaryOf(key: string, row: Setting<unknown>, value: unknown): string | null {
  if (row.summary === null) return null;
  if (row.summary !== undefined) return row.summary(value);
  return `${key}=${String(value)}`;
}
