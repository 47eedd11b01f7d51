import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';

/** Log levels pino knows, plus `silent` to turn logging off. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Every setting of a Pulse process, validated. Built only by
 * {@link loadConfig}; each field names the environment variable it comes
 * from (and the flag, its kebab-case: `IDLE_TIMEOUT_MS` → `--idle-timeout-ms`).
 */
export interface Config {
  /**
   * TCP port to listen on (`PORT`); 0 lets the OS pick a free one.
   * @defaultValue 4000
   */
  readonly port: number;
  /**
   * Interface to listen on (`HOST`). Loopback by default so that a dev
   * instance with its generated secret is never exposed by accident.
   * @defaultValue '127.0.0.1'
   */
  readonly host: string;
  /**
   * `redis://` or `rediss://` URL (`REDIS_URL`). When set, the store, the bus
   * and the subscription leases all use Redis; when absent, everything runs
   * in this process's memory.
   * @defaultValue undefined (memory mode)
   */
  readonly redisUrl: string | undefined;
  /**
   * Prefix of every Redis key and channel (`REDIS_PREFIX`), so that several
   * deployments can share one Redis.
   * @defaultValue 'pulse:'
   */
  readonly redisPrefix: string;
  /**
   * Serving processes (`WORKERS`), 1 to 1024. Above 1, a primary process
   * forks that many workers with `node:cluster`; they share one port and act
   * as one gateway through Redis. 1 is a single process, no primary. Above 1
   * needs `REDIS_URL`: memory mode keeps its state in one process.
   * @defaultValue one per core (`os.availableParallelism()`) with `REDIS_URL`, else 1
   */
  readonly workers: number;
  /**
   * HS256 secret for verifying (and minting) JWTs (`JWT_SECRET`), at least
   * 32 bytes. Absent means dev mode: `main` generates a random secret at
   * start and prints tokens for it. Never log it; {@link describeConfig}
   * leaves it out.
   * @defaultValue undefined (dev mode)
   */
  readonly jwtSecret: string | undefined;
  /**
   * Required `iss` claim (`JWT_ISSUER`); unchecked when absent.
   * @defaultValue undefined
   */
  readonly jwtIssuer: string | undefined;
  /**
   * Required `aud` claim (`JWT_AUDIENCE`); unchecked when absent.
   * @defaultValue undefined
   */
  readonly jwtAudience: string | undefined;
  /**
   * A session with no activity for this long ends (`IDLE_TIMEOUT_MS`), at least 1000.
   * @defaultValue 300000
   */
  readonly idleTimeoutMs: number;
  /**
   * Concurrent `activityChanged` subscriptions one admin may hold across all
   * processes (`MAX_SUBSCRIPTIONS_PER_ADMIN`), at least 1.
   * @defaultValue 2
   */
  readonly maxSubscriptionsPerAdmin: number;
  /**
   * Minimum time between two stats events to one subscriber
   * (`STATS_INTERVAL_MS`), at least 50; changes within it are coalesced.
   * @defaultValue 1000
   */
  readonly statsIntervalMs: number;
  /**
   * How often the sweeper looks for idle sessions (`SWEEP_INTERVAL_MS`), at
   * least 50. A session may outlive the idle timeout by up to this much.
   * @defaultValue min(5000, idleTimeoutMs / 4), rounded
   */
  readonly sweepIntervalMs: number;
  /**
   * Lifetime of a subscription lease in Redis (`LEASE_TTL_MS`), 1000 to
   * 30000; holders renew it well before, and a crashed process's leases
   * lapse after it.
   * @defaultValue 15000
   */
  readonly leaseTtlMs: number;
  /**
   * Most recent changes kept for resuming subscriptions (`HISTORY_SIZE`),
   * 100 to 1000000: `activityChanged(since:)` replays from this history (a
   * Redis stream, or a ring in memory). A cursor further back gets a fresh
   * `Snapshot` (`CURSOR_TOO_OLD`).
   * @defaultValue 10000
   */
  readonly historySize: number;
  /**
   * How long a change stays in the resume history (`HISTORY_MAX_AGE_MS`),
   * 1000 to 86400000; a cursor whose next change is older gets a fresh
   * `Snapshot` (`CURSOR_TOO_OLD`).
   * @defaultValue 600000
   */
  readonly historyMaxAgeMs: number;
  /**
   * Most activity events accepted in one `recordActivity` call (`MAX_BATCH_SIZE`), 1 to 10000.
   * @defaultValue 500
   */
  readonly maxBatchSize: number;
  /**
   * How far in the future a client's timestamp may lie before it is
   * rejected (`CLOCK_SKEW_MS`), at least 0.
   * @defaultValue 5000
   */
  readonly clockSkewMs: number;
  /**
   * Events queued for one subscriber before it is disconnected as a slow
   * consumer (`SUBSCRIBER_BUFFER`), at least 10. Bounds the memory one
   * stalled client can hold.
   * @defaultValue 1000
   */
  readonly subscriberBufferSize: number;
  // Limits against slow and hostile clients, enforced by the plugins in server/transports/ (see request-limits.ts).
  /**
   * Longest GraphQL document accepted, in UTF-8 bytes of the query string
   * (`MAX_DOCUMENT_BYTES`), 64 to 1048576. Checked before parsing; longer
   * documents are refused with `BAD_USER_INPUT` on every transport.
   * @defaultValue 16384
   */
  readonly maxDocumentBytes: number;
  /**
   * Most lexical tokens in one document (`MAX_DOCUMENT_TOKENS`), 10 to
   * 100000: graphql's `maxTokens`, so the parser stops early instead of
   * building a huge AST. Refused with `BAD_USER_INPUT`.
   * @defaultValue 2000
   */
  readonly maxDocumentTokens: number;
  /**
   * Deepest nesting of fields in one operation, fragments expanded
   * (`MAX_QUERY_DEPTH`), 2 to 1000. A validation rule, refused with `BAD_USER_INPUT`.
   * @defaultValue 12
   */
  readonly maxQueryDepth: number;
  /**
   * Most fields in one operation after expanding fragments
   * (`MAX_QUERY_FIELDS`), 10 to 100000: a simple complexity bound. A
   * validation rule, refused with `BAD_USER_INPUT`.
   * @defaultValue 500
   */
  readonly maxQueryFields: number;
  /**
   * Largest HTTP request body (`MAX_REQUEST_BODY_BYTES`), 1024 to 104857600,
   * and the largest graphql-ws message. A larger `Content-Length` is refused
   * with 413 (`PAYLOAD_TOO_LARGE`) before the body is read; a chunked body is
   * cut off as soon as it passes the limit; a larger WebSocket message closes
   * the socket with 1009.
   * @defaultValue 1048576
   */
  readonly maxRequestBodyBytes: number;
  /**
   * How long a graphql-sse single-connection reservation (a `PUT` to
   * `/graphql/stream`) waits for its event stream to connect before it is
   * dropped with every operation attached to it (`SSE_RESERVATION_TTL_MS`),
   * 100 to 600000.
   * @defaultValue 30000
   */
  readonly sseReservationTtlMs: number;
  /**
   * Reservations one admin may hold that are not connected yet
   * (`MAX_SSE_RESERVATIONS_PER_ADMIN`), 1 to 1000; one more is refused with
   * 429 (`TOO_MANY_SUBSCRIPTIONS`).
   * @defaultValue 5
   */
  readonly maxSseReservationsPerAdmin: number;
  /**
   * Single-connection event streams (`GET /graphql/stream`) one token
   * subject may hold connected at once, across all processes
   * (`MAX_SSE_STREAMS_PER_ADMIN`), 1 to 1000; one more is refused with 429
   * (`TOO_MANY_SUBSCRIPTIONS`). Reservations bound what is pending; this
   * bounds what is connected.
   * @defaultValue 5
   */
  readonly maxSseStreamsPerAdmin: number;
  /**
   * Operations (queries, mutations and subscriptions) one connection may have
   * running at once (`MAX_OPERATIONS_PER_CONNECTION`), 1 to 10000: a
   * graphql-ws socket or a single-connection SSE stream. One more drops the
   * connection as a slow consumer (graphql-ws: close 1013; SSE: destroyed).
   * @defaultValue 100
   */
  readonly maxOperationsPerConnection: number;
  /**
   * Browser origins allowed to call Pulse across origins (`CORS_ORIGINS`): a
   * comma-separated list of exact origins such as
   * `https://dash.example.com,https://admin.example.com`. Any other origin
   * gets no `Access-Control-Allow-Origin`; an Origin is never reflected
   * unless it is listed. `/metrics` never answers CORS.
   * @defaultValue [] (same-origin only)
   */
  readonly corsOrigins: readonly string[];
  /**
   * Time between two keep-alive comments (`:`) on an idle event stream, in
   * both graphql-sse modes (`SSE_KEEPALIVE_MS`), 100 to 600000. They are
   * written locally: an idle subscriber costs no backend call.
   * @defaultValue 12000
   */
  readonly sseKeepAliveMs: number;
  /**
   * Estimated bytes of events queued for one subscriber before its
   * connection is dropped as a slow consumer (`SUBSCRIBER_BUFFER_BYTES`),
   * 1024 to 1073741824: each event counts the length of its JSON. The
   * transport's own socket buffers fill first; this bounds what Pulse holds
   * beyond them, so one stalled client cannot grow the process.
   * @defaultValue 1048576
   */
  readonly subscriberBufferBytes: number;
  /**
   * On SIGTERM or SIGINT, the longest Pulse takes to stop accepting, drop its
   * streams (clients reconnect elsewhere and resume), release its leases and
   * exit (`SHUTDOWN_GRACE_MS`), 100 to 600000; past it the process exits
   * with code 1 whatever is still pending.
   * @defaultValue 10000
   */
  readonly shutdownGraceMs: number;
  /**
   * Bearer token that `GET /metrics` requires (`METRICS_TOKEN`): at least 16
   * characters, none of them whitespace (it travels in an `Authorization`
   * header). Absent means `/metrics` is open, which suits a port reachable
   * only by the scraper; set it when the port is reachable from elsewhere.
   * Like `JWT_SECRET`, environment only, never logged, never echoed in a
   * problem line.
   * @defaultValue undefined (unauthenticated `/metrics`)
   */
  readonly metricsToken: string | undefined;
  /**
   * pino log level (`LOG_LEVEL`), one of {@link LOG_LEVELS}.
   * @defaultValue 'info'
   */
  readonly logLevel: LogLevel;
  /**
   * Feeds simulated users through the public ingest API once listening
   * (`DEMO=1`, or the bare flag `--demo`), so the dashboard moves at once on
   * a fresh clone. `DEMO` takes `1`/`true` or `0`/`false`; the flag may also
   * be written `--demo=false`. Never turn it on for a real deployment: the
   * simulated sessions mix with real ones.
   * @defaultValue false
   */
  readonly demo: boolean;
}

