import { checkHost, checkNonEmpty, checkRedisPrefix, checkRedisUrl, checkSecret, redactUrlCredentials } from './checks.js';
import { parseRedisNodes, type RedisNode } from './redis-nodes.js';
import { HIDDEN, integer, MAX_TIMER_MS, oneOf, setting, text, yesNo, type Parsed } from './setting.js';

/** Far above any core count, low enough that a typo (an extra zero or two) is caught rather than forking thousands of processes. */
export const MAX_WORKERS = 1024;

/** What `IP_MODE` may keep of a recorded `ipAddress` (see `server/privacy/address-masking.ts` for each). */
export const IP_MODES = ['full', 'truncate', 'hash', 'drop'] as const;

/** One of {@link IP_MODES}. */
export type IpMode = (typeof IP_MODES)[number];

/**
 * `REDIS_PARTITIONS`'s default on a cluster and its most: the same numbers
 * as `DEFAULT_PARTITIONS` and `MAX_PARTITIONS` of server/redis/partitions.ts
 * (which explains them), repeated because config imports nothing; a unit
 * test keeps them equal.
 */
export const PARTITIONS = { clusterDefault: 18, max: 256 } as const;

/** Either Redis setting given at all: whether a value is valid is its own problem line. */
export const REDIS_SETTINGS = ['REDIS_URL', 'REDIS_CLUSTER_NODES'] as const;

/** How Pulse reaches the nodes of a cluster: meaningless without `REDIS_CLUSTER_NODES`. */
export const CLUSTER_ACCESS_SETTINGS = ['REDIS_CLUSTER_USERNAME', 'REDIS_CLUSTER_PASSWORD', 'REDIS_CLUSTER_TLS'] as const;

function redisNodes(raw: string): Parsed<readonly RedisNode[]> {
  const parsed = parseRedisNodes(raw);
  return 'nodes' in parsed ? { ok: true, value: parsed.nodes } : { ok: false, expected: parsed.expected };
}

/**
 * Sweeping four times per idle timeout keeps the overshoot small without
 * sweeping a long timeout needlessly often; four times per history age
 * keeps the history trimmed (one sweep early) without emptying it.
 */
function defaultSweepInterval(idleTimeoutMs: number, historyMaxAgeMs: number): number {
  return Math.round(Math.min(5000, idleTimeoutMs / 4, historyMaxAgeMs / 4));
}

/**
 * Where Pulse listens, what it stores in, who may call it, and how sessions
 * and subscriptions live: the first half of the settings table, in the
 * order of the start-up summary and the README.
 */
