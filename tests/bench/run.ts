/**
 * The benchmark of issue 5: `npm run bench [-- --quick] [--only pulse,raw,yoga] [--scenarios open,throughput,queries]`.
 * Not part of `npm test`.
 *
 * Starts a redis-server (or uses REDIS_URL) and the load generator (its own
 * process), then measures each server in turn, freshly started and alone:
 * Pulse, a raw node:http SSE server (the ceiling) and a bare Yoga server
 * over Redis pub/sub (the obvious setup). Prints one table of the figures
 * and the targets' ratios, and writes everything as JSON to
 * `tests/bench/results/<ISO timestamp>.json`. Exits 0 when it ran to the
 * end (missed targets are findings, not failures), 1 when a scenario could
 * not run, 2 for bad flags, 3 when it overran its time bound.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { mintToken } from '../../server/auth/authenticator.js';
import { spawnRedisCluster, type SpawnedCluster } from '../support/redis-cluster.js';
import { spawnRedis, type SpawnedRedis } from '../support/redis-server.js';
import { GeneratorClient } from './generator-client.js';
import { parseBenchOptions, USAGE, type BenchOptions, type PulseBackend } from './options.js';
import { describePrivacyRuns, PRIVACY_VARIANTS, privacyRun, type PrivacyRun } from './privacy.js';
import type { Target } from './protocol.js';
import { openScenario, queriesScenario, throughputScenario, type BenchContext, type ServerUnderTest } from './scenarios.js';
import { killStartedServers, SERVER_NAMES, startServer, type ServerKind } from './servers.js';
import { caveats, renderTable, verdicts, type Results, type ServerResults } from './table.js';

const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Far above a full run (about 8 minutes); catches a phase that hangs. */
const TIME_BOUND_MS = 40 * 60_000;

/** Everything a server needs to run with the bench's Redis and secrets. */
interface RunSetup {
  readonly redisUrl: string;
  readonly runId: string;
  readonly secret: string;
  readonly tokens: { readonly admin: string; readonly ingest: string };
  readonly pulseRoot: string | undefined;
  readonly pulseBackend: PulseBackend;
  /** The masters (`host:port`) of the cluster started for `--pulse-backend redis-cluster`. */
  readonly clusterNodes: readonly string[];
}

/** Where Pulse keeps its state: nothing (memory), the bench's Redis, or the cluster started for the run. */
function stateEnv(setup: RunSetup, prefix: string): Record<string, string> {
  if (setup.pulseBackend === 'memory') return {};
  if (setup.pulseBackend === 'redis-cluster') return { REDIS_CLUSTER_NODES: setup.clusterNodes.join(','), REDIS_PREFIX: prefix };
  return { REDIS_URL: setup.redisUrl, REDIS_PREFIX: prefix };
}

function serverEnv(kind: ServerKind, setup: RunSetup, prefix: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  if (kind !== 'pulse') return { REDIS_URL: setup.redisUrl, BENCH_CHANNEL: `${prefix}changes` };
  return {
    ...stateEnv(setup, prefix),
    JWT_SECRET: setup.secret,
    LOG_LEVEL: 'warn',
    // The targets are for one process on two cores (the generator and Redis take the rest); ignored by a Pulse without workers.
    WORKERS: '1',
    MAX_SUBSCRIPTIONS_PER_ADMIN: '100000',
    // Nothing may expire during the run: the seeded sessions and the step pool must stay active.
    IDLE_TIMEOUT_MS: '3600000',
    // Room for `--seed-batch` up to Pulse's maximum; the default run uses Pulse's default of 500.
    MAX_BATCH_SIZE: '10000',
    MAX_REQUEST_BODY_BYTES: '16777216',
    ...extra,
  };
}