/**
 * Thrown by {@link loadConfig} with every problem found, one per line, so
 * that a misconfigured deployment is fixed in one round rather than one
 * variable per restart.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';

  /** @param problems - one line per bad setting or argument */
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

/**
 * Settings that may also be given as flags. The {@link SECRET_SETTINGS} are
 * deliberately absent: a command line is visible to every user of the
 * machine (`ps`).
 */
const FLAG_SETTINGS = [
  'PORT',
  'HOST',
  'REDIS_URL',
  'REDIS_PREFIX',
  'WORKERS',
  'JWT_ISSUER',
  'JWT_AUDIENCE',
  'IDLE_TIMEOUT_MS',
  'MAX_SUBSCRIPTIONS_PER_ADMIN',
  'STATS_INTERVAL_MS',
  'SWEEP_INTERVAL_MS',
  'LEASE_TTL_MS',
  'HISTORY_SIZE',
  'HISTORY_MAX_AGE_MS',
  'MAX_BATCH_SIZE',
  'CLOCK_SKEW_MS',
  'SUBSCRIBER_BUFFER',
  'MAX_DOCUMENT_BYTES',
  'MAX_DOCUMENT_TOKENS',
  'MAX_QUERY_DEPTH',
  'MAX_QUERY_FIELDS',
  'MAX_REQUEST_BODY_BYTES',
  'SSE_RESERVATION_TTL_MS',
  'MAX_SSE_RESERVATIONS_PER_ADMIN',
  'MAX_SSE_STREAMS_PER_ADMIN',
  'MAX_OPERATIONS_PER_CONNECTION',
  'CORS_ORIGINS',
  'SSE_KEEPALIVE_MS',
  'SUBSCRIBER_BUFFER_BYTES',
  'SHUTDOWN_GRACE_MS',
  'LOG_LEVEL',
  'DEMO',
] as const;

