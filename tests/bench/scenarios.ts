/** The measurements, run from the orchestrator against one started server through the load generator. */
import { setTimeout as delay } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { GeneratorClient } from './generator-client.js';
import type { BenchOptions } from './options.js';
import type { OpenResult, QueryResult, SeedResult, StepResult, Target } from './protocol.js';
import { held, searchRate } from './rate-search.js';
import { countCommands, maxOverMean, redisCpuSeconds, redisUsedMemory, type CommandCount } from './redis-commands.js';
import type { BenchServer } from './servers.js';

/** Drain of the one-event-per-second step. */
const SLOW_DRAIN_MS = 20_000;

/** What every scenario needs. */
export interface BenchContext {
  readonly gen: GeneratorClient;
  /** The orchestrator's connection to the bench's Redis: the baselines' pub/sub, and Pulse's state on `--pulse-backend redis`. */
  readonly redis: Redis;
  /** The orchestrator's own connections, for INFO, to every Redis that holds Pulse's state: one, or each master of a cluster. */
  readonly stateNodes: readonly Redis[];
  readonly options: BenchOptions;
  /** A progress line. */
  readonly log: (line: string) => void;
}

/** A server and how the generator reaches it. */
export interface ServerUnderTest {
  readonly server: BenchServer;
  readonly target: Target;
}

/** A step, with the server's side of it. */
export interface StepRecord extends StepResult {
  /** CPU the server used during the step, in percent of one core. */
  readonly serverCpuPct: number;
  readonly held: boolean;
}

/** The rate search with `subscribers` open. */
export interface ThroughputResult {
  readonly subscribers: number;
  readonly open: OpenResult;
  /** Deliveries per second of the best step that held; 0 when none did. */
  readonly maxDeliveriesPerSec: number;
  readonly best: StepRecord | null;
  readonly steps: readonly StepRecord[];
}

/** Redis commands while nothing happens. */
export interface IdleResult {
  readonly ms: number;
  readonly subscribers: number;
  readonly commands: number;
  /** The same, per command name (lower case, scripts' inner commands included). */
  readonly byCommand: Record<string, number>;
  readonly commandsPerSec: number;
  readonly perSubscriberPerSec: number;
}

/** Opening many subscriptions: the rate, the memory, the idle cost and the latency at one event per second. */
export interface OpenScenarioResult {
  readonly open: OpenResult;
  readonly subscriptionsPerSec: number;
  /** Redis commands issued while opening, per subscription opened. */
  readonly redisCommandsPerSubscription: number;
  readonly openCommands: CommandCount;
  readonly rssBeforeBytes: number;
  readonly rssAfterBytes: number;
  readonly memoryPerSubscriptionBytes: number;
  readonly idle: IdleResult;
  readonly oneEventPerSec: StepRecord;
}

/** An ingest run with what it cost. */
export interface IngestRecord {
  readonly seed: SeedResult;
  /** CPU Pulse used meanwhile, in percent of one core. */
  readonly serverCpuPct: number;
  /** Pulse's and Redis's CPU (user + system) per recorded event, in µs: what the rate costs, whatever else the machine runs. */
  readonly pulseCpuMicrosPerEvent: number;
  readonly redisCpuMicrosPerEvent: number;
  /** Redis commands per recorded event (scripts' inner commands included). */
  readonly redisCommandsPerEvent: number;
  /**
   * How evenly the work spread over the Redis masters: the busiest master's
   * commands (and CPU) over the mean; 1 on one Redis.
   */
  readonly commandsMaxOverMean: number;
  readonly cpuMaxOverMean: number;
  /** Redis CPU per recorded event on each master, in µs. */
  readonly redisCpuMicrosPerEventByNode: readonly number[];
}

/**
 * Runs one ingest through the generator and measures what it cost Pulse and
 * Redis, per recorded event, and the Redis commands it caused.
 */
