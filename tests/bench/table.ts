/** The targets as data, judged against one run's results, and the one table that shows them. */
import { maxOverMean } from './redis-commands.js';
import type { BenchOptions } from './options.js';
import { P99_BOUND_MS } from './rate-search.js';
import type { PrivacyRun } from './privacy.js';
import { MIXED_POOL, type OpenScenarioResult, type QueriesResult, type ThroughputResult } from './scenarios.js';
import { SERVER_KINDS, SERVER_NAMES, type ServerKind } from './servers.js';

/** What one server's run produced; a scenario that was not run, or failed, is absent. */
export interface ServerResults {
  open?: OpenScenarioResult;
  throughput?: ThroughputResult;
  /** Pulse only. */
  queries?: QueriesResult;
  /** The privacy scenario's runs, one per variant (Pulse only). */
  privacy?: PrivacyRun[];
  /** Warnings and errors the server logged, by message. */
  problems: Record<string, number>;
  /** Why a scenario failed to run, when one did. */
  errors: string[];
}

/** Results by server. */
export type Results = Partial<Record<ServerKind, ServerResults>>;

/** One line of the table: a scenario's figures (on its first line only) and one comparison against a target. */
export interface Verdict {
  readonly scenario: string;
  readonly figures: Partial<Record<ServerKind, string>>;
  readonly measure: string;
  readonly value: number | null;
  readonly target: string;
  /** `null` when a figure it needs is missing. */
  readonly met: boolean | null;
}

type Figure = (r: ServerResults) => number | undefined;

/** A scenario: how to read each server's figure, how to print it, and the comparisons that judge it. */
interface Scenario {
  readonly label: string;
  readonly figure: Figure;
  readonly format: (value: number) => string;
  /** Extra marks on a figure (e.g. events lost). */
  readonly note?: (r: ServerResults) => string;
  readonly checks: ReadonlyArray<{ readonly measure: string; readonly value: (f: Partial<Record<ServerKind, number>>, pulse: ServerResults | undefined) => number | null; readonly target: string; readonly met: (value: number) => boolean }>;
}

const integer = (value: number): string => Math.round(value).toLocaleString('en-US');
const ms = (value: number): string => `${value.toFixed(value < 10 ? 2 : 0)} ms`;
const ratio = (a: number | undefined, b: number | undefined): number | null => (a === undefined || b === undefined || b === 0 ? null : a / b);
const own = (a: number | undefined): number | null => a ?? null;

function scenarios(options: BenchOptions): Scenario[] {
  const sessions = options.sessions.toLocaleString('en-US');
  return [
    {
      label: `Deliveries/s, p99 < ${P99_BOUND_MS} ms, none lost (${options.subscribers} subscribers)`,
      figure: (r) => r.throughput?.maxDeliveriesPerSec,
      format: integer,
      note: (r) => (r.throughput && r.throughput.best === null ? ' (no rate held)' : ''),
      checks: [
        { measure: 'Pulse / raw', value: (f) => ratio(f.pulse, f.raw), target: '>= 0.7', met: (v) => v >= 0.7 },
        { measure: 'Pulse / Yoga', value: (f) => ratio(f.pulse, f.yoga), target: '>= 10', met: (v) => v >= 10 },
      ],
    },
    {
      label: `p99 delivery, ${options.openCount.toLocaleString('en-US')} subscribers at 1 event/s`,
      figure: (r) => r.open?.oneEventPerSec.latency.p99,
      format: ms,
      note: (r) => {
        const step = r.open?.oneEventPerSec;
        return step && (step.missing > 0 || step.dropped > 0) ? ` (${step.missing} lost, ${step.dropped} dropped)` : '';
      },
      checks: [
        {
          measure: 'Pulse / raw',
          // A p99 over events that did not all arrive flatters; it cannot meet the target.
          value: (f, pulse) => (pulse?.open && !pulse.open.oneEventPerSec.held && pulse.open.oneEventPerSec.missing > 0 ? Number.POSITIVE_INFINITY : ratio(f.pulse, f.raw)),
          target: '<= 1.5',
          met: (v) => v <= 1.5,
        },
      ],
    },
    {
      label: `Memory per open subscription (RSS delta / ${options.openCount.toLocaleString('en-US')})`,
      figure: (r) => r.open?.memoryPerSubscriptionBytes,
      format: (v) => `${(v / 1024).toFixed(1)} KB`,
      checks: [{ measure: 'Pulse / raw', value: (f) => ratio(f.pulse, f.raw), target: '<= 1.3', met: (v) => v <= 1.3 }],
    },
    {
      label: `New subscriptions/s (${options.openConcurrency} in flight)`,
      figure: (r) => r.open?.subscriptionsPerSec,
      format: integer,
      checks: [{ measure: 'Pulse / Yoga', value: (f) => ratio(f.pulse, f.yoga), target: '>= 2', met: (v) => v >= 2 }],
    },
    {
      label: 'Idle Redis commands/s per subscriber',
      figure: (r) => r.open?.idle.perSubscriberPerSec,
      format: (v) => v.toFixed(4),
      checks: [{ measure: 'Pulse', value: (f) => own(f.pulse), target: '< 0.01 (~0)', met: (v) => v < 0.01 }],
    },
    {
      label: `activeUsers(first: 50) p99, ${sessions} sessions`,
      figure: (r) => r.queries?.queries.activeUsers.p99,
      format: ms,
      checks: [{ measure: 'Pulse', value: (f) => own(f.pulse), target: '< 10 ms', met: (v) => v < 10 }],
    },
    {
      label: `stats p99, ${sessions} sessions`,
      figure: (r) => r.queries?.queries.stats.p99,
      format: ms,
      checks: [{ measure: 'Pulse', value: (f) => own(f.pulse), target: '< 10 ms', met: (v) => v < 10 }],
    },
    {
      label: `Ingest events/s (recordActivities, ${options.seedBatch} per batch, ${options.seedConcurrency} in flight)`,
      figure: (r) => r.queries?.seed.eventsPerSec,
      format: integer,
      note: (r) => (r.queries && r.queries.seed.failures > 0 ? ` (${r.queries.seed.failures} failed batches)` : ''),
      checks: [{ measure: 'Pulse', value: (f, pulse) => (pulse?.queries && pulse.queries.seed.failures > 0 ? 0 : own(f.pulse)), target: '>= 50,000', met: (v) => v >= 50_000 }],
    },
    {
      label: `Ingest events/s, mixed (${MIXED_POOL.sessions.toLocaleString('en-US')} sessions of ${MIXED_POOL.users.toLocaleString('en-US')} users, ${options.seedConcurrency} clients x ${options.seedBatch})`,
      figure: (r) => r.queries?.mixed.seed.eventsPerSec,
      format: integer,
      note: (r) => (r.queries && r.queries.mixed.seed.failures > 0 ? ` (${r.queries.mixed.seed.failures} failed batches)` : ''),
      checks: [{ measure: 'Pulse', value: (f, pulse) => (pulse?.queries && pulse.queries.mixed.seed.failures > 0 ? 0 : own(f.pulse)), target: '>= 50,000', met: (v) => v >= 50_000 }],
    },
    {
      // Only on a cluster: one Redis has nothing to spread.
      label: 'Redis commands per master while seeding, busiest / mean (Redis Cluster)',
      figure: (r) => (r.queries && r.queries.seedCommands.perNode.length > 1 ? maxOverMean(r.queries.seedCommands.perNode) : undefined),
      format: (v) => v.toFixed(2),
      checks: [{ measure: 'Pulse', value: (f) => own(f.pulse), target: '<= 1.5', met: (v) => v <= 1.5 }],
    },
  ];
}