/** Settings whose flag is a switch: present means on, so it takes no separate value. */
const SWITCH_SETTINGS: ReadonlySet<SettingName> = new Set(['DEMO']);

/** Read from the environment only; their flags are refused with a pointer to the variable. */
const SECRET_SETTINGS = ['JWT_SECRET', 'METRICS_TOKEN'] as const;

type SettingName = (typeof FLAG_SETTINGS)[number] | (typeof SECRET_SETTINGS)[number];

/** Node clamps longer timer delays to 1 ms (with a warning), so a huge interval would spin. */
const MAX_TIMER_MS = 2_147_483_647;
const MIN_SECRET_BYTES = 32;
/** Long enough that guessing it over HTTP is hopeless, short enough for any random generator's output. */
const MIN_METRICS_TOKEN_LENGTH = 16;
/** Far above any core count, low enough that a typo (an extra zero or two) is caught rather than forking thousands of processes. */
const MAX_WORKERS = 1024;

/** `IDLE_TIMEOUT_MS` → `idle-timeout-ms`. */
function flagName(setting: string): string {
  return setting.toLowerCase().replaceAll('_', '-');
}

/**
 * Reads and validates every setting from the environment and the command
 * line; flags win over the environment. Pure: it reads nothing but its
 * arguments (and the machine's core count when `cores` is left out), so
 * tests pass their own.
 * @param env - usually `process.env`
 * @param argv - arguments after the script, e.g. `['--port', '4001']` or `['--port=4001']`
 * @param cores - the default of `WORKERS` with Redis @defaultValue os.availableParallelism()
 * @throws ConfigError listing every bad value, unknown flag and stray argument at once
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  argv: readonly string[] = process.argv.slice(2),
  cores: number = availableParallelism(),
): Config {
  const problems: string[] = [];
  const flags = parseFlags(argv, problems);
  const read = new SettingReader(env, flags, problems);
  const idleTimeoutMs = read.integer('IDLE_TIMEOUT_MS', 300_000, { min: 1000, max: MAX_TIMER_MS, unit: 'ms' });
  const config: Config = {
    port: read.integer('PORT', 4000, { min: 0, max: 65_535 }),
    host: read.string('HOST', '127.0.0.1', checkHost),
    redisUrl: read.optionalString('REDIS_URL', checkRedisUrl, redactUrlCredentials),
    redisPrefix: read.string('REDIS_PREFIX', 'pulse:', checkRedisPrefix),
    workers: readWorkers(read, cores),
    jwtSecret: read.secret('JWT_SECRET', checkSecret),
    jwtIssuer: read.optionalString('JWT_ISSUER', checkNonEmpty),
    jwtAudience: read.optionalString('JWT_AUDIENCE', checkNonEmpty),
    idleTimeoutMs,
    maxSubscriptionsPerAdmin: read.integer('MAX_SUBSCRIPTIONS_PER_ADMIN', 2, { min: 1 }),
    statsIntervalMs: read.integer('STATS_INTERVAL_MS', 1000, { min: 50, max: MAX_TIMER_MS, unit: 'ms' }),
    sweepIntervalMs: read.integer('SWEEP_INTERVAL_MS', defaultSweepInterval(idleTimeoutMs), { min: 50, max: MAX_TIMER_MS, unit: 'ms' }),
    leaseTtlMs: read.integer('LEASE_TTL_MS', 15_000, { min: 1000, max: 30_000, unit: 'ms' }),
    historySize: read.integer('HISTORY_SIZE', 10_000, { min: 100, max: 1_000_000 }),
    historyMaxAgeMs: read.integer('HISTORY_MAX_AGE_MS', 600_000, { min: 1000, max: 86_400_000, unit: 'ms' }),
    maxBatchSize: read.integer('MAX_BATCH_SIZE', 500, { min: 1, max: 10_000 }),
    clockSkewMs: read.integer('CLOCK_SKEW_MS', 5000, { min: 0, unit: 'ms' }),
    subscriberBufferSize: read.integer('SUBSCRIBER_BUFFER', 1000, { min: 10 }),
    maxDocumentBytes: read.integer('MAX_DOCUMENT_BYTES', 16_384, { min: 64, max: 1_048_576 }),
    maxDocumentTokens: read.integer('MAX_DOCUMENT_TOKENS', 2000, { min: 10, max: 100_000 }),
    maxQueryDepth: read.integer('MAX_QUERY_DEPTH', 12, { min: 2, max: 1000 }),
    maxQueryFields: read.integer('MAX_QUERY_FIELDS', 500, { min: 10, max: 100_000 }),
    maxRequestBodyBytes: read.integer('MAX_REQUEST_BODY_BYTES', 1_048_576, { min: 1024, max: 104_857_600 }),
    sseReservationTtlMs: read.integer('SSE_RESERVATION_TTL_MS', 30_000, { min: 100, max: 600_000, unit: 'ms' }),
    maxSseReservationsPerAdmin: read.integer('MAX_SSE_RESERVATIONS_PER_ADMIN', 5, { min: 1, max: 1000 }),
    maxSseStreamsPerAdmin: read.integer('MAX_SSE_STREAMS_PER_ADMIN', 5, { min: 1, max: 1000 }),
    maxOperationsPerConnection: read.integer('MAX_OPERATIONS_PER_CONNECTION', 100, { min: 1, max: 10_000 }),
    corsOrigins: parseOrigins(read.string('CORS_ORIGINS', '', checkOrigins)),
    sseKeepAliveMs: read.integer('SSE_KEEPALIVE_MS', 12_000, { min: 100, max: 600_000, unit: 'ms' }),
    subscriberBufferBytes: read.integer('SUBSCRIBER_BUFFER_BYTES', 1_048_576, { min: 1024, max: 1_073_741_824 }),
    shutdownGraceMs: read.integer('SHUTDOWN_GRACE_MS', 10_000, { min: 100, max: 600_000, unit: 'ms' }),
    metricsToken: read.secret('METRICS_TOKEN', checkMetricsToken),
    logLevel: read.oneOf('LOG_LEVEL', 'info', LOG_LEVELS),
    demo: read.boolean('DEMO', false),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * One worker per core by default with Redis; memory mode is one process,
 * since its sessions, bus and leases live in that process's memory. Whether
 * `REDIS_URL` is *given* decides, not whether it is valid: a mistyped URL
 * is its own problem line, not a reason to also blame `WORKERS`.
 */
