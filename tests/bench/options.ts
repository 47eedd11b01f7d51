/** The bench's command line: `npm run bench -- [--quick] [--only pulse,raw] [--scenarios open,throughput,queries,privacy] ...`. */
import { parseArgs } from 'node:util';
import { SERVER_KINDS, type ServerKind } from './servers.js';

/** What a run measures. */
export type Scenario = 'throughput' | 'open' | 'queries' | 'privacy';

/**
 * Every scenario, in the order they run: the 10k open/idle/latency one
 * first (its memory reading wants a server that has served nothing else),
 * the rate search, Pulse's seeding and queries, and the cost of its
 * personal-data handling (one seeding per `IP_MODE`, and with age-trimming).
 */
export const SCENARIOS: readonly Scenario[] = ['open', 'throughput', 'queries', 'privacy'];

/**
 * Where Pulse keeps its state in a run: one Redis (shared by processes, as
 * deployed), a Redis Cluster the bench starts (`--masters` masters, no
 * replicas), or its own memory (one process).
 */
export type PulseBackend = 'redis' | 'redis-cluster' | 'memory';

/** Every backend, the default first. */
export const PULSE_BACKENDS: readonly PulseBackend[] = ['redis', 'redis-cluster', 'memory'];

/** Everything one run does; every figure bounds a loop in count or time. */
export interface BenchOptions {
  readonly quick: boolean;
  readonly servers: readonly ServerKind[];
  readonly scenarios: readonly Scenario[];
  /** Where Pulse runs from (`--pulse-root`). @defaultValue undefined: this checkout */
  readonly pulseRoot: string | undefined;
  /** Pulse's backend (`--pulse-backend`); the baselines always use Redis pub/sub. @defaultValue 'redis' */
  readonly pulseBackend: PulseBackend;
  /** Masters of the Redis Cluster of `--pulse-backend redis-cluster`. @defaultValue 3 */
  readonly masters: number;
  /** Subscribers during the rate search. @defaultValue 1000 (quick: 200) */
  readonly subscribers: number;
  /** Subscriptions opened for memory, open rate, idle cost and the 1 event/s latency. @defaultValue 10000 (quick: 1000) */
  readonly openCount: number;
  /** Established at a time while opening. @defaultValue 100 */
  readonly openConcurrency: number;
  /** Active sessions seeded before the queries are timed. @defaultValue 1000000 (quick: 20000) */
  readonly sessions: number;
  /** Sessions seeded per variant of the privacy scenario. @defaultValue 100000 (quick: 10000) */
  readonly privacySessions: number;
  /** Events per `recordActivities` while seeding (Pulse's default MAX_BATCH_SIZE). @defaultValue 500 */
  readonly seedBatch: number;
  /** Seeding requests in flight. @defaultValue 8 */
  readonly seedConcurrency: number;
  /** Events timed in the mixed ingest (20k sessions of 5k users, `seedConcurrency` clients, `seedBatch` per request). @defaultValue 400000 (quick: 40000) */
  readonly mixedEvents: number;
  /** Timed requests of each query. @defaultValue 500 (quick: 200) */
  readonly queryCount: number;
  /** Warm-up and measuring time of each rate step, in ms. @defaultValue 1000 and 3000 (quick: 500 and 1500) */
  readonly stepWarmMs: number;
  readonly stepMeasureMs: number;
  /** Longest wait for a step's events after publishing stops, in ms. @defaultValue 3000 (quick: 2000) */
  readonly drainMs: number;
  /** First rate tried, in events per second (each reaching every subscriber). @defaultValue 10 */
  readonly startRate: number;
  /** Bisection steps after the doubling found a failing rate. @defaultValue 3 (quick: 2) */
  readonly bisectSteps: number;
  /** Quiet time over which idle Redis commands are counted, in ms. @defaultValue 5000 (quick: 2000) */
  readonly idleMs: number;
  /** Measuring time at one event per second with `openCount` subscribers, in ms. @defaultValue 10000 (quick: 4000) */
  readonly slowRateMs: number;
}

const FULL: Omit<BenchOptions, 'quick' | 'servers' | 'scenarios' | 'pulseRoot' | 'pulseBackend'> = {
  masters: 3,
  subscribers: 1000,
  openCount: 10_000,
  openConcurrency: 100,
  sessions: 1_000_000,
  privacySessions: 100_000,
  seedBatch: 500,
  seedConcurrency: 8,
  mixedEvents: 400_000,
  queryCount: 500,
  stepWarmMs: 1000,
  stepMeasureMs: 3000,
  drainMs: 3000,
  startRate: 10,
  bisectSteps: 3,
  idleMs: 5000,
  slowRateMs: 10_000,
};

