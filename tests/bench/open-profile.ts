/**
 * What opening subscriptions costs Pulse, object by object and function by
 * function: `npx tsx tests/bench/open-profile.ts [--open N] [--pulse-root DIR] [--pulse-backend redis|memory] [--server pulse|raw|yoga] [--cpu] [--node-arg FLAG]... [--env NAME=VALUE]... [--events-ms MS]`.
 * Not part of `npm test`.
 *
 * Starts a Redis (unless memory) and one Pulse process (the production
 * build, as `npm run bench` runs it), opens a few subscriptions to warm it
 * up, takes a heap snapshot, opens N distinct-mode subscriptions (100 at a
 * time, a token of its own subject each, as the bench does), takes another,
 * and prints what the live heap grew by per subscription, by kind of
 * object. With `--cpu` it writes a CPU profile instead (from start to stop,
 * the opening being most of it) and prints where the time went. With
 * `--events-ms`, it then publishes one event per second for that long, as
 * the bench's 1 event/s step does, and prints the delivery latencies.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';
import { spawnRedis, type SpawnedRedis } from '../support/redis-server.js';
import { Redis } from 'ioredis';
import { summariseProfile } from './cpu-profile.js';
import { countCommands } from './redis-commands.js';
import { diffSnapshots, tallySnapshot, totalBytes } from './heap-diff.js';
import type { Target } from './protocol.js';
import { SERVER_KINDS, startServer, type BenchServer, type ServerKind } from './servers.js';
import { SubscriptionPool } from './subscription-pool.js';
import { mintToken } from '../../server/auth/authenticator.js';
import { Publisher } from './publisher.js';
import { runStep } from './step.js';

const { values } = parseArgs({
  options: {
    open: { type: 'string' },
    'pulse-root': { type: 'string' },
    'pulse-backend': { type: 'string' },
    server: { type: 'string' },
    cpu: { type: 'boolean' },
    'node-arg': { type: 'string', multiple: true },
    'events-ms': { type: 'string' },
    env: { type: 'string', multiple: true },
  },
  strict: true,
});
const count = Number(values.open ?? 5000);
const memory = values['pulse-backend'] === 'memory';
const cpu = values.cpu === true;
const kind = (values.server ?? 'pulse') as ServerKind;
if (!SERVER_KINDS.includes(kind)) throw new Error(`--server takes one of ${SERVER_KINDS.join(', ')}`);
const out = await mkdtemp(join(tmpdir(), 'pulse-open-profile-'));
// Output piped into `head` closes early: carry on (and stop what was started) rather than die of EPIPE.
process.stdout.on('error', () => undefined);

/** Waits for the next file named `*.<extension>` in `out` to appear and stop growing. */
async function nextFile(extension: string, known: ReadonlySet<string>): Promise<string> {
  for (;;) {
    const fresh = (await readdir(out)).find((name) => name.endsWith(extension) && !known.has(name));
    if (fresh !== undefined) {
      let size = -1;
      for (let current = (await stat(join(out, fresh))).size; current !== size; current = (await stat(join(out, fresh))).size) {
        size = current;
        await delay(500);
      }
      return join(out, fresh);
    }
    await delay(200);
  }
}

/**
 * Asks the server for a heap snapshot (`--heapsnapshot-signal`) and resolves
 * with its path once written: V8 writes it on the main thread, so the server
 * answers a request again only when it is done.
 */
async function snapshot(server: BenchServer): Promise<string> {
  const known = new Set(await readdir(out));
  process.kill(server.pid, 'SIGUSR2');
  const path = await nextFile('.heapsnapshot', known);
  await fetch(new URL('/healthz', server.graphqlUrl));
  return path;
}