async function measuredIngest(ctx: BenchContext, sut: ServerUnderTest, send: () => Promise<SeedResult>): Promise<IngestRecord & { readonly commands: CommandCount }> {
  const pulseBefore = sut.server.cpuSeconds();
  const redisBefore = await redisCpuSeconds(ctx.stateNodes);
  const { value: seed, ...commands } = await countCommands(ctx.stateNodes, send);
  const pulseSeconds = sut.server.cpuSeconds() - pulseBefore;
  const byNode = (await redisCpuSeconds(ctx.stateNodes)).map((seconds, i) => seconds - (redisBefore[i] as number));
  const redisSeconds = byNode.reduce((sum, n) => sum + n, 0);
  const events = Math.max(1, seed.recorded);
  return {
    seed,
    serverCpuPct: (pulseSeconds / (seed.elapsedMs / 1000)) * 100,
    pulseCpuMicrosPerEvent: (pulseSeconds * 1e6) / events,
    redisCpuMicrosPerEvent: (redisSeconds * 1e6) / events,
    redisCommandsPerEvent: commands.commands / events,
    commandsMaxOverMean: maxOverMean(commands.perNode),
    cpuMaxOverMean: maxOverMean(byNode),
    redisCpuMicrosPerEventByNode: byNode.map((seconds) => (seconds * 1e6) / events),
    commands,
  };
}

/** The progress line of an ingest run. */
function describeIngest(record: IngestRecord): string {
  const { seed, serverCpuPct, pulseCpuMicrosPerEvent, redisCpuMicrosPerEvent, redisCommandsPerEvent, redisCpuMicrosPerEventByNode } = record;
  const masters =
    redisCpuMicrosPerEventByNode.length > 1
      ? ` (per master: ${redisCpuMicrosPerEventByNode.map((micros) => micros.toFixed(1)).join(' / ')} µs; max/mean commands ${record.commandsMaxOverMean.toFixed(2)}, CPU ${record.cpuMaxOverMean.toFixed(2)})`
      : '';
  return (
    `  ${seed.recorded} recorded in ${(seed.elapsedMs / 1000).toFixed(1)} s: ${Math.round(seed.eventsPerSec)} events/s, server CPU ${Math.round(serverCpuPct)} %, ` +
    `CPU per event: Pulse ${pulseCpuMicrosPerEvent.toFixed(1)} µs, Redis ${redisCpuMicrosPerEvent.toFixed(1)} µs${masters}; ${redisCommandsPerEvent.toFixed(1)} Redis commands per event` +
    `${seed.failures > 0 ? `, ${seed.failures} failed batches: ${seed.errors[0]}` : ''}`
  );
}

/** Seeding (the ingest figure) and the query latencies over the seeded state. */
export interface QueriesResult {
  readonly seed: SeedResult;
  /** CPU Pulse used while seeding, in percent of one core. */
  readonly seedServerCpuPct: number;
  /** Pulse's and Redis's CPU (user + system) per seeded event, in µs. */
  readonly seedPulseCpuMicrosPerEvent: number;
  readonly seedRedisCpuMicrosPerEvent: number;
  /** Redis commands per recorded event while seeding (scripts' inner commands included). */
  readonly redisCommandsPerEvent: number;
  readonly seedCommands: CommandCount;
  readonly queries: QueryResult;
  /** Redis `used_memory` after seeding. */
  readonly redisUsedMemoryBytes: number;
  /** The mixed ingest, after the queries (see {@link MIXED_POOL}), with the commands it caused. */
  readonly mixed: IngestRecord & { readonly commands?: CommandCount };
}

/**
 * The mixed ingest's pool, shaped like the independent measurement of issue
 * 11: 20k sessions of 5k users, `seedConcurrency` clients sending
 * `seedBatch` events per request.
 */
export const MIXED_POOL = { sessions: 20_000, users: 5_000 } as const;

/** Opens subscriptions and fails loudly when none could be: the rest would measure nothing. */
async function open(ctx: BenchContext, { target }: ServerUnderTest, count: number): Promise<OpenResult> {
  const result = await ctx.gen.call('open', { target, count, concurrency: ctx.options.openConcurrency });
  if (result.failed > 0) ctx.log(`  ${result.failed} subscriptions failed to open, first: ${result.errors[0] ?? '?'}`);
  if (result.open === 0) throw new Error(`no subscription could be opened: ${result.errors.join('; ')}`);
  return result;
}