const QUICK: Partial<typeof FULL> = {
  subscribers: 200,
  openCount: 1000,
  sessions: 20_000,
  privacySessions: 10_000,
  mixedEvents: 40_000,
  queryCount: 200,
  stepWarmMs: 500,
  stepMeasureMs: 1500,
  drainMs: 2000,
  bisectSteps: 2,
  idleMs: 2000,
  slowRateMs: 4000,
};

/** Numeric flags, each overriding its field (after `--quick`). */
const NUMERIC = {
  masters: 'masters',
  subscribers: 'subscribers',
  open: 'openCount',
  'open-concurrency': 'openConcurrency',
  sessions: 'sessions',
  'privacy-sessions': 'privacySessions',
  'seed-batch': 'seedBatch',
  'seed-concurrency': 'seedConcurrency',
  'mixed-events': 'mixedEvents',
  queries: 'queryCount',
  'step-warm-ms': 'stepWarmMs',
  'step-ms': 'stepMeasureMs',
  'drain-ms': 'drainMs',
  'start-rate': 'startRate',
  'bisect-steps': 'bisectSteps',
  'idle-ms': 'idleMs',
  'slow-rate-ms': 'slowRateMs',
} as const satisfies Record<string, keyof typeof FULL>;

/** Printed for `--help` and with every usage error. */
export const USAGE = [
  'usage: npm run bench -- [--quick] [--only pulse,raw,yoga] [--scenarios open,throughput,queries,privacy] [--pulse-root DIR] [--pulse-backend redis|redis-cluster|memory] [--<number flag> N]',
  `  number flags: ${Object.keys(NUMERIC).map((flag) => `--${flag}`).join(' ')}`,
  '  --pulse-root: run Pulse from another checkout (e.g. `git archive` of another commit, node_modules linked)',
  '  --pulse-backend: memory runs Pulse without Redis (one process); redis-cluster on a Redis Cluster of --masters masters (3) started',
  '    for the run (REDIS_CLUSTER_NODES, default partitions); the baselines always use one Redis\'s pub/sub',
  '  REDIS_URL: use that Redis instead of starting one (keys go under a fresh prefix and are deleted at the end).',
].join('\n');

/**
 * Reads the flags.
 * @returns the options, or `'help'`
 * @throws Error naming the flag for an unknown name in a list or a value that is not a positive integer (bisect steps may be 0)
 */
export function parseBenchOptions(argv: readonly string[]): BenchOptions | 'help' {
  const numeric = Object.fromEntries(Object.keys(NUMERIC).map((flag) => [flag, { type: 'string' as const }]));
  const { values } = parseArgs({
    args: [...argv],
    options: {
      ...numeric,
      quick: { type: 'boolean' },
      only: { type: 'string' },
      scenarios: { type: 'string' },
      'pulse-root': { type: 'string' },
      'pulse-backend': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help === true) return 'help';
  const quick = values.quick === true;
  const figures: Record<string, number> = { ...FULL, ...(quick ? QUICK : {}) };
  for (const [flag, field] of Object.entries(NUMERIC)) {
    const raw = (values as Record<string, unknown>)[flag];
    if (typeof raw !== 'string') continue;
    const value = Number(raw);
    const least = field === 'bisectSteps' ? 0 : 1;
    if (!Number.isSafeInteger(value) || value < least) throw new Error(`--${flag} must be an integer of at least ${least}, got ${raw}`);
    figures[field] = value;
  }
  return {
    ...(figures as typeof FULL),
    quick,
    servers: list('only', values.only, SERVER_KINDS),
    scenarios: list('scenarios', values.scenarios, SCENARIOS),
    pulseRoot: values['pulse-root'],
    pulseBackend: one('pulse-backend', values['pulse-backend'], PULSE_BACKENDS),
  };
}

/** One name of `known`, or the first of them when the flag is absent. */
function one<T extends string>(flag: string, raw: unknown, known: readonly T[]): T {
  if (typeof raw !== 'string') return known[0] as T;
  const name = known.find((candidate) => candidate === raw.trim());
  if (name === undefined) throw new Error(`--${flag} takes one of ${known.join(', ')}; got ${raw}`);
  return name;
}

function list<T extends string>(flag: string, raw: unknown, known: readonly T[]): readonly T[] {
  if (typeof raw !== 'string') return known;
  const names = raw.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = names.filter((name) => !(known as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) throw new Error(`--${flag} takes a comma-separated list of ${known.join(', ')}; got ${raw}`);
  // In the canonical order, whatever order they were given in.
  return known.filter((name) => names.includes(name));
}
