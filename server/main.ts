import cluster from 'node:cluster';
import { setTimeout as delay } from 'node:timers/promises';
import type { DemoTraffic } from '../client/demo/traffic.js';
import { generateDevSecret, mintToken } from './auth/authenticator.js';
import { announceReady, inheritedDevSecret, SHUTDOWN_MARGIN_MS, startCluster, type RunningCluster } from './root/cluster.js';
import { ConfigError, loadConfig, type Config } from './config/index.js';
import { formatRedisNode } from './config/redis-nodes.js';
import { authMode } from './auth/dev-mode.js';
import { createLogger, type Logger } from './observability/logger.js';
import { startPulse, type RunningPulse } from './root/pulse.js';
import { redactUrl } from './redis/connect.js';

/** Tokens printed in dev mode, so a newcomer can try everything at once. */
interface DevTokens {
  readonly secret: string;
  readonly admin: string;
  readonly ingest: string;
}

/** @param secret - what to sign with when `JWT_SECRET` is unset: a fresh one, or in a worker its primary's */
async function devTokens(config: Config, secret: string | undefined): Promise<DevTokens | undefined> {
  if (config.jwtSecret) return undefined;
  // A per-worker secret would make each token valid on one worker only; better not to start.
  if (secret === undefined) throw new Error('this worker got no dev secret from its primary');
  const [admin, ingest] = await Promise.all([
    mintToken({ secret, sub: 'dev-admin', roles: ['admin'], expiresIn: '30d' }),
    mintToken({ secret, sub: 'dev-ingest', roles: ['ingest'], expiresIn: '30d' }),
  ]);
  return { secret, admin, ingest };
}

/** Where the state lives, for the banner: never a password. */
function describeBackend({ redisUrl, redisClusterNodes, redisPartitions, redisClusterTls }: Config): string {
  if (redisClusterNodes) return `Redis Cluster at ${redisClusterNodes.map(formatRedisNode).join(',')}, ${redisPartitions} partitions${redisClusterTls ? ', over TLS' : ''}`;
  return redisUrl ? `Redis at ${redactUrl(redisUrl)}` : 'in memory';
}

/** Plain lines on stdout (not log records), meant for a person or a script to copy. */
function printBanner(url: string, config: Config, tokens: DevTokens | undefined): void {
  const backend = describeBackend(config);
  const lines = ['', `Pulse is running on ${url} (${backend}${config.workers > 1 ? `, ${config.workers} workers` : ''})`, `GraphiQL:   ${url}/graphql`];
  if (tokens) {
    lines.push(
      'Dashboard (signed in through the link):',
      `${url}/#token=${tokens.admin}`,
      '',
      'No JWT_SECRET is set, so these tokens are signed with a random secret that lives until Pulse stops:',
      `Admin token:  ${tokens.admin}`,
      `Ingest token: ${tokens.ingest}`,
    );
  } else {
    lines.push(`Dashboard:  ${url}/  (mint a token: npm run token -- --sub alice --role admin)`);
  }
  if (config.demo) lines.push('', 'Demo traffic is on: simulated visitors are recorded through the ingest API (stop Pulse to end it).');
  process.stdout.write(`${lines.join('\n')}\n\n`);
}

/**
 * `--demo`: simulated visitors through the public ingest API, with the dev
 * ingest token or, when `JWT_SECRET` is set, one minted for the purpose.
 */
async function startDemo(url: string, logger: Logger, config: Config, tokens: DevTokens | undefined): Promise<DemoTraffic> {
  const token = tokens?.ingest ?? (await demoIngestToken(config));
  // Loaded only here: a normal start needs none of the client code.
  const { startDemoTraffic } = await import('../client/demo/traffic.js');
  logger.info('demo traffic started: simulated visitors are being recorded');
  return startDemoTraffic({ url, token, onError: (problem) => logger.warn({ problem }, 'demo traffic') });
}

/** Without dev tokens, `JWT_SECRET` is set (see {@link devTokens}); the demo signs its own token with it. */
function demoIngestToken({ jwtSecret, jwtIssuer, jwtAudience }: Config): Promise<string> {
  if (jwtSecret === undefined) throw new Error('the demo needs JWT_SECRET or dev mode to sign its ingest token');
  return mintToken({ secret: jwtSecret, sub: 'demo-traffic', roles: ['ingest'], expiresIn: '30d', issuer: jwtIssuer, audience: jwtAudience });
}

/**
 * SIGTERM / SIGINT: stop accepting, drop every stream (clients reconnect
 * elsewhere and resume), release leases, exit 0; exit 1 when that takes
 * longer than `SHUTDOWN_GRACE_MS`.
 */