/** One step, topping subscribers back up first if the previous one dropped some. */
async function step(ctx: BenchContext, sut: ServerUnderTest, subscribers: number, rate: number, measureMs: number, drainMs = ctx.options.drainMs): Promise<StepRecord> {
  const { stepWarmMs } = ctx.options;
  await open(ctx, sut, subscribers);
  const cpuBefore = sut.server.cpuSeconds();
  const startedAt = Date.now();
  const result = await ctx.gen.call('step', { target: sut.target, rate, warmMs: stepWarmMs, measureMs, drainMs });
  const serverCpuPct = ((sut.server.cpuSeconds() - cpuBefore) / ((Date.now() - startedAt) / 1000)) * 100;
  const record = { ...result, serverCpuPct, held: held(result) };
  ctx.log(describeStep(record));
  if (!record.held) {
    // An overloaded server keeps a backlog in its per-subscriber queues; fresh streams start the next step clean.
    await ctx.gen.call('close', {});
    await delay(1000);
  }
  return record;
}

function describeStep(s: StepRecord): string {
  const lost = `${s.missing > 0 ? `, ${s.missing} missing` : ''}${s.excess > 0 ? `, ${s.excess} in excess` : ''}`;
  const dropped = s.dropped > 0 ? `, ${s.dropped} dropped` : '';
  const failures = s.publishFailures > 0 ? `, ${s.publishFailures} publish failures` : '';
  const verdict = s.held ? 'held' : `failed${s.errors[0] ? ` (${s.errors[0].slice(0, 120)})` : ''}`;
  return (
    `  ${s.rate} events/s x ${s.subscribers}: ${Math.round(s.deliveriesPerSec)} deliveries/s, p50 ${s.latency.p50} ms, p99 ${s.latency.p99} ms, max ${s.latency.max} ms` +
    `${lost}${dropped}${failures}; server CPU ${Math.round(s.serverCpuPct)} %, generator CPU ${Math.round(s.generatorCpuPct)} %: ${verdict}`
  );
}

/** A few subscribers and events first, so lazily loaded code and connections exist before anything is measured. */
async function warmUp(ctx: BenchContext, sut: ServerUnderTest): Promise<void> {
  await ctx.gen.call('open', { target: sut.target, count: 10, concurrency: 10 });
  await ctx.gen.call('step', { target: sut.target, rate: 20, warmMs: 300, measureMs: 700, drainMs: 1000 });
  await ctx.gen.call('close', {});
  await delay(1000);
}

/** Counts Redis commands over a quiet period, by command. */
async function idleCost(ctx: BenchContext, subscribers: number): Promise<IdleResult> {
  const ms = ctx.options.idleMs;
  const { commands, byCommand } = await countCommands(ctx.stateNodes, () => delay(ms));
  const commandsPerSec = commands / (ms / 1000);
  return { ms, subscribers, commands, byCommand, commandsPerSec, perSubscriberPerSec: commandsPerSec / subscribers };
}

/**
 * Opens `openCount` subscriptions (their rate, and RSS before and after for
 * the memory each costs), leaves them idle (Redis commands), then publishes
 * one event per second and measures its delivery to all of them.
 */
export async function openScenario(ctx: BenchContext, sut: ServerUnderTest): Promise<OpenScenarioResult> {
  const { openCount, slowRateMs } = ctx.options;
  await warmUp(ctx, sut);
  const rssBeforeBytes = sut.server.rssBytes();
  ctx.log(`  opening ${openCount} subscriptions`);
  const { value: opened, ...openCommands } = await countCommands(ctx.stateNodes, () => open(ctx, sut, openCount));
  const subscriptionsPerSec = opened.opened / (opened.elapsedMs / 1000);
  const redisCommandsPerSubscription = openCommands.commands / Math.max(1, opened.opened);
  // Let the last connections' buffers and the allocator settle before reading RSS.
  await delay(2000);
  const rssAfterBytes = sut.server.rssBytes();
  const memoryPerSubscriptionBytes = (rssAfterBytes - rssBeforeBytes) / Math.max(1, opened.opened);
  ctx.log(
    `  ${Math.round(subscriptionsPerSec)} subscriptions/s, ${(memoryPerSubscriptionBytes / 1024).toFixed(1)} KB each, ` +
      `${redisCommandsPerSubscription.toFixed(1)} Redis commands each ${JSON.stringify(openCommands.byCommand)}; idle for ${ctx.options.idleMs / 1000} s`,
  );
  const idle = await idleCost(ctx, opened.open);
  ctx.log(`  idle: ${idle.commands} Redis commands in ${idle.ms / 1000} s ${JSON.stringify(idle.byCommand)}`);
  // A long drain: with this many subscribers a slow server is seconds late, and late is not lost.
  const oneEventPerSec = await step(ctx, sut, opened.open, 1, slowRateMs, SLOW_DRAIN_MS);
  await ctx.gen.call('close', {});
  await delay(1000);
  return { open: opened, subscriptionsPerSec, redisCommandsPerSubscription, openCommands, rssBeforeBytes, rssAfterBytes, memoryPerSubscriptionBytes, idle, oneEventPerSec };
}

