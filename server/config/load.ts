import { availableParallelism } from 'node:os';
import { parseFlags } from './flags.js';
import { HIDDEN, type DefaultContext, type Setting } from './setting.js';
import { CLUSTER_ACCESS_SETTINGS, REDIS_SETTINGS } from './settings-core.js';
import { flagName, settingRows, type Config, type SettingKey } from './settings.js';

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

/** A setting's raw text and how a problem line names it. */
interface RawValue {
  readonly value: string;
  readonly label: string;
}

/**
 * Reads and validates every setting of the settings table from the
 * environment and the command line; flags win over the environment. Pure: it
 * reads nothing but its arguments (and the machine's core count when `cores`
 * is left out), so tests pass their own.
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
  const rawOf = (name: string): RawValue | undefined => {
    const flag = flags.get(name);
    if (flag !== undefined) return { value: flag, label: `${name} (from --${flagName(name)})` };
    const value = env[name];
    return value === undefined ? undefined : { value, label: name };
  };
  const values = new Map<SettingKey, unknown>();
  const context: DefaultContext = { isSet: (name) => rawOf(name) !== undefined, valueOf: (key) => values.get(key as SettingKey), cores };
  for (const [key, row] of settingRows()) values.set(key, readSetting(row, rawOf(row.env), context, problems));
  refuseTwoRedisBackends(rawOf, problems);
  refuseWorkersWithoutRedis(values, rawOf, problems);
  refusePartitionsWithoutRedis(rawOf, problems);
  refuseClusterAccessWithoutCluster(rawOf, problems);
  refuseSweepsTooRareForHistory(values, rawOf, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.fromEntries(values) as Config;
}

/** Answers the fallback for a bad value, so that reading goes on and every problem is found in one pass. */
function readSetting(row: Setting<unknown>, raw: RawValue | undefined, context: DefaultContext, problems: string[]): unknown {
  const fallback = typeof row.fallback === 'function' ? (row.fallback as (context: DefaultContext) => unknown)(context) : row.fallback;
  if (raw === undefined || (row.emptyIsUnset === true && raw.value === '')) return fallback;
  const parsed = row.parse(raw.value);
  if (parsed.ok) return parsed.value;
  const shown = row.show ? row.show(raw.value) : raw.value;
  problems.push(`${raw.label} = ${JSON.stringify(shown)}: expected ${parsed.expected}`);
  return fallback;
}

/** Whether either Redis setting is given, valid or not (a bad value is its own problem line). */
const redisGiven = (rawOf: (name: string) => RawValue | undefined): boolean => REDIS_SETTINGS.some((name) => rawOf(name) !== undefined);

/**
 * One Redis and a cluster are two different places for the same state:
 * picking one silently would split a deployment whose processes disagree.
 */
function refuseTwoRedisBackends(rawOf: (name: string) => RawValue | undefined, problems: string[]): void {
  const nodes = rawOf('REDIS_CLUSTER_NODES');
  const url = rawOf('REDIS_URL');
  if (nodes === undefined || url === undefined) return;
  problems.push(`${nodes.label} and ${url.label} are both set: expected one of them, REDIS_URL for one Redis or REDIS_CLUSTER_NODES for a Redis Cluster`);
}

/** Memory mode keeps its sessions, bus and leases in one process, so it cannot be several workers. */
function refuseWorkersWithoutRedis(values: ReadonlyMap<SettingKey, unknown>, rawOf: (name: string) => RawValue | undefined, problems: string[]): void {
  const workers = rawOf('WORKERS');
  if (redisGiven(rawOf) || values.get('workers') === 1 || workers === undefined) return;
  const expected =
    'at most 1 without REDIS_URL or REDIS_CLUSTER_NODES: memory mode is one process; set one of them to run several workers as one gateway';
  problems.push(`${workers.label} = ${JSON.stringify(workers.value)}: expected ${expected}`);
}

/** Partitions are a layout of Redis keys and channels; memory mode has neither, so asking for them is a mistake worth saying. */
function refusePartitionsWithoutRedis(rawOf: (name: string) => RawValue | undefined, problems: string[]): void {
  const partitions = rawOf('REDIS_PARTITIONS');
  if (partitions === undefined || redisGiven(rawOf)) return;
  problems.push(`${partitions.label} = ${JSON.stringify(partitions.value)}: expected REDIS_URL or REDIS_CLUSTER_NODES to be set: partitions split Redis state, and memory mode has none`);
}

/**
 * Credentials or TLS for a cluster that is not there are a mistake (one
 * Redis takes them in its URL): ignored, they would leave a deployment
 * believing it signs in or encrypts when it does neither. A user without its
 * password could only fail to sign in.
 */
function refuseClusterAccessWithoutCluster(rawOf: (name: string) => RawValue | undefined, problems: string[]): void {
  const clusterGiven = rawOf('REDIS_CLUSTER_NODES') !== undefined;
  for (const name of CLUSTER_ACCESS_SETTINGS) {
    const raw = rawOf(name);
    if (raw === undefined || clusterGiven) continue;
    const shown = name === 'REDIS_CLUSTER_PASSWORD' ? HIDDEN() : raw.value;
    problems.push(`${raw.label} = ${JSON.stringify(shown)}: expected REDIS_CLUSTER_NODES to be set (one Redis takes its credentials and TLS in REDIS_URL: rediss://user:password@host:port)`);
  }
  const username = rawOf('REDIS_CLUSTER_USERNAME');
  if (username !== undefined && rawOf('REDIS_CLUSTER_PASSWORD') === undefined) {
    problems.push(`${username.label} = ${JSON.stringify(username.value)}: expected REDIS_CLUSTER_PASSWORD too: an ACL user signs in with its password`);
  }
}

/**
 * Each sweep trims the history one sweep interval early, so that nothing
 * outlives `HISTORY_MAX_AGE_MS` between two sweeps: an interval above half
 * the age would trim most of what resuming needs, and one at or above it
 * everything.
 */
function refuseSweepsTooRareForHistory(values: ReadonlyMap<SettingKey, unknown>, rawOf: (name: string) => RawValue | undefined, problems: string[]): void {
  const sweep = rawOf('SWEEP_INTERVAL_MS');
  const interval = values.get('sweepIntervalMs') as number;
  const maxAge = values.get('historyMaxAgeMs') as number;
  if (sweep === undefined || interval <= maxAge / 2) return;
  problems.push(`${sweep.label} = ${JSON.stringify(sweep.value)}: expected at most half of HISTORY_MAX_AGE_MS (${Math.floor(maxAge / 2)}), as every sweep trims the history one interval early`);
}
