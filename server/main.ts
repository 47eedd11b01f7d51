import type { DemoTraffic } from '../client/demo/traffic.js';
import { generateDevSecret, mintToken } from './auth.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './logger.js';
import { startPulse, type RunningPulse } from './pulse.js';
import { redactUrl } from './redis/connect.js';

/** Tokens printed in dev mode, so a newcomer can try everything at once. */
interface DevTokens {
  readonly secret: string;
  readonly admin: string;
  readonly ingest: string;
}

async function devTokens(config: Config): Promise<DevTokens | undefined> {
  if (config.jwtSecret) return undefined;
  const secret = generateDevSecret();
  const [admin, ingest] = await Promise.all([
    mintToken({ secret, sub: 'dev-admin', roles: ['admin'], expiresIn: '30d' }),
    mintToken({ secret, sub: 'dev-ingest', roles: ['ingest'], expiresIn: '30d' }),
  ]);
  return { secret, admin, ingest };
}

/** Plain lines on stdout (not log records), meant for a person or a script to copy. */
function printBanner(pulse: RunningPulse, config: Config, tokens: DevTokens | undefined): void {
  const lines = [
    '',
    `Pulse is running on ${pulse.url} (${config.redisUrl ? `Redis at ${redactUrl(config.redisUrl)}` : 'in memory'})`,
    `GraphiQL:   ${pulse.url}/graphql`,
  ];
  if (tokens) {
    lines.push(
      'Dashboard (signed in through the link):',
      `${pulse.url}/#token=${tokens.admin}`,
      '',
      'No JWT_SECRET is set, so these tokens are signed with a random secret that lives until Pulse stops:',
      `Admin token:  ${tokens.admin}`,
      `Ingest token: ${tokens.ingest}`,
    );
  } else {
    lines.push(`Dashboard:  ${pulse.url}/  (mint a token: npm run token -- --sub alice --role admin)`);
  }
  if (config.demo) lines.push('', 'Demo traffic is on: simulated visitors are recorded through the ingest API (stop Pulse to end it).');
  process.stdout.write(`${lines.join('\n')}\n\n`);
}

/**
 * `--demo`: simulated visitors through the public ingest API, with the dev
 * ingest token or, when `JWT_SECRET` is set, one minted for the purpose.
 */
async function startDemo(pulse: RunningPulse, config: Config, tokens: DevTokens | undefined): Promise<DemoTraffic> {
  const token = tokens?.ingest ?? (await demoIngestToken(config));
  // Loaded only here: a normal start needs none of the client code.
  const { startDemoTraffic } = await import('../client/demo/traffic.js');
  const { logger } = pulse.services;
  logger.info('demo traffic started: simulated visitors are being recorded');
  return startDemoTraffic({ url: pulse.url, token, onError: (problem) => logger.warn({ problem }, 'demo traffic') });
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

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  const logger = createLogger(config.logLevel);
  const tokens = await devTokens(config);
  const pulse = await startPulse(config, { logger, devSecret: tokens?.secret, graphiqlToken: tokens?.admin });
  const demo = config.demo ? await startDemo(pulse, config, tokens) : undefined;
  onShutdownSignals(pulse, demo, config.shutdownGraceMs);
  printBanner(pulse, config, tokens);
}

main().catch((error: unknown) => {
  process.stderr.write(`Pulse failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