function readWorkers(read: SettingReader, cores: number): number {
  const withRedis = read.isSet('REDIS_URL');
  const workers = read.integer('WORKERS', withRedis ? Math.min(MAX_WORKERS, Math.max(1, cores)) : 1, { min: 1, max: MAX_WORKERS });
  if (withRedis || workers === 1) return workers;
  read.refuse('WORKERS', 'at most 1 without REDIS_URL: memory mode is one process; set REDIS_URL to run several workers as one gateway');
  return 1;
}

/** Sweeping four times per idle timeout keeps the overshoot small without sweeping a long timeout needlessly often. */
function defaultSweepInterval(idleTimeoutMs: number): number {
  return Math.round(Math.min(5000, idleTimeoutMs / 4));
}

/**
 * Turns argv into setting name → value, recording unknown flags, missing
 * values and stray arguments instead of stopping at the first one (which
 * `parseArgs` in strict mode would do).
 */
function parseFlags(argv: readonly string[], problems: string[]): Map<SettingName, string> {
  const bySetting = new Map(FLAG_SETTINGS.map((setting) => [flagName(setting), setting]));
  // Secret flags are declared only so that their values are swallowed, not echoed back as stray arguments.
  const secretFlags = SECRET_SETTINGS.map((setting) => [flagName(setting), setting] as const);
  const options = Object.fromEntries([...bySetting, ...secretFlags].map(([flag, setting]) => [flag, { type: flagType(setting) }]));
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const flags = new Map<SettingName, string>();
  for (const token of tokens) {
    if (token.kind === 'positional') problems.push(`${JSON.stringify(token.value)}: unexpected argument; settings are flags such as --port 4001`);
    if (token.kind !== 'option') continue;
    const setting = bySetting.get(token.name);
    const problem = flagProblem(token.rawName, setting, token.value, token.inlineValue);
    if (problem !== undefined) problems.push(problem);
    else if (setting !== undefined) flags.set(setting, token.value ?? 'true');
  }
  return flags;
}

