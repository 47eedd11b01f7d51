import type { ChurnTotals } from './churn.js';
import type { Figures } from './figures.js';
import type { TrafficTotals } from './traffic.js';

const MiB = 1024 * 1024;

/** How far an end figure may be from its baseline, and why. */
interface Check {
  readonly figure: keyof Figures;
  readonly label: string;
  /** Largest allowed `end - baseline` (the lower side is never a leak). */
  readonly allowedGrowth: number;
  readonly unit?: 'MiB';
}

/**
 * The tolerances. Counts of things held (handles, connections, leases,
 * subscriptions) must return exactly: anything left is a leak. Memory has
 * no exact baseline without a forced GC (which Pulse does not expose), so
 * RSS only catches a gross leak, and the heap's trend is checked separately
 * ({@link heapTrend}).
 */
const CHECKS: readonly Check[] = [
  // RSS seldom shrinks (V8 keeps its grown heap, the allocator its arenas): this bound only catches a gross leak.
  { figure: 'rssBytes', label: 'RSS', allowedGrowth: 256 * MiB, unit: 'MiB' },
  { figure: 'heapUsedBytes', label: 'heap used (after forced GC)', allowedGrowth: 8 * MiB, unit: 'MiB' },
  { figure: 'activeHandles', label: 'active handles', allowedGrowth: 0 },
  { figure: 'httpConnections', label: 'HTTP connections', allowedGrowth: 0 },
  { figure: 'subscriptions', label: 'open subscriptions', allowedGrowth: 0 },
  { figure: 'leasesHeld', label: 'leases held (process)', allowedGrowth: 0 },
  { figure: 'leaseKeys', label: 'lease keys (Redis SCAN)', allowedGrowth: 0 },
  { figure: 'channelSubscribers', label: 'PUBSUB NUMSUB changes', allowedGrowth: 0 },
  { figure: 'pubsubConnections', label: 'Redis pub/sub connections', allowedGrowth: 0 },
  { figure: 'commandConnections', label: 'Redis command connections', allowedGrowth: 0 },
];

/**
 * Largest rise of a memory figure's low points under steady load, from the
 * first third of the samples to the last (the samples of the first
 * {@link WARM_UP_SAMPLES} are ramp-up, not trend, and are left out). A leak
 * raises the troughs with every subscriber; a healthy process plateaus.
 * Only RSS is judged this way: the heap under load holds whatever V8 has not
 * collected yet, so it is reported for reading, and judged after a forced
 * collection at the end instead.
 */
export const TROUGH_GROWTH_LIMIT = { heapUsedBytes: Number.POSITIVE_INFINITY, rssBytes: 32 * MiB } as const;

/** Samples taken while the first subscribers ramp up (at one sample every 2 s: the first 10 s). */
export const WARM_UP_SAMPLES = 5;

/** The lowest value of the first third of `samples` (after the warm-up) against that of the last third. */
export function troughTrend(samples: readonly number[]): { first: number; last: number; growth: number } {
  const steady = samples.length > WARM_UP_SAMPLES + 3 ? samples.slice(WARM_UP_SAMPLES) : samples;
  const third = Math.max(1, Math.floor(steady.length / 3));
  const first = Math.min(...steady.slice(0, third));
  const last = Math.min(...steady.slice(-third));
  return { first, last, growth: last - first };
}

const show = (value: number, unit?: 'MiB'): string => (unit === 'MiB' ? `${(value / MiB).toFixed(1)} MiB` : String(value));

/** Everything a run measured. */
export interface SoakResult {
  readonly baseline: Figures;
  readonly end: Figures;
  /** Memory readings under load, one every few seconds. */
  readonly memorySamples: { readonly heapUsedBytes: readonly number[]; readonly rssBytes: readonly number[] };
  readonly churn: ChurnTotals;
  readonly traffic: TrafficTotals;
  readonly durationMs: number;
}

/** Prints the tables and returns the violations (empty when the run passed). */
export function report({ baseline, end, memorySamples, churn, traffic, durationMs }: SoakResult): string[] {
  const violations: string[] = [];
  const rows: string[][] = [['figure', 'baseline', 'end', 'allowed growth', 'ok']];
  for (const { figure, label, allowedGrowth, unit } of CHECKS) {
    const ok = end[figure] - baseline[figure] <= allowedGrowth;
    if (!ok) violations.push(`${label}: ${show(baseline[figure], unit)} → ${show(end[figure], unit)} (allowed +${show(allowedGrowth, unit)})`);
    rows.push([label, show(baseline[figure], unit), show(end[figure], unit), `+${show(allowedGrowth, unit)}`, ok ? 'yes' : 'NO']);
  }
  for (const figure of ['heapUsedBytes', 'rssBytes'] as const) {
    const trend = troughTrend(memorySamples[figure]);
    const limit = TROUGH_GROWTH_LIMIT[figure];
    const ok = trend.growth <= limit;
    const label = `${figure === 'rssBytes' ? 'RSS' : 'heap used'} trough under load, first → last third`;
    if (!ok) violations.push(`${label}: rose by ${show(trend.growth, 'MiB')}`);
    const allowed = Number.isFinite(limit) ? `+${show(limit, 'MiB')}` : '(for reading)';
    rows.push([label, show(trend.first, 'MiB'), show(trend.last, 'MiB'), allowed, ok ? 'yes' : 'NO']);
  }
  printTable(rows);

  const delta = (figure: keyof Figures): number => end[figure] - baseline[figure];
  const opened = churn.opened['sse-distinct'] + churn.opened['sse-single'] + churn.opened.ws;
  const totals: string[][] = [
    ['total', 'value'],
    ['churn duration (memory samples)', `${(durationMs / 1000).toFixed(0)} s (${memorySamples.rssBytes.length})`],
    ['subscriptions opened (client: sse-distinct / sse-single / ws)', `${opened} (${churn.opened['sse-distinct']} / ${churn.opened['sse-single']} / ${churn.opened.ws})`],
    ['subscriptions opened (server counter)', String(delta('subscriptionsOpened'))],
    ['activities recorded (batches)', `${traffic.activities} (${traffic.batches})`],
    ['changes published (server)', String(delta('eventsPublished'))],
    ['changes delivered (server) / received (clients)', `${delta('eventsDelivered')} / ${churn.changesReceived}`],
    ['subscription errors (client)', String(churn.errorCount)],
    ['failed batches', String(traffic.failed)],
    ['refused / slow consumer / backend errors (server)', `${delta('subscriptionsRefused')} / ${delta('slowConsumerDisconnects')} / ${delta('redisErrors')}`],
  ];
  printTable(totals);
  for (const error of [...churn.errors, ...traffic.errors]) console.log(`  error: ${error}`);
  if (churn.errorCount > 0) violations.push(`${churn.errorCount} subscriptions failed`);
  if (traffic.failed > 0) violations.push(`${traffic.failed} activity batches failed`);
  for (const figure of ['subscriptionsRefused', 'slowConsumerDisconnects', 'redisErrors'] as const) {
    if (delta(figure) > 0) violations.push(`${figure} rose by ${delta(figure)}`);
  }
  return violations;
}

function printTable(rows: readonly string[][]): void {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length)));
  const line = (row: readonly string[]): string => `| ${row.map((cell, col) => cell.padEnd(widths[col] ?? 0)).join(' | ')} |`;
  console.log(line(rows[0]!));
  console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  for (const row of rows.slice(1)) console.log(line(row));
  console.log('');
}