function onShutdownSignals(pulse: RunningPulse, demo: DemoTraffic | undefined, graceMs: number): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    pulse.services.logger.info({ signal, graceMs }, 'shutting down');
    // Unref'd: a shutdown that finishes in time must not wait for it.
    setTimeout(() => {
      pulse.services.logger.error({ graceMs }, 'shutdown took longer than SHUTDOWN_GRACE_MS; exiting anyway');
      process.exit(1);
    }, graceMs).unref();
    // The demo goes first, so it sends what it queued while Pulse still listens.
    const stopped = demo ? demo.stop() : Promise.resolve();
    stopped
      .then(() => pulse.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          pulse.services.logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/**
 * SIGTERM / SIGINT in a cluster's primary: the demo stops first, since it
 * sends through the workers (given at most {@link SHUTDOWN_MARGIN_MS}, so
 * the whole shutdown stays bounded), then each worker gets the signal and
 * does its own graceful shutdown; the primary exits when they have, 0 when
 * all of them exited cleanly.
 */
function onClusterShutdownSignals(workers: RunningCluster, logger: Logger, graceMs: number, demo: () => DemoTraffic | undefined): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, graceMs }, 'shutting down the workers');
    const demoStopped = demo()?.stop() ?? Promise.resolve();
    Promise.race([demoStopped, delay(SHUTDOWN_MARGIN_MS, undefined, { ref: false })])
      .then(() => workers.stop(signal))
      .then(
        (code) => process.exit(code),
        () => process.exit(1),
      );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** The one serving process, or one worker of a cluster: a worker leaves the banner and the demo to its primary. */
async function serve(config: Config): Promise<void> {
  const readable = readableLogs(config);
  const logger = createLogger(config.logLevel, { readable });
  const worker = cluster.isWorker;
  const tokens = await devTokens(config, worker ? inheritedDevSecret() : generateDevSecret());
  // A person reads a readable terminal: one line per request would bury everything else there.
  const requestLogLevel = readable ? 'debug' : 'info';
  const pulse = await startPulse(config, { logger, devSecret: tokens?.secret, graphiqlToken: tokens?.admin, requestLogLevel });
  const demo = config.demo && !worker ? await startDemo(pulse.url, logger, config, tokens) : undefined;
  onShutdownSignals(pulse, demo, config.shutdownGraceMs);
  if (worker) announceReady(pulse.url);
  else printBanner(pulse.url, config, tokens);
}

/**
 * `WORKERS` above 1: this process serves nothing itself; it forks the
 * workers, prints the banner once all of them serve, and runs the demo.
 */
async function runPrimary(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel, { readable: readableLogs(config) });
  const tokens = await devTokens(config, generateDevSecret());
  const workers = startCluster({ workers: config.workers, shutdownGraceMs: config.shutdownGraceMs, devSecret: tokens?.secret, logger });
  const started: { demo?: DemoTraffic } = {};
  // Before the workers serve: a signal during start-up must reach them too.
  onClusterShutdownSignals(workers, logger, config.shutdownGraceMs, () => started.demo);
  const url = await workers.ready.catch(async (error: unknown) => {
    await workers.stop('SIGTERM');
    throw error;
  });
  if (config.demo) started.demo = await startDemo(url, logger, config, tokens);
  printBanner(url, config, tokens);
}

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}

/**
 * Without `JWT_SECRET`, outside dev mode's conditions (see `authMode`):
 * one line naming `JWT_SECRET` on stderr and exit 2, before any secret is
 * generated, any token minted, any worker forked or any port listened on.
 */
function refuseWithoutSecret(config: Config): void {
  const mode = authMode({ jwtSecret: config.jwtSecret, host: config.host, nodeEnv: process.env.NODE_ENV });
  if (mode.kind !== 'refuse') return;
  process.stderr.write(`${mode.problem}\n`);
  process.exit(2);
}

/**
 * JSON lines, as log shippers (and tests) want them; in dev mode at a
 * terminal, one readable line per record instead, since a newcomer reads
 * `npm run demo`'s output there.
 */
function readableLogs(config: Config): boolean {
  const dev = authMode({ jwtSecret: config.jwtSecret, host: config.host, nodeEnv: process.env.NODE_ENV }).kind === 'dev';
  return dev && process.stdout.isTTY;
}

async function main(): Promise<void> {
  const config = configOrExit();
  refuseWithoutSecret(config);
  // `WORKERS=1` is one process with no primary: exactly what Pulse was before clustering.
  if (cluster.isPrimary && config.workers > 1) await runPrimary(config);
  else await serve(config);
}

main().catch((error: unknown) => {
  process.stderr.write(`Pulse failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