function flagType(setting: SettingName): 'boolean' | 'string' {
  return SWITCH_SETTINGS.has(setting) ? 'boolean' : 'string';
}

function flagProblem(rawName: string, setting: SettingName | undefined, value: string | undefined, inline: boolean | undefined): string | undefined {
  const secret = SECRET_SETTINGS.find((name) => rawName === `--${flagName(name)}`);
  if (secret !== undefined) return `${rawName}: not accepted as a flag (a command line is visible to other users); set ${secret} in the environment`;
  if (setting === undefined) return `${rawName}: unknown flag; expected one of ${FLAG_SETTINGS.map((s) => `--${flagName(s)}`).join(', ')}`;
  if (value === undefined && !SWITCH_SETTINGS.has(setting)) return `${rawName}: expected a value (${rawName} <value> or ${rawName}=<value>)`;
  // parseArgs takes the next argument as the value even when it is another flag; say so rather than misread it.
  if (inline === false && value?.startsWith('-')) {
    return `${rawName}: expected a value but got ${JSON.stringify(value)}, which looks like a flag; write ${rawName}=${value} if that is the value`;
  }
  return undefined;
}

/** Returns what was expected when a value is bad, `undefined` when it is fine. */
type Check = (value: string) => string | undefined;

interface IntegerRange {
  readonly min: number;
  readonly max?: number;
  readonly unit?: 'ms';
}

