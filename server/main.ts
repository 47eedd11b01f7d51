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
  process.stdout.write(`${lines.join('\n')}\n\n`);
}

function onShutdownSignals(pulse: RunningPulse): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    pulse.services.logger.info({ signal }, 'shutting down');
    pulse.close().then(
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
  onShutdownSignals(pulse);
  printBanner(pulse, config, tokens);
}

main().catch((error: unknown) => {
  process.stderr.write(`Pulse failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