/** Starts `kind` fresh, runs `body` against it, and always stops it and clears its Redis keys. */
async function withServer<T>(
  kind: ServerKind,
  setup: RunSetup,
  redis: Redis,
  label: string,
  body: (sut: ServerUnderTest) => Promise<T>,
  env: Readonly<Record<string, string>> = {},
): Promise<{ value: T; problems: Record<string, number> }> {
  const prefix = `bench:${setup.runId}:${label}:`;
  const server = await startServer(kind, serverEnv(kind, setup, prefix, env), setup.pulseRoot);
  const target: Target = { graphqlUrl: server.graphqlUrl, adminToken: setup.tokens.admin, tokenSecret: setup.secret, ingestToken: setup.tokens.ingest };
  try {
    return { value: await body({ server, target }), problems: server.problems() };
  } finally {
    await server.stop();
    await deleteKeys(redis, prefix);
  }
}

/** Deletes a run's keys by prefix (SCAN, never KEYS), so a shared REDIS_URL is left as it was. */
async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  const stream = redis.scanStream({ match: `${prefix}*`, count: 10_000 });
  for await (const keys of stream as AsyncIterable<string[]>) if (keys.length > 0) await redis.unlink(...keys);
}

/** The streaming scenarios of one server, each caught so that one failure does not cost the rest of the run. */
async function measureServer(kind: ServerKind, setup: RunSetup, ctx: BenchContext): Promise<ServerResults> {
  const results: ServerResults = { problems: {}, errors: [] };
  const wanted = ctx.options.scenarios.filter((s) => s === 'open' || s === 'throughput');
  if (wanted.length === 0) return results;
  ctx.log(`${SERVER_NAMES[kind]}:`);
  try {
    const { problems } = await withServer(kind, setup, ctx.redis, kind, async (sut) => {
      await ctx.gen.call('prepare', { target: sut.target });
      for (const scenario of wanted) {
        try {
          if (scenario === 'open') results.open = await openScenario(ctx, sut);
          else results.throughput = await throughputScenario(ctx, sut);
        } catch (error) {
          results.errors.push(`${scenario}: ${describe(error)}`);
          ctx.log(`  ${scenario} failed: ${describe(error)}`);
          await ctx.gen.call('close', {});
        }
      }
    });
    results.problems = problems;
  } catch (error) {
    results.errors.push(describe(error));
    ctx.log(`  ${describe(error)}`);
  }
  return results;
}

/** Pulse's seeding and queries, on a Pulse of its own so the million sessions weigh on nothing else. */
async function measureQueries(setup: RunSetup, ctx: BenchContext, into: ServerResults): Promise<void> {
  ctx.log('Pulse, 1M sessions:');
  try {
    const { value, problems } = await withServer('pulse', setup, ctx.redis, 'queries', (sut) => queriesScenario(ctx, sut));
    into.queries = value;
    for (const [message, count] of Object.entries(problems)) into.problems[message] = (into.problems[message] ?? 0) + count;
  } catch (error) {
    into.errors.push(`queries: ${describe(error)}`);
    ctx.log(`  queries failed: ${describe(error)}`);
  }
}

/** One fresh Pulse per privacy variant, seeded alike (see ./privacy.ts). */
async function measurePrivacy(setup: RunSetup, ctx: BenchContext, into: ServerResults): Promise<void> {
  ctx.log(`Pulse, personal data (${ctx.options.privacySessions} sessions per variant):`);
  const runs: PrivacyRun[] = [];
  for (const [index, variant] of PRIVACY_VARIANTS.entries()) {
    try {
      const label = `privacy-${index}`;
      const { value } = await withServer('pulse', setup, ctx.redis, label, (sut) => privacyRun(ctx, sut, variant.label), variant.env);
      runs.push(value);
    } catch (error) {
      into.errors.push(`privacy ${variant.label}: ${describe(error)}`);
      ctx.log(`  ${variant.label} failed: ${describe(error)}`);
    }
  }
  into.privacy = runs;
}

/** The commit Pulse ran from (its working tree may hold more), or `unknown` outside a git checkout. Read-only. */
function commitOf(root: string): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function writeResults(startedAt: Date, options: BenchOptions, redisVersion: string, results: Results): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const path = `${RESULTS_DIR}${startedAt.toISOString().replaceAll(':', '-')}.json`;
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model, loadAverageAtEnd: loadavg(), node: process.version, redis: redisVersion };
  const pulse = { root: options.pulseRoot ?? ROOT, commit: commitOf(options.pulseRoot ?? ROOT) };
  const report = { startedAt: startedAt.toISOString(), finishedAt: new Date().toISOString(), machine, pulse, options, verdicts: verdicts(results, options), caveats: caveats(results), results };
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
  return path;
}