/**
 * Looks each setting up (flag first, then environment), validates it and
 * records a problem line for a bad value, answering the default meanwhile so
 * that reading goes on and every problem is found in one pass.
 */
class SettingReader {
  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly flags: ReadonlyMap<SettingName, string>,
    private readonly problems: string[],
  ) {}

  integer(name: SettingName, fallback: number, range: IntegerRange): number {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const value = /^-?\d+$/.test(raw.value) ? Number(raw.value) : Number.NaN;
    const max = range.max ?? Number.MAX_SAFE_INTEGER;
    if (Number.isSafeInteger(value) && value >= range.min && value <= max) return value;
    this.report(raw, JSON.stringify(raw.value), describeRange(range));
    return fallback;
  }

  string(name: SettingName, fallback: string, check: Check): string {
    return this.optionalString(name, check) ?? fallback;
  }

  optionalString(name: SettingName, check: Check, show: (raw: string) => string = (raw) => raw): string | undefined {
    const raw = this.raw(name);
    if (raw === undefined) return undefined;
    const expected = check(raw.value);
    if (expected === undefined) return raw.value;
    this.report(raw, JSON.stringify(show(raw.value)), expected);
    return undefined;
  }

  /** Like {@link optionalString}, but the problem line never shows the value. */
  secret(name: SettingName, check: Check): string | undefined {
    return this.optionalString(name, check, () => '(value not shown)');
  }

  oneOf<T extends string>(name: SettingName, fallback: T, choices: readonly T[]): T {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const match = choices.find((choice) => choice === raw.value);
    if (match !== undefined) return match;
    this.report(raw, JSON.stringify(raw.value), `one of ${choices.join(', ')}`);
    return fallback;
  }

  /** `1`/`true` or `0`/`false`; an empty value counts as unset, as shells often leave it. */
  boolean(name: SettingName, fallback: boolean): boolean {
    const raw = this.raw(name);
    if (raw === undefined || raw.value === '') return fallback;
    if (raw.value === '1' || raw.value === 'true') return true;
    if (raw.value === '0' || raw.value === 'false') return false;
    this.report(raw, JSON.stringify(raw.value), '1 or true to turn it on, 0 or false to turn it off');
    return fallback;
  }

  /** True when the setting is given at all, by flag or environment, whatever its value. */
  isSet(name: SettingName): boolean {
    return this.raw(name) !== undefined;
  }

  /** Records a problem with a value that passed its own check but conflicts with another setting. */
  refuse(name: SettingName, expected: string): void {
    const raw = this.raw(name);
    if (raw !== undefined) this.report(raw, JSON.stringify(raw.value), expected);
  }

  private raw(name: SettingName): { value: string; label: string } | undefined {
    const flag = this.flags.get(name);
    if (flag !== undefined) return { value: flag, label: `${name} (from --${flagName(name)})` };
    const value = this.env[name];
    return value === undefined ? undefined : { value, label: name };
  }

  private report(raw: { label: string }, shown: string, expected: string): void {
    this.problems.push(`${raw.label} = ${shown}: expected ${expected}`);
  }
}

