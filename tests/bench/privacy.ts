import type { BenchContext, ServerUnderTest } from './scenarios.js';
import type { SeedResult } from './protocol.js';
import { redisCpuSeconds } from './redis-commands.js';

/**
 * What personal-data handling costs per event (issue 10): the same seeding
 * run on a fresh Pulse per variant, with each `IP_MODE`, and with the
 * history trimmed by age all the time (the shortest `HISTORY_MAX_AGE_MS`
 * and a 100 ms sweep, so that nearly every sweep finds entries to delete).
 * Pulse's CPU and Redis's CPU are both divided by the events recorded: the
 * masking happens in Pulse, the trimming in Redis.
 */

/** One variant: its label and the settings that make it. */
export interface PrivacyVariant {
  readonly label: string;
  readonly env: Readonly<Record<string, string>>;
}

/** The variants, `full` first: the others are read against it. */
export const PRIVACY_VARIANTS: readonly PrivacyVariant[] = [
  { label: 'IP_MODE=full', env: { IP_MODE: 'full' } },
  { label: 'IP_MODE=truncate', env: { IP_MODE: 'truncate' } },
  { label: 'IP_MODE=hash', env: { IP_MODE: 'hash' } },
  { label: 'IP_MODE=drop', env: { IP_MODE: 'drop' } },
  { label: 'age-trimming', env: { IP_MODE: 'full', HISTORY_MAX_AGE_MS: '1000', SWEEP_INTERVAL_MS: '100' } },
];

/** One variant's figures. */
export interface PrivacyRun {
  readonly label: string;
  readonly seed: SeedResult;
  /** Pulse's CPU per recorded event, in µs. */
  readonly pulseCpuMicrosPerEvent: number;
  /** Redis's CPU (user + system) per recorded event, in µs. */
  readonly redisCpuMicrosPerEvent: number;
}

/** Seeds `sessions` on one variant's Pulse and reads both CPUs around it. */
export async function privacyRun(ctx: BenchContext, sut: ServerUnderTest, label: string): Promise<PrivacyRun> {
  const { privacySessions, seedBatch, seedConcurrency } = ctx.options;
  // A first small batch loads the code paths (and, for `hash`, makes the day's salt) outside the measurement.
  await ctx.gen.call('seed', { target: sut.target, sessions: seedBatch, batchSize: seedBatch, concurrency: 1 });
  const pulseBefore = sut.server.cpuSeconds();
  const redisBefore = sum(await redisCpuSeconds(ctx.stateNodes));
  const seed = await ctx.gen.call('seed', { target: sut.target, sessions: privacySessions, batchSize: seedBatch, concurrency: seedConcurrency });
  const pulseCpuMicrosPerEvent = ((sut.server.cpuSeconds() - pulseBefore) * 1e6) / Math.max(1, seed.recorded);
  const redisCpuMicrosPerEvent = ((sum(await redisCpuSeconds(ctx.stateNodes)) - redisBefore) * 1e6) / Math.max(1, seed.recorded);
  ctx.log(
    `  ${label}: ${Math.round(seed.eventsPerSec)} events/s, Pulse ${pulseCpuMicrosPerEvent.toFixed(1)} µs and Redis ${redisCpuMicrosPerEvent.toFixed(1)} µs CPU per event` +
      `${seed.failures > 0 ? `, ${seed.failures} failed batches: ${seed.errors[0]}` : ''}`,
  );
  return { label, seed, pulseCpuMicrosPerEvent, redisCpuMicrosPerEvent };
}

/** Each variant against `IP_MODE=full`, as printed lines: the cost per event of masking and of age-trimming. */
export function describePrivacyRuns(runs: readonly PrivacyRun[]): string[] {
  const base = runs.find((run) => run.label === PRIVACY_VARIANTS[0]?.label);
  if (!base) return [];
  const signed = (value: number): string => `${value >= 0 ? '+' : ''}${value.toFixed(1)}`;
  return runs
    .filter((run) => run !== base)
    .map(
      (run) =>
        `${run.label} against ${base.label}: Pulse ${signed(run.pulseCpuMicrosPerEvent - base.pulseCpuMicrosPerEvent)} µs, ` +
        `Redis ${signed(run.redisCpuMicrosPerEvent - base.redisCpuMicrosPerEvent)} µs CPU per event; ` +
        `${Math.round(run.seed.eventsPerSec)} against ${Math.round(base.seed.eventsPerSec)} events/s`,
    );
}

function sum(values: readonly number[]): number {
  return values.reduce((total, n) => total + n, 0);
}