/** Judges every target against `results`. */
export function verdicts(results: Results, options: BenchOptions): Verdict[] {
  return scenarios(options).flatMap((scenario) => {
    const values: Partial<Record<ServerKind, number>> = {};
    const figures: Partial<Record<ServerKind, string>> = {};
    for (const kind of SERVER_KINDS) {
      const r = results[kind];
      const value = r === undefined ? undefined : scenario.figure(r);
      if (r === undefined || value === undefined) continue;
      values[kind] = value;
      figures[kind] = `${scenario.format(value)}${scenario.note?.(r) ?? ''}`;
    }
    return scenario.checks.map((check, i) => {
      const value = check.value(values, results.pulse);
      return { scenario: i === 0 ? scenario.label : '', figures: i === 0 ? figures : {}, measure: check.measure, value, target: check.target, met: value === null ? null : check.met(value) };
    });
  });
}

/** The table: one line per comparison, servers as columns. */
export function renderTable(lines: readonly Verdict[]): string {
  const header = ['Scenario', ...SERVER_KINDS.map((kind) => SERVER_NAMES[kind]), 'Compared', 'Value', 'Target', 'Result'];
  const rows = lines.map((line) => [
    line.scenario,
    ...SERVER_KINDS.map((kind) => line.figures[kind] ?? (line.scenario === '' ? '' : '-')),
    line.measure,
    line.value === null ? '-' : Number.isFinite(line.value) ? formatRatio(line.value) : 'lost',
    line.target,
    line.met === null ? 'n/a' : line.met ? 'met' : 'MISSED',
  ]);
  const widths = header.map((_, column) => Math.max(...[header, ...rows].map((row) => (row[column] ?? '').length)));
  const render = (row: readonly string[]): string => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  return [render(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(render)].join('\n');
}

function formatRatio(value: number): string {
  if (value !== 0 && Math.abs(value) < 0.01) return value.toExponential(1);
  return value >= 100 ? integer(value) : value.toFixed(2);
}

/** Above this share of one core the generator, not the server, sets a step's pace. */
const GENERATOR_BOUND_PCT = 90;

/**
 * Caveats a reader of the table needs: a ceiling that is the generator's
 * rather than the server's, and a search in which nothing held.
 */
export function caveats(results: Results): string[] {
  const lines: string[] = [];
  for (const kind of SERVER_KINDS) {
    const throughput = results[kind]?.throughput;
    if (!throughput) continue;
    const { best, steps } = throughput;
    if (best === null) {
      lines.push(`${SERVER_NAMES[kind]}: no rate held, not even the lowest tried.`);
      continue;
    }
    const above = steps.filter((s) => s.rate > best.rate).sort((a, b) => a.rate - b.rate)[0];
    const busiest = Math.max(best.generatorCpuPct, above?.generatorCpuPct ?? 0);
    if (busiest >= GENERATOR_BOUND_PCT) {
      lines.push(
        `${SERVER_NAMES[kind]}: the load generator used ${Math.round(busiest)} % of a core at this ceiling (server: ${Math.round(best.serverCpuPct)} %), ` +
          'so it is the generator\'s limit on this machine; the server\'s own is higher, and ratios against it flatter the others.',
      );
    }
  }
  return lines;
}