function describeRange({ min, max, unit }: IntegerRange): string {
  const what = unit === 'ms' ? 'a whole number of milliseconds' : 'a whole number (plain decimal digits)';
  return max === undefined ? `${what}, at least ${min}` : `${what} from ${min} to ${max}`;
}

function checkNonEmpty(value: string): string | undefined {
  return value.length > 0 ? undefined : 'a non-empty string (or leave it unset)';
}

function checkHost(value: string): string | undefined {
  return /^\S+$/.test(value) ? undefined : 'a host name or IP address, e.g. 127.0.0.1 or 0.0.0.0';
}

/** `a, b` → `['a', 'b']`; empty items (a trailing comma) are dropped. */
function parseOrigins(value: string): readonly string[] {
  return value
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin.length > 0);
}

/**
 * Each origin must be exactly what a browser sends in `Origin`: a scheme,
 * a host and an optional port, nothing else (no path, no trailing slash,
 * no wildcard), so that comparing strings is comparing origins.
 */
function checkOrigins(value: string): string | undefined {
  const bad = parseOrigins(value).find((origin) => !URL.canParse(origin) || new URL(origin).origin !== origin);
  return bad === undefined ? undefined : `comma-separated exact origins such as https://dash.example.com (no path, slash or wildcard); ${JSON.stringify(bad)} is not one`;
}

function checkRedisUrl(value: string): string | undefined {
  const expected = 'a redis:// or rediss:// URL with a host, e.g. redis://127.0.0.1:6379';
  if (!URL.canParse(value)) return expected;
  const url = new URL(value);
  return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '' ? undefined : expected;
}

/**
 * Every key already carries the Cluster hash tag `{pulse}`; braces in the
 * prefix could form an empty tag (`{}`) and scatter the keys over slots,
 * which breaks the multi-key Lua scripts.
 */
function checkRedisPrefix(value: string): string | undefined {
  return value.length > 0 && !/[{}\s]/.test(value) ? undefined : 'a non-empty prefix without braces or spaces, e.g. pulse:';
}

/** HS256 with a shorter secret is open to offline brute force (RFC 7518 §3.2 requires at least the hash size). */
function checkSecret(value: string): string | undefined {
  return Buffer.byteLength(value, 'utf8') >= MIN_SECRET_BYTES
    ? undefined
    : `at least ${MIN_SECRET_BYTES} bytes for HS256 (or leave it unset for dev mode with a generated secret)`;
}

