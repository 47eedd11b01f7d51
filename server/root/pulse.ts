import type { Logger } from 'pino';
import { createPulseServer, type PulseServer } from './app.js';
import { createAuthenticator } from '../auth/authenticator.js';
import { createBackends, type Backends } from './backends.js';
import { systemClock, type Clock } from '../core/clock.js';
import { describeConfig, type Config } from '../config/index.js';
import type { PulseServices } from '../resolvers/context.js';
import { authMode } from '../auth/dev-mode.js';
import { isLoopbackHost } from '../config/host.js';
import { FanoutHub } from '../live/fanout/fanout-hub.js';
import { countBackendError, createPulseMetrics, observeDeliveries, type BackendOperation, type PulseMetrics } from '../observability/metrics.js';
import { createStatsFeed } from '../live/stats-feed.js';
import { TOP_PATHS_MAX } from '../live/first-event.js';
import { OpenStreams } from '../live/open-streams.js';
import { SharedSnapshots } from '../live/shared-snapshots.js';
import { createSweeper, type Sweeper } from '../store/sweeper.js';
import { metricsAccess, type MetricsAccess } from '../http/metrics-endpoint.js';
import { createAddressMasker } from '../privacy/address-masking.js';

/** Options of {@link startPulse} beyond the config. */
export interface StartOptions {
  readonly logger: Logger;
  /** @defaultValue the system clock */
  readonly clock?: Clock;
  /** The secret to verify tokens with when the config has none; refused outside dev mode (see `authMode`). */
  readonly devSecret?: string;
  /** Prefilled in GraphiQL; ignored outside dev mode, so a real token is never served in a page. */
  readonly graphiqlToken?: string;
  /** Level of each request's log line (`debug` where a person reads the terminal). @defaultValue 'info' */
  readonly requestLogLevel?: 'info' | 'debug';
}

/** A listening Pulse process. */
export interface RunningPulse {
  /** Base URL, e.g. `http://127.0.0.1:4000`. */
  readonly url: string;
  readonly services: PulseServices;
  readonly server: PulseServer;
  readonly backends: Backends;
  readonly sweeper: Sweeper;
  /**
   * Stops accepting, drops every open stream's connection (clients reconnect
   * elsewhere and resume; no `complete`), releases leases, closes backends.
   */
  close(): Promise<void>;
}

/**
 * The composition root: config → backends → services → server → listen.
 * `main.ts` and the tests both start Pulse through here.
 */
export async function startPulse(config: Config, { logger, clock = systemClock, devSecret, graphiqlToken, requestLogLevel = 'info' }: StartOptions): Promise<RunningPulse> {
  const secret = verifyingSecret(config, devSecret);
  const devMode = config.jwtSecret === undefined;
  // CLOCK_SKEW_MS is the verifier's leeway too, and so how long past `exp` a token's connections live.
  const authenticator = createAuthenticator({ secret, issuer: config.jwtIssuer, audience: config.jwtAudience, clockToleranceMs: config.clockSkewMs });
  const metrics = createPulseMetrics();
  const openStreams = new OpenStreams();
  const backends = await createBackends(
    config,
    logger,
    {
      onPublished: (count) => metrics.eventsPublished.inc(count),
      onRedisError: (operation) => countBackendError(metrics, operation),
      // Changes published while the bus is away are lost to this process: its subscribers reconnect and resume from the history.
      onConnectionLost: () => {
        const dropped = openStreams.dropAll('backend_lost');
        if (dropped > 0) logger.warn({ dropped }, 'lost Redis: dropped every open stream so that its client resumes');
      },
    },
    clock,
  );
  const { store, bus, leases } = backends;
  const addresses = createAddressMasker({ mode: config.ipMode, salts: backends.salts, clock });
  metrics.readLeasesFrom(() => leases.heldCount);
  const statsFeed = createStatsFeed({
    store,
    bus,
    clock,
    intervalMs: config.statsIntervalMs,
    topPathsLimit: TOP_PATHS_MAX,
    onError: backgroundFailure(logger, metrics, 'stats_feed', 'stats computation failed'),
  });
  const fanout = new FanoutHub({
    bus,
    statsFeed,
    onDelivered: (writes, at) => observeDeliveries(metrics, writes, at, clock.now()),
  });
  metrics.readGroupsFrom(() => fanout.groupCount);
  const services: PulseServices = {
    store,
    bus,
    leases,
    statsFeed,
    clock,
    logger,
    limits: config,
    metrics,
    openStreams,
    fanout,
    snapshots: new SharedSnapshots((query) => store.snapshot(query, clock.now(), TOP_PATHS_MAX)),
    privacy: { addresses, historyMaxAgeMs: config.historyMaxAgeMs },
  };
  const sweeper = createSweeper({
    store,
    clock,
    idleTimeoutMs: config.idleTimeoutMs,
    historyMaxAgeMs: config.historyMaxAgeMs,
    intervalMs: config.sweepIntervalMs,
    onError: backgroundFailure(logger, metrics, 'idle_sweep', 'idle sweep failed'),
  });
  const server = createPulseServer({
    services,
    authenticator,
    isReady: backends.isReady,
    graphiqlToken: devMode ? graphiqlToken : undefined,
    requestLogLevel,
    metricsAccess: metricsAccessOf(config, logger),
    corsOrigins: config.corsOrigins,
    limits: config,
    singleConnection: backends.singleConnection,
  });
  const url = await server.listen(config.port, config.host);
  logger.info({ url, backend: backends.kind, config: describeConfig(config) }, 'pulse listening');
  return {
    url,
    services,
    server,
    backends,
    sweeper,
    close: async () => {
      sweeper.stop();
      server.stopAccepting();
      openStreams.dropAll('shutdown');
      await server.close();
      statsFeed.close();
      addresses.close();
      await backends.close();
    },
  };
}

/**
 * `JWT_SECRET`, or the dev secret when dev mode is allowed. `main` refuses
 * earlier with a friendlier exit; this keeps every caller of the composition
 * root from serving with a generated secret on an exposed host.
 * @throws Error naming `JWT_SECRET` when there is no secret, or dev mode is not allowed
 */
function verifyingSecret(config: Config, devSecret: string | undefined): string {
  if (config.jwtSecret !== undefined) return config.jwtSecret;
  const mode = authMode({ jwtSecret: undefined, host: config.host, nodeEnv: process.env.NODE_ENV });
  if (mode.kind === 'refuse') throw new Error(mode.problem);
  if (!devSecret) throw new Error('no JWT secret: set JWT_SECRET (or run in dev mode)');
  return devSecret;
}

/** Off loopback with no `METRICS_TOKEN`, `/metrics` is hidden (404); said once at start so that a missing scrape is explained. */
function metricsAccessOf(config: Config, logger: Logger): MetricsAccess {
  const access = metricsAccess(config.metricsToken, isLoopbackHost(config.host));
  if (access.kind === 'hidden') logger.warn({ host: config.host }, '/metrics answers 404: HOST is not loopback and METRICS_TOKEN is not set; set METRICS_TOKEN to scrape it');
  return access;
}

/** A failure no request waits for: logged and counted; the next run retries. */
function backgroundFailure(logger: Logger, metrics: PulseMetrics, operation: BackendOperation, message: string): (err: unknown) => void {
  return (err) => {
    countBackendError(metrics, operation);
    logger.warn({ err, operation }, message);
  };
}
