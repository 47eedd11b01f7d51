import type { Client } from '@urql/core';
import { createHttpClient } from './http-client.js';
import { LiveFeed, type PulseLive } from './live/live-feed.js';
import { browserPageLifecycle, type PageLifecycle } from './live/page-lifecycle.js';
import { endpoints, systemFetch, systemNow, systemRandom, systemTimers, type FetchFn, type Timers, type TokenSource } from './runtime.js';
import { createSseConnector, type SseTransport } from './live/sse-connector.js';

/** Options of {@link createPulseClient}. */
export interface PulseClientOptions {
  /** Pulse's base URL, e.g. `http://127.0.0.1:4000`; GraphQL is at `/graphql`, single-connection SSE at `/graphql/stream`. */
  readonly url: string;
  /** An admin token, or a function returning one, called again for every connection attempt and request. */
  readonly token: TokenSource;
  /**
   * How the live feed travels. `'single'` keeps one SSE connection per
   * client, which spares a browser's six connections per origin over HTTP/1;
   * `'distinct'` opens one per subscription and suits HTTP/2. Both work
   * behind a load balancer without sticky sessions: single-connection
   * reservations live in Redis, and any process forwards an operation to the
   * one holding its stream.
   * @defaultValue 'single'
   */
  readonly transport?: SseTransport;
  /** Ceiling of the first reconnect delay, in ms (the delay is drawn from half of it to all of it). @defaultValue 1000 */
  readonly initialRetryDelayMs?: number;
  /** Largest reconnect delay, in ms. @defaultValue 30000 */
  readonly maxRetryDelayMs?: number;
  /**
   * Reconnect when nothing (no event, no keep-alive ping) arrived for this
   * long, in ms; 0 turns the watchdog off. Pulse pings every 12 s.
   * @defaultValue 30000
   */
  readonly watchdogMs?: number;
  /** @defaultValue `globalThis.fetch` */
  readonly fetch?: FetchFn;
  /** @defaultValue the global `setTimeout` / `clearTimeout` */
  readonly timers?: Timers;
  /** Uniform in [0, 1), for backoff jitter. @defaultValue `Math.random` */
  readonly random?: () => number;
  /** Epoch ms. @defaultValue `Date.now` */
  readonly now?: () => number;
  /**
   * Pauses the live feed while the page is hidden or unloading. `null`: never
   * pause (Node).
   * @defaultValue the browser's `window` and `document`, or null outside a browser
   */
  readonly lifecycle?: PageLifecycle | null;
  /** Told about every event that failed validation and was dropped. @defaultValue ignore them */
  readonly onInvalidEvent?: (problem: string, raw: unknown) => void;
}

/** A Pulse client: typed urql for queries and mutations, and the monitored live feed. */
export interface PulseClient {
  /**
   * Typed queries and mutations over HTTP (`Authorization` from `token`).
   * Errors are values (`result.error`); nothing here retries. Subscriptions
   * are not offered here: `activityChanged` goes through
   * {@link PulseClient.live}, which reconnects, resumes, validates and
   * pauses over the client's one connection and one retry layer.
   */
  readonly urql: Client;
  /** The monitored `activityChanged` feed. */
  readonly live: PulseLive;
  /** Closes the stream and every connection, and removes the page listeners. */
  dispose(): void;
}

/**
 * Creates a Pulse client. Nothing connects until `live.start()` or a first
 * urql operation.
 *
 * @example
 * ```ts
 * const pulse = createPulseClient({ url: 'http://127.0.0.1:4000', token: () => session.token });
 * pulse.live.onEvent((event) => (state = applyEvent(state, event)));
 * pulse.live.start({ first: 100 });
 * ```
 */
export function createPulseClient(options: PulseClientOptions): PulseClient {
  const { url, token, transport = 'single', fetch = systemFetch } = options;
  const live = new LiveFeed({
    connector: createSseConnector({ url, token, transport, fetch }),
    timers: options.timers ?? systemTimers,
    now: options.now ?? systemNow,
    random: options.random ?? systemRandom,
    initialRetryDelayMs: options.initialRetryDelayMs ?? 1_000,
    maxRetryDelayMs: options.maxRetryDelayMs ?? 30_000,
    watchdogMs: options.watchdogMs ?? 30_000,
    lifecycle: options.lifecycle === undefined ? browserPageLifecycle() : options.lifecycle,
    onInvalidEvent: options.onInvalidEvent ?? (() => {}),
  });
  return {
    urql: createHttpClient({ graphqlUrl: endpoints(url).graphql, token, fetch }),
    live,
    dispose: () => live.dispose(),
  };
}