const redis: SpawnedRedis | undefined = memory ? undefined : await spawnRedis();
const redisClient = redis ? new Redis(redis.url) : undefined;
const secret = randomBytes(32).toString('base64url');
const nodeArgs = [...(cpu ? ['--cpu-prof', `--cpu-prof-dir=${out}`] : ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${out}`]), ...(values['node-arg'] ?? [])];
const server = await startServer(
  kind,
  {
    ...(redis ? { REDIS_URL: redis.url, REDIS_PREFIX: 'profile:', BENCH_CHANNEL: 'profile:changes' } : {}),
    JWT_SECRET: secret,
    LOG_LEVEL: 'warn',
    WORKERS: '1',
    MAX_SUBSCRIPTIONS_PER_ADMIN: '100000',
    ...Object.fromEntries((values.env ?? []).map((pair) => pair.split('=', 2) as [string, string])),
  },
  values['pulse-root'],
  nodeArgs,
);
const ingestToken = await mintToken({ secret, sub: 'profile-ingest', roles: ['ingest'], expiresIn: '2h' });
const target: Target = { graphqlUrl: server.graphqlUrl, adminToken: '', ingestToken, tokenSecret: secret };
const publisher = new Publisher(target, 1000);
await publisher.prepare();
const pool = new SubscriptionPool();
try {
  await pool.topUp(target, 50, 50);
  pool.closeAll();
  await delay(1000);
  const before = cpu ? undefined : await snapshot(server);
  const rssBefore = server.rssBytes();
  const [serverCpuBefore, clientCpuBefore] = [server.cpuSeconds(), process.cpuUsage()];
  const { value: opened, byCommand } = redisClient
    ? await countCommands([redisClient], () => pool.topUp(target, count, 100))
    : { value: await pool.topUp(target, count, 100), byCommand: {} };
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const perOpen = (seconds: number): string => `${Math.round((seconds * 1e6) / opened.opened)} µs`;
  console.log(`CPU per subscription opened: server ${perOpen(server.cpuSeconds() - serverCpuBefore)}, client ${perOpen((clientCpu.user + clientCpu.system) / 1e6)} (tokens minted first included)`);
  if (redisClient) console.log(`Redis commands while opening: ${JSON.stringify(byCommand)}`);
  if (opened.failed > 0) console.log(`${opened.failed} failed to open, first: ${opened.errors[0]}`);
  await delay(2000);
  const rssAfter = server.rssBytes();
  console.log(`${opened.opened} opened in ${Math.round(opened.elapsedMs)} ms (${Math.round(opened.opened / (opened.elapsedMs / 1000))}/s); RSS +${((rssAfter - rssBefore) / opened.opened / 1024).toFixed(1)} KB each`);
  const eventsMs = Number(values['events-ms'] ?? 0);
  if (eventsMs > 0) {
    const step = await runStep({ target, rate: 1, warmMs: 1000, measureMs: eventsMs, drainMs: 20_000 }, pool, publisher);
    console.log(`1 event/s x ${step.subscribers}: p50 ${step.latency.p50} ms, p99 ${step.latency.p99} ms, max ${step.latency.max} ms, ${step.missing} missing`);
  }
  if (before !== undefined) {
    const [was, now] = [await tallySnapshot(before), await tallySnapshot(await snapshot(server))];
    console.log(`live heap +${((totalBytes(now) - totalBytes(was)) / opened.opened).toFixed(0)} bytes per subscription; by kind (count, bytes per subscription):`);
    for (const line of diffSnapshots(was, now, opened.opened).slice(0, 40)) {
      console.log(`  ${line.bytesPerUnit.toFixed(0).padStart(6)} B  ${line.countPerUnit.toFixed(2).padStart(6)}x  ${line.kind}`);
    }
  }
} finally {
  pool.closeAll();
  publisher.close();
  await server.stop();
  redisClient?.disconnect();
  await redis?.dispose();
}
// Heap snapshots are hundreds of MB each: gone once read. A CPU profile stays, for a closer look.
if (!cpu) await rm(out, { recursive: true, force: true });
if (cpu) {
  const profile = await nextFile('.cpuprofile', new Set());
  const { totalMs, functions, origins } = await summariseProfile(profile);
  console.log(`CPU profile ${profile}: ${Math.round(totalMs)} ms sampled, by origin:`);
  for (const origin of origins.slice(0, 15)) console.log(`  ${origin.ms.toFixed(0).padStart(6)} ms  ${(origin.share * 100).toFixed(1).padStart(5)} %  ${origin.where}`);
  console.log('by function (self time):');
  for (const fn of functions) console.log(`  ${fn.ms.toFixed(0).padStart(6)} ms  ${(fn.share * 100).toFixed(1).padStart(5)} %  ${fn.where}`);
}
process.exit(0);
