/**
 * The soak: `npm run soak [-- --duration-ms 60000]`. Not part of `npm test`.
 *
 * Starts its own redis-server and one Pulse process on loopback, takes a
 * baseline once Pulse is warm and idle, then for the duration opens and
 * closes subscribers over every transport while activity flows, waits for
 * quiescence, and compares: anything a subscriber holds (handles,
 * connections, leases, Redis subscriptions) must be back exactly; memory
 * within stated tolerances (see report.ts). Prints baseline against end and
 * the totals; exits 1 on a violation, 2 on a bad flag, 3 when the run itself
 * overran its time bound.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { mintToken } from '../../server/auth/authenticator.js';
import { spawnPulse, type PulseProcess } from '../support/pulse-process.js';
import { freePort, spawnRedis, type SpawnedRedis } from '../support/redis-server.js';
import { churnSubscribers } from './churn.js';
import { readFigures, type FigureSources, type Figures } from './figures.js';
import { forceGarbageCollection } from './force-gc.js';
import { parseSoakOptions, type SoakOptions } from './options.js';
import { report } from './report.js';
import { startTraffic } from './traffic.js';

const PREFIX = 'soak:';
/** Matches `WARM_UP_SAMPLES` in report.ts: 5 samples are the first 10 s. */
const MEMORY_SAMPLE_EVERY_MS = 2_000;

/** What must be back exactly once Pulse is idle (memory is judged in report.ts). */
const HELD: ReadonlyArray<keyof Figures> = [
  'activeHandles',
  'httpConnections',
  'subscriptions',
  'leasesHeld',
  'leaseKeys',
  'channelSubscribers',
  'pubsubConnections',
  'commandConnections',
];

/**
 * Reads the figures until `settled` holds for two readings in a row (a
 * connection closing between two reads would otherwise pass for idle), or
 * `timeoutMs` passes; returns the last reading either way, and the report
 * judges it.
 */
async function settle(sources: FigureSources, settled: (f: Figures) => boolean, timeoutMs: number): Promise<Figures> {
  const deadline = Date.now() + timeoutMs;
  let streak = 0;
  for (;;) {
    const figures = await readFigures(sources);
    streak = settled(figures) ? streak + 1 : 0;
    if (streak >= 2 || Date.now() > deadline) return figures;
    await delay(500);
  }
}

/** Opens one subscriber per transport and records one batch, so lazily made things (the bus subscription, pools, JIT) exist before the baseline. */
async function warmUp(graphqlUrl: string, admins: readonly string[], ingest: string): Promise<void> {
  const traffic = startTraffic({ graphqlUrl, token: ingest, batchSize: 1, everyMs: 1 });
  const churn = await churnSubscribers({ graphqlUrl, tokens: admins.slice(0, 3), until: Date.now() + 10_000, maxSubscriptions: 3, minLifeMs: 200, maxLifeMs: 200 });
  await traffic.stop();
  if (churn.errorCount > 0) throw new Error(`the warm-up failed: ${churn.errors.join('; ')}`);
}

/** Memory readings under load, and the readings that failed (a scrape that timed out is a finding, not a crash). */
interface MemorySamples {
  heapUsedBytes: number[];
  rssBytes: number[];
  failures: string[];
}