async function run(options: BenchOptions, redisUrl: string, cluster: SpawnedCluster | undefined): Promise<number> {
  const startedAt = new Date();
  const secret = randomBytes(32).toString('base64url');
  const [admin, ingest] = await Promise.all([
    mintToken({ secret, sub: 'bench-admin', roles: ['admin'], expiresIn: '2h' }),
    mintToken({ secret, sub: 'bench-ingest', roles: ['ingest'], expiresIn: '2h' }),
  ]);
  const clusterNodes = cluster?.nodes ?? [];
  const setup: RunSetup = { redisUrl, runId: startedAt.getTime().toString(36), secret, tokens: { admin, ingest }, pulseRoot: options.pulseRoot, pulseBackend: options.pulseBackend, clusterNodes };
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  // Each master is read on its own: its INFO tells its share of the work.
  const masters = clusterNodes.map((node) => new Redis(`redis://${node}`, { maxRetriesPerRequest: 1 }));
  const gen = GeneratorClient.start();
  const ctx: BenchContext = { gen, redis, stateNodes: masters.length > 0 ? masters : [redis], options, log: (line) => console.log(line) };
  try {
    const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? '?';
    console.log(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(' ')} (${cpus().length} cores; others' work skews every figure alike)`);
    console.log(`Pulse's backend: ${options.pulseBackend}${cluster ? ` (${cluster.nodes.length} masters: ${cluster.nodes.join(', ')})` : ''}`);
    const results: Results = {};
    for (const kind of options.servers) results[kind] = await measureServer(kind, setup, ctx);
    if (options.servers.includes('pulse') && options.scenarios.includes('queries')) await measureQueries(setup, ctx, (results.pulse ??= { problems: {}, errors: [] }));
    if (options.servers.includes('pulse') && options.scenarios.includes('privacy')) await measurePrivacy(setup, ctx, (results.pulse ??= { problems: {}, errors: [] }));
    console.log(`\n${renderTable(verdicts(results, options))}\n`);
    for (const line of describePrivacyRuns(results.pulse?.privacy ?? [])) console.log(line);
    for (const line of caveats(results)) console.log(line);
    console.log(`load average at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    for (const kind of options.servers) {
      const { problems = {}, errors = [] } = results[kind] ?? {};
      for (const [message, count] of Object.entries(problems)) console.log(`${SERVER_NAMES[kind]} logged ${count}x: ${message}`);
      for (const error of errors) console.log(`${SERVER_NAMES[kind]} scenario error: ${error}`);
    }
    console.log(`\nresults: ${await writeResults(startedAt, options, redisVersion, results)}`);
    return options.servers.some((kind) => (results[kind]?.errors.length ?? 0) > 0) ? 1 : 0;
  } finally {
    gen.stop();
    redis.disconnect();
    for (const master of masters) master.disconnect();
  }
}

async function main(): Promise<number> {
  let options: BenchOptions | 'help';
  try {
    options = parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`${describe(error)}\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const given = process.env.REDIS_URL;
  const spawned: SpawnedRedis | undefined = given === undefined ? await spawnRedis() : undefined;
  const cluster = options.pulseBackend === 'redis-cluster' ? await spawnRedisCluster(options.masters) : undefined;
  const overran = setTimeout(() => {
    console.error('the bench overran its time bound');
    killStartedServers();
    void Promise.allSettled([spawned?.dispose(), cluster?.dispose()]).finally(() => process.exit(3));
  }, TIME_BOUND_MS);
  overran.unref();
  try {
    return await run(options, given ?? spawned!.url, cluster);
  } finally {
    clearTimeout(overran);
    await Promise.all([spawned?.dispose(), cluster?.dispose()]);
  }
}

process.exitCode = await main();
