import { parseArgs } from 'node:util';

/** What one soak run does; every figure bounds a loop in count or time. */
export interface SoakOptions {
  /** How long subscribers churn while activity flows, in ms. @defaultValue 120000 */
  readonly durationMs: number;
  /** Subscribers open at once (one admin token per slot). @defaultValue 200 */
  readonly concurrency: number;
  /** Shortest and longest life of one subscriber after its snapshot, in ms. @defaultValue 100 and 3000 */
  readonly minLifeMs: number;
  readonly maxLifeMs: number;
  /** Activities per `recordActivities` batch, and the pause between batches in ms. @defaultValue 10 every 200 ms */
  readonly batchSize: number;
  readonly batchEveryMs: number;
  /** Longest wait for the figures to return to their idle values after the churn, in ms. @defaultValue 30000 */
  readonly quiesceMs: number;
}

const DEFAULTS: SoakOptions = {
  durationMs: 120_000,
  concurrency: 200,
  minLifeMs: 100,
  maxLifeMs: 3_000,
  batchSize: 10,
  batchEveryMs: 200,
  quiesceMs: 30_000,
};

const FLAGS = {
  'duration-ms': 'durationMs',
  concurrency: 'concurrency',
  'min-life-ms': 'minLifeMs',
  'max-life-ms': 'maxLifeMs',
  'batch-size': 'batchSize',
  'batch-every-ms': 'batchEveryMs',
  'quiesce-ms': 'quiesceMs',
} as const satisfies Record<string, keyof SoakOptions>;

/**
 * Reads `--duration-ms 60000` and friends (see {@link SoakOptions}).
 * @throws Error naming the flag when a value is not a positive integer, or the lives are reversed
 */
export function parseSoakOptions(argv: readonly string[]): SoakOptions {
  const options = Object.fromEntries(Object.keys(FLAGS).map((flag) => [flag, { type: 'string' as const }]));
  const { values } = parseArgs({ args: [...argv], options, strict: true });
  const parsed: Record<string, number> = { ...DEFAULTS };
  for (const [flag, field] of Object.entries(FLAGS)) {
    const raw = values[flag];
    if (raw === undefined) continue;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`--${flag} must be a positive integer, got ${String(raw)}`);
    parsed[field] = value;
  }
  const result = parsed as unknown as SoakOptions;
  if (result.minLifeMs > result.maxLifeMs) throw new Error('--min-life-ms must not exceed --max-life-ms');
  return result;
}