/** Samples heap and RSS every few seconds until stopped (bounded in count too). */
function sampleMemory(sources: FigureSources): { stop(): Promise<MemorySamples> } {
  const samples: MemorySamples = { heapUsedBytes: [], rssBytes: [], failures: [] };
  let running = true;
  const loop = (async () => {
    for (let i = 0; running && i < 100_000; i++) {
      try {
        const { heapUsedBytes, rssBytes } = await readFigures(sources);
        samples.heapUsedBytes.push(heapUsedBytes);
        samples.rssBytes.push(rssBytes);
      } catch (error) {
        samples.failures.push(error instanceof Error ? error.message : String(error));
      }
      await delay(MEMORY_SAMPLE_EVERY_MS);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return samples;
    },
  };
}

async function soak(options: SoakOptions, redisServer: SpawnedRedis, pulse: PulseProcess, secret: string, inspectorPort: number): Promise<string[]> {
  const redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
  try {
    const sources: FigureSources = { pulseUrl: pulse.url, redis, prefix: PREFIX };
    const graphqlUrl = `${pulse.url}/graphql`;
    const admins = await Promise.all(Array.from({ length: options.concurrency }, (_, i) => mintToken({ secret, sub: `soak-admin-${i}`, roles: ['admin'] })));
    const ingest = await mintToken({ secret, sub: 'soak-ingest', roles: ['ingest'] });

    await warmUp(graphqlUrl, admins, ingest);
    await forceGarbageCollection(inspectorPort);
    // Idle: nothing open but the scrape's own connection.
    const baseline = await settle(sources, (f) => f.subscriptions === 0 && f.leasesHeld === 0 && f.httpConnections <= 1, options.quiesceMs);
    console.log(`baseline taken; churning ${options.concurrency} subscribers at a time for ${options.durationMs / 1000} s`);

    const startedAt = Date.now();
    const traffic = startTraffic({ graphqlUrl, token: ingest, batchSize: options.batchSize, everyMs: options.batchEveryMs });
    const memory = sampleMemory(sources);
    const churn = await churnSubscribers({ graphqlUrl, tokens: admins, until: startedAt + options.durationMs, minLifeMs: options.minLifeMs, maxLifeMs: options.maxLifeMs });
    const durationMs = Date.now() - startedAt;
    const [trafficTotals, memorySamples] = await Promise.all([traffic.stop(), memory.stop()]);

    console.log('churn over; waiting for quiescence');
    await settle(sources, (f) => HELD.every((figure) => f[figure] === baseline[figure]), options.quiesceMs);
    await forceGarbageCollection(inspectorPort);
    const end = await settle(sources, (f) => HELD.every((figure) => f[figure] === baseline[figure]), options.quiesceMs);
    const violations = report({ baseline, end, memorySamples, churn, traffic: trafficTotals, durationMs });
    const { failures } = memorySamples;
    if (failures.length > 0) violations.push(`${failures.length} readings under load failed, first: ${failures[0]}`);
    return violations;
  } finally {
    redis.disconnect();
  }
}

async function main(): Promise<number> {
  let options: SoakOptions;
  try {
    options = parseSoakOptions(process.argv.slice(2));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    return 2;
  }
  const secret = randomBytes(32).toString('base64url');
  const redisServer = await spawnRedis();
  let pulse: PulseProcess | undefined;
  // Every phase is bounded; this catches a bound that was not.
  const overran = setTimeout(() => {
    console.error('the soak overran its time bound');
    pulse?.child.kill('SIGKILL');
    void redisServer.stop().finally(() => process.exit(3));
  }, options.durationMs + 3 * options.quiesceMs + 120_000);
  overran.unref();
  const inspectorPort = await freePort();
  try {
    pulse = await spawnPulse({
      // The inspector lets the soak force a garbage collection before each heap reading.
      NODE_OPTIONS: `--inspect=127.0.0.1:${inspectorPort}`,
      REDIS_URL: redisServer.url,
      REDIS_PREFIX: PREFIX,
      JWT_SECRET: secret,
      MAX_SUBSCRIPTIONS_PER_ADMIN: '100000',
      METRICS_TOKEN: undefined,
      LOG_LEVEL: 'warn',
    });
    const violations = await soak(options, redisServer, pulse, secret, inspectorPort);
    for (const violation of violations) console.error(`VIOLATION: ${violation}`);
    console.log(violations.length === 0 ? 'soak passed' : `soak failed: ${violations.length} violation(s)`);
    return violations.length === 0 ? 0 : 1;
  } finally {
    clearTimeout(overran);
    await pulse?.stop();
    await redisServer.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('the soak could not run:', error);
    process.exit(1);
  },
);