/** Opens `subscribers` and searches the highest rate that holds (see {@link searchRate}). */
export async function throughputScenario(ctx: BenchContext, sut: ServerUnderTest): Promise<ThroughputResult> {
  const { subscribers, startRate, bisectSteps, stepMeasureMs } = ctx.options;
  const opened = await open(ctx, sut, subscribers);
  ctx.log(`  ${opened.open} subscribers open; searching the rate`);
  const { best, steps } = await searchRate((rate) => step(ctx, sut, subscribers, rate, stepMeasureMs), startRate, bisectSteps);
  await ctx.gen.call('close', {});
  await delay(1000);
  return { subscribers, open: opened, maxDeliveriesPerSec: best?.deliveriesPerSec ?? 0, best, steps };
}

/** Seeds `sessions` active sessions through the mutation, then times the two queries. */
export async function queriesScenario(ctx: BenchContext, sut: ServerUnderTest): Promise<QueriesResult> {
  const { sessions, seedBatch, seedConcurrency, queryCount } = ctx.options;
  ctx.log(`  seeding ${sessions} sessions (batches of ${seedBatch}, ${seedConcurrency} in flight)`);
  const seeded = await measuredIngest(ctx, sut, () => ctx.gen.call('seed', { target: sut.target, sessions, batchSize: seedBatch, concurrency: seedConcurrency }));
  ctx.log(describeIngest(seeded));
  const usedMemory = await redisUsedMemory(ctx.stateNodes);
  const queries = await ctx.gen.call('queries', { target: sut.target, count: queryCount });
  ctx.log(`  activeUsers p99 ${queries.activeUsers.p99.toFixed(2)} ms, stats p99 ${queries.stats.p99.toFixed(2)} ms${queries.failures > 0 ? `, ${queries.failures} failed: ${queries.errors[0]}` : ''}`);
  const mixed = await mixedIngestRun(ctx, sut);
  return {
    seed: seeded.seed,
    seedServerCpuPct: seeded.serverCpuPct,
    seedPulseCpuMicrosPerEvent: seeded.pulseCpuMicrosPerEvent,
    seedRedisCpuMicrosPerEvent: seeded.redisCpuMicrosPerEvent,
    redisCommandsPerEvent: seeded.redisCommandsPerEvent,
    seedCommands: seeded.commands,
    queries,
    redisUsedMemoryBytes: usedMemory,
    mixed,
  };
}

/** Records the mixed ingest's pool on the seeded server, then times the mixed ingest and what it cost. */
async function mixedIngestRun(ctx: BenchContext, sut: ServerUnderTest): Promise<QueriesResult['mixed']> {
  const { mixedEvents, seedBatch, seedConcurrency } = ctx.options;
  const args = { target: sut.target, ...MIXED_POOL, events: mixedEvents, batchSize: seedBatch, clients: seedConcurrency };
  ctx.log(`  mixed ingest: ${mixedEvents} events over ${MIXED_POOL.sessions} sessions of ${MIXED_POOL.users} users (${seedConcurrency} clients x ${seedBatch} events)`);
  const pool = await ctx.gen.call('recordPool', args);
  // Without its whole pool the load would start sessions instead of updating them: reported as failed, not timed.
  if (pool.failures > 0) {
    const seed = { ...pool, recorded: 0, eventsPerSec: 0 };
    return { seed, serverCpuPct: 0, pulseCpuMicrosPerEvent: 0, redisCpuMicrosPerEvent: 0, redisCommandsPerEvent: 0, commandsMaxOverMean: 1, cpuMaxOverMean: 1, redisCpuMicrosPerEventByNode: [] };
  }
  const mixed = await measuredIngest(ctx, sut, () => ctx.gen.call('mixedIngest', args));
  ctx.log(describeIngest(mixed));
  return mixed;
}
