import { randomBytes } from 'node:crypto';
import pino, { type Logger } from 'pino';
import { mintToken, type Role } from '../../server/auth/authenticator.js';
import { loadConfig, type Config } from '../../server/config/index.js';
import { startPulse, type RunningPulse } from '../../server/root/pulse.js';
import { testRedisUrl, uniquePrefix } from './redis.js';

/** The engines a server test runs against. */
export const BACKENDS = ['memory', 'redis'] as const;

/** One of {@link BACKENDS}. */
export type BackendKind = (typeof BACKENDS)[number];

/** A Pulse started in the test process on a free port, with helpers for tokens. */
export interface TestPulse extends RunningPulse {
  readonly secret: string;
  /** The GraphQL endpoint, e.g. `http://127.0.0.1:39211/graphql`. */
  readonly graphqlUrl: string;
  /** The same endpoint as a WebSocket URL. */
  readonly wsUrl: string;
  /** Mints a token for this server's secret. */
  token(sub: string, roles: readonly Role[]): Promise<string>;
}

/** Options of {@link startTestPulse}. */
export interface TestPulseOptions {
  readonly backend?: BackendKind;
  /** Environment overrides, as `loadConfig` reads them (e.g. `{ IDLE_TIMEOUT_MS: '2000' }`). */
  readonly env?: Record<string, string>;
  /** Shares Redis keys with another test server (a second "process" of the same deployment). */
  readonly redisPrefix?: string;
  /** Shares the signing secret with another test server. */
  readonly secret?: string;
  /** Where the server logs, for tests that read its log lines. @defaultValue a silent logger */
  readonly logger?: Logger;
}

/**
 * Starts Pulse through the same composition root as `npm start`, on port 0,
 * with a fresh secret and, for Redis, a key prefix of its own.
 */
export async function startTestPulse({
  backend = 'memory',
  env = {},
  redisPrefix,
  secret = randomBytes(32).toString('base64url'),
  logger = pino({ level: 'silent' }),
}: TestPulseOptions = {}): Promise<TestPulse> {
  const redis = backend === 'redis' ? { REDIS_URL: testRedisUrl(), REDIS_PREFIX: redisPrefix ?? uniquePrefix('server') } : {};
  const config: Config = loadConfig({ PORT: '0', HOST: '127.0.0.1', JWT_SECRET: secret, LOG_LEVEL: 'silent', ...redis, ...env }, []);
  const pulse = await startPulse(config, { logger });
  return {
    ...pulse,
    secret,
    graphqlUrl: `${pulse.url}/graphql`,
    wsUrl: `${pulse.url.replace(/^http/, 'ws')}/graphql`,
    token: (sub, roles) => mintToken({ secret, sub, roles }),
  };
}