export const CORE_SETTINGS = {
  port: setting({
    env: 'PORT',
    flag: 'value',
    parse: integer({ min: 0, max: 65_535 }),
    fallback: 4000,
    defaultDoc: '`4000`',
    doc: 'HTTP port (`0`: any free port).',
    summary: null,
  }),
  host: setting({
    env: 'HOST',
    flag: 'value',
    parse: text(checkHost),
    fallback: '127.0.0.1',
    defaultDoc: '`127.0.0.1`',
    doc: 'Interface to listen on. Loopback by default, so that a dev instance is never exposed by accident; without `JWT_SECRET`, any other address refuses to start (see [Security](#security)).',
  }),
  redisUrl: setting<string | undefined>({
    env: 'REDIS_URL',
    flag: 'value',
    parse: text(checkRedisUrl),
    fallback: undefined,
    show: redactUrlCredentials,
    defaultDoc: '(memory)',
    doc: '`redis://` or `rediss://` URL; switches store, bus and leases to Redis. Not with `REDIS_CLUSTER_NODES`.',
  }),
  redisClusterNodes: setting<readonly RedisNode[] | undefined>({
    env: 'REDIS_CLUSTER_NODES',
    flag: 'value',
    parse: redisNodes,
    fallback: undefined,
    defaultDoc: '(none)',
    doc: 'Comma-separated `host:port` seed masters of a Redis Cluster (IPv6 as `[::1]:7000`); runs every engine on the cluster, the state split into `REDIS_PARTITIONS` partitions and the change feed on sharded pub/sub. Not with `REDIS_URL`.',
    summary: null,
  }),
  redisClusterUsername: setting<string | undefined>({
    env: 'REDIS_CLUSTER_USERNAME',
    flag: 'value',
    parse: text(checkNonEmpty),
    fallback: undefined,
    defaultDoc: '(`default`)',
    doc: 'The ACL user Pulse signs in as on every node of the cluster. Needs `REDIS_CLUSTER_PASSWORD`.',
    summary: null,
  }),
  redisClusterPassword: setting<string | undefined>({
    env: 'REDIS_CLUSTER_PASSWORD',
    flag: 'secret',
    parse: text(checkNonEmpty),
    fallback: undefined,
    show: HIDDEN,
    defaultDoc: '(none)',
    doc: "The password of every node of the cluster (`requirepass`, or the ACL user's). Environment only, never a flag. Needs `REDIS_CLUSTER_NODES`; one Redis takes its credentials in `REDIS_URL`.",
    summary: null,
  }),
  redisClusterTls: setting({
    env: 'REDIS_CLUSTER_TLS',
    flag: 'switch',
    parse: yesNo,
    fallback: false,
    defaultDoc: '`false`',
    doc: "TLS to every node of the cluster (their `tls-port`, announced with `tls-cluster yes`), each node's certificate checked against Node's CAs (a private CA through `NODE_EXTRA_CA_CERTS`). Needs `REDIS_CLUSTER_NODES`; one Redis takes `rediss://` in `REDIS_URL`.",
    summary: null,
  }),
  redisPartitions: setting({
    env: 'REDIS_PARTITIONS',
    flag: 'value',
    parse: integer({ min: 1, max: PARTITIONS.max }),
    // A cluster spreads partitions over its masters; one Redis gains nothing from several unless asked.
    fallback: ({ isSet }) => (isSet('REDIS_CLUSTER_NODES') ? PARTITIONS.clusterDefault : 1),
    defaultDoc: `\`${PARTITIONS.clusterDefault}\` with \`REDIS_CLUSTER_NODES\`, else \`1\``,
    doc: `Partitions of the state, 1 to ${PARTITIONS.max}: each has its own hash tag, Lua scripts and change channel, so writes spread over a cluster's masters (users map to partitions by id); the default puts the same number on each master of a 3-, 6- or 9-master cluster. Above 1 on one Redis, every partition lives on that node. Needs \`REDIS_URL\` or \`REDIS_CLUSTER_NODES\`.`,
    summary: null,
  }),
  redisPrefix: setting({
    env: 'REDIS_PREFIX',
    flag: 'value',
    parse: text(checkRedisPrefix),
    fallback: 'pulse:',
    defaultDoc: '`pulse:`',
    doc: 'Prefix of every key and channel, so deployments can share a Redis.',
    summary: null,
  }),
  workers: setting({
    env: 'WORKERS',
    flag: 'value',
    parse: integer({ min: 1, max: MAX_WORKERS }),
    // Whether Redis is *given* decides, not whether it is valid: a mistyped URL is its own problem line.
    fallback: ({ isSet, cores }) => (REDIS_SETTINGS.some(isSet) ? Math.min(MAX_WORKERS, Math.max(1, cores)) : 1),
    defaultDoc: 'one per core with `REDIS_URL` or `REDIS_CLUSTER_NODES`, else `1`',
    doc: 'Serving processes, 1 to 1024: above 1, a primary forks them with `node:cluster` on one port (see [Several cores](#several-cores)); above 1 needs `REDIS_URL` or `REDIS_CLUSTER_NODES`.',
  }),
  jwtSecret: setting<string | undefined>({
    env: 'JWT_SECRET',
    flag: 'secret',
    parse: text(checkSecret),
    fallback: undefined,
    show: HIDDEN,
    defaultDoc: '(random, dev)',
    doc: 'HS256 secret, at least 32 bytes. Without it, Pulse runs in dev mode (dev tokens printed at start), which only a loopback `HOST` outside `NODE_ENV=production` allows. Environment only, never a flag.',
    summary: (secret) => `auth=HS256/${secret === undefined ? 'dev-generated-secret' : 'JWT_SECRET'}`,
  }),
  jwtIssuer: setting<string | undefined>({
    env: 'JWT_ISSUER',
    flag: 'value',
    parse: text(checkNonEmpty),
    fallback: undefined,
    defaultDoc: '(unchecked)',
    doc: 'When set, tokens must carry this `iss`.',
    summary: (issuer) => (issuer === undefined ? null : `iss=${issuer}`),
  }),
  jwtAudience: setting<string | undefined>({
    env: 'JWT_AUDIENCE',
    flag: 'value',
    parse: text(checkNonEmpty),
    fallback: undefined,
    defaultDoc: '(unchecked)',
    doc: 'When set, tokens must carry this `aud`.',
    summary: (audience) => (audience === undefined ? null : `aud=${audience}`),
  }),
  idleTimeoutMs: setting({
    env: 'IDLE_TIMEOUT_MS',
    flag: 'value',
    parse: integer({ min: 1000, max: MAX_TIMER_MS, unit: 'ms' }),
    fallback: 300_000,
    defaultDoc: '`300000`',
    doc: 'A session with no activity for this long ends (reason `IDLE_TIMEOUT`).',
  }),
  historySize: setting({
    env: 'HISTORY_SIZE',
    flag: 'value',
    parse: integer({ min: 100, max: 1_000_000 }),
    fallback: 10_000,
    defaultDoc: '`10000`',
    doc: 'Most recent changes kept for resuming subscriptions (`activityChanged(since:)`), 100 to 1000000.',
  }),
  historyMaxAgeMs: setting({
    env: 'HISTORY_MAX_AGE_MS',
    flag: 'value',
    parse: integer({ min: 1000, max: 86_400_000, unit: 'ms' }),
    fallback: 600_000,
    defaultDoc: '`600000`',
    doc: 'How long a change stays resumable, 1000 to 86400000; also the longest anything personal of an ended session is kept (see [Personal data](#personal-data)). Trimmed by every sweep, one `SWEEP_INTERVAL_MS` early.',
  }),
  ipMode: setting({
    env: 'IP_MODE',
    flag: 'value',
    parse: oneOf(IP_MODES),
    fallback: 'full' as IpMode,
    defaultDoc: '`full`',
    doc: "What is kept of an event's `ipAddress`, decided before anything is stored, published or logged: `full` the address as given; `truncate` its network, IPv4 to the /24 and IPv6 to the /48 (`203.0.113.0`, `2001:db8:85a3::`); `hash` a 16-hex-character HMAC-SHA-256 pseudonym under a random salt that rotates daily (UTC) and is deleted 48 h after its day, shared by every process through Redis; `drop` nothing (`ipAddress` is null). See [Personal data](#personal-data).",
  }),
  sweepIntervalMs: setting({
    env: 'SWEEP_INTERVAL_MS',
    flag: 'value',
    parse: integer({ min: 50, max: MAX_TIMER_MS, unit: 'ms' }),
    fallback: ({ valueOf }) => defaultSweepInterval(valueOf('idleTimeoutMs') as number, valueOf('historyMaxAgeMs') as number),
    defaultDoc: '`min(5000, idle/4, history age/4)`',
    doc: 'How often each process looks for idle sessions and trims the history by age; a session may outlive the idle timeout by up to this much. At most half of `HISTORY_MAX_AGE_MS`.',
  }),
  statsIntervalMs: setting({
    env: 'STATS_INTERVAL_MS',
    flag: 'value',
    parse: integer({ min: 50, max: MAX_TIMER_MS, unit: 'ms' }),
    fallback: 1000,
    defaultDoc: '`1000`',
    doc: 'Least time between two `StatsChanged` events to one subscriber.',
  }),
  maxSubscriptionsPerAdmin: setting({
    env: 'MAX_SUBSCRIPTIONS_PER_ADMIN',
    flag: 'value',
    parse: integer({ min: 1 }),
    fallback: 2,
    defaultDoc: '`2`',
    doc: 'Concurrent `activityChanged` subscriptions per admin, across all processes.',
  }),
  leaseTtlMs: setting({
    env: 'LEASE_TTL_MS',
    flag: 'value',
    parse: integer({ min: 1000, max: 30_000, unit: 'ms' }),
    fallback: 15_000,
    defaultDoc: '`15000`',
    doc: "Life of a process's lease heartbeat in Redis (renewed every third of it, one call per process); a crashed process's subscription slots free within it, and so do its single-connection streams' records.",
  }),
  maxBatchSize: setting({
    env: 'MAX_BATCH_SIZE',
    flag: 'value',
    parse: integer({ min: 1, max: 10_000 }),
    fallback: 500,
    defaultDoc: '`500`',
    doc: 'Most events in one `recordActivities`.',
  }),
  clockSkewMs: setting({
    env: 'CLOCK_SKEW_MS',
    flag: 'value',
    parse: integer({ min: 0, unit: 'ms' }),
    fallback: 5000,
    defaultDoc: '`5000`',
    doc: "How far in the future an event's `at` may lie; also the leeway for a token's `exp` and `nbf`.",
  }),
  subscriberBufferSize: setting({
    env: 'SUBSCRIBER_BUFFER',
    flag: 'value',
    parse: integer({ min: 10 }),
    fallback: 1000,
    defaultDoc: '`1000`',
    doc: 'Events queued for one subscriber before its connection is dropped as too slow.',
  }),
} as const;