function checkMetricsToken(value: string): string | undefined {
  return value.length >= MIN_METRICS_TOKEN_LENGTH && /^\S+$/.test(value)
    ? undefined
    : `at least ${MIN_METRICS_TOKEN_LENGTH} characters without whitespace (or leave it unset for an open /metrics)`;
}

/**
 * Replaces the password (or a lone user-info part) of a URL-like string, so
 * Redis credentials stay out of logs and error messages even when the rest
 * of the string is malformed.
 */
export function redactUrlCredentials(value: string): string {
  const schemeEnd = value.indexOf('://');
  const start = schemeEnd === -1 ? 0 : schemeEnd + 3;
  const authorityEnd = value.slice(start).search(/[/?#]/);
  const end = authorityEnd === -1 ? value.length : start + authorityEnd;
  const at = value.lastIndexOf('@', end - 1);
  if (at < start) return value;
  const userInfo = value.slice(start, at);
  const colon = userInfo.indexOf(':');
  const redacted = colon === -1 ? '***' : `${userInfo.slice(0, colon)}:***`;
  return `${value.slice(0, start)}${redacted}${value.slice(at)}`;
}

/**
 * One line describing a config for the start-up log: every setting but the
 * secrets (only whether each is set) and with Redis credentials masked.
 */
export function describeConfig(config: Config): string {
  const listen = config.host.includes(':') ? `[${config.host}]:${config.port}` : `${config.host}:${config.port}`;
  const backend = config.redisUrl === undefined ? 'memory' : `redis ${redactUrlCredentials(config.redisUrl)} prefix=${config.redisPrefix}`;
  const auth = config.jwtSecret === undefined ? 'dev-generated-secret' : 'JWT_SECRET';
  return [
    `listen=${listen}`,
    `backend=${backend}`,
    `workers=${config.workers}`,
    `auth=HS256/${auth}`,
    ...(config.jwtIssuer === undefined ? [] : [`iss=${config.jwtIssuer}`]),
    ...(config.jwtAudience === undefined ? [] : [`aud=${config.jwtAudience}`]),
    `idleTimeoutMs=${config.idleTimeoutMs}`,
    `sweepIntervalMs=${config.sweepIntervalMs}`,
    `statsIntervalMs=${config.statsIntervalMs}`,
    `maxSubscriptionsPerAdmin=${config.maxSubscriptionsPerAdmin}`,
    `leaseTtlMs=${config.leaseTtlMs}`,
    `historySize=${config.historySize}`,
    `historyMaxAgeMs=${config.historyMaxAgeMs}`,
    `maxBatchSize=${config.maxBatchSize}`,
    `clockSkewMs=${config.clockSkewMs}`,
    `subscriberBufferSize=${config.subscriberBufferSize}`,
    `maxDocumentBytes=${config.maxDocumentBytes}`,
    `maxDocumentTokens=${config.maxDocumentTokens}`,
    `maxQueryDepth=${config.maxQueryDepth}`,
    `maxQueryFields=${config.maxQueryFields}`,
    `maxRequestBodyBytes=${config.maxRequestBodyBytes}`,
    `sseReservationTtlMs=${config.sseReservationTtlMs}`,
    `maxSseReservationsPerAdmin=${config.maxSseReservationsPerAdmin}`,
    `maxSseStreamsPerAdmin=${config.maxSseStreamsPerAdmin}`,
    `maxOperationsPerConnection=${config.maxOperationsPerConnection}`,
    `corsOrigins=${config.corsOrigins.join(',') || 'none'}`,
    `sseKeepAliveMs=${config.sseKeepAliveMs}`,
    `subscriberBufferBytes=${config.subscriberBufferBytes}`,
    `shutdownGraceMs=${config.shutdownGraceMs}`,
    `metrics=${config.metricsToken === undefined ? 'open' : 'METRICS_TOKEN'}`,
    `logLevel=${config.logLevel}`,
    ...(config.demo ? ['demo=on'] : []),
  ].join(' ');
}
