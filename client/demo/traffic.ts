import { createActivityReporter, type FetchFn, type Timers } from '../lib/index.js';
import type { Random } from './catalog.js';
import { createSimulation } from './simulation.js';

/** Options of {@link startDemoTraffic}. */
export interface DemoTrafficOptions {
  /** Pulse's base URL, e.g. `http://127.0.0.1:4000`. */
  readonly url: string;
  /** A token with the `ingest` role: the demo goes through the public API like any application. */
  readonly token: string;
  /**
   * Sessions kept open at about the same time.
   * @defaultValue 12
   */
  readonly targetSessions?: number;
  /**
   * Time between two simulation steps, in ms.
   * @defaultValue 1000
   */
  readonly stepMs?: number;
  /** @defaultValue `Math.random` */
  readonly random?: Random;
  /** @defaultValue the global `setTimeout` / `clearTimeout` */
  readonly timers?: Timers;
  /** Epoch ms. @defaultValue `Date.now` */
  readonly now?: () => number;
  /** @defaultValue `globalThis.fetch` */
  readonly fetch?: FetchFn;
  /** Told about every request that failed; the demo carries on. @defaultValue ignore */
  readonly onError?: (problem: string) => void;
}

/** Simulated visitors feeding a Pulse. */
export interface DemoTraffic {
  /** Stops stepping, waits for the step under way, and sends what is queued. Never rejects. */
  stop(): Promise<void>;
  /** Page views reported and logouts sent so far. */
  readonly counts: { readonly views: number; readonly logouts: number };
}

const SYSTEM_TIMERS: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
};

/** Looked up at each call: a captured `fetch` called on another object throws in browsers. */
const globalFetch: FetchFn = (input, init) => globalThis.fetch(input, init);

const END_SESSION = 'mutation EndSession($sessionId: ID!) { endSession(sessionId: $sessionId) }';

/**
 * Starts feeding simulated visitors (see `createSimulation`) to the Pulse at
 * `url`: page views in batches through `createActivityReporter`
 * (`recordActivities`), logouts as `endSession` over plain fetch, after the
 * views before them are flushed, so Pulse sees them in order. Steps are
 * chained, never overlapping: a slow Pulse slows the demo instead of
 * piling requests up. The first step runs at once.
 */
export function startDemoTraffic(options: DemoTrafficOptions): DemoTraffic {
  const { url, token, stepMs = 1000, random = Math.random, timers = SYSTEM_TIMERS, now = Date.now, fetch = globalFetch, onError = () => {} } = options;
  const simulation = createSimulation({ random, targetSessions: options.targetSessions });
  const reporter = createActivityReporter({
    url,
    token,
    fetch,
    timers,
    random,
    onDrop: ({ events, failure }) => onError(`${events.length} page views dropped: ${failure.message}`),
  });
  const endSession = endSessionOver(fetch, `${url.replace(/\/+$/, '')}/graphql`, token, onError);
  const counts = { views: 0, logouts: 0 };
  let stopped = false;
  let timer: unknown = null;
  let running: Promise<void> = Promise.resolve();

  const step = async (): Promise<void> => {
    const { views, logouts } = simulation.step(now());
    for (const view of views) if (reporter.report(view)) counts.views++;
    if (logouts.length > 0) {
      await reporter.flush();
      await Promise.all(logouts.map(endSession));
      counts.logouts += logouts.length;
    }
  };
  const loop = (): void => {
    timer = null;
    if (stopped) return;
    running = step()
      .catch((error: unknown) => onError(`demo step failed: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        if (!stopped) timer = timers.setTimeout(loop, stepMs);
      });
  };
  loop();

  return {
    counts,
    async stop() {
      stopped = true;
      if (timer !== null) timers.clearTimeout(timer);
      await running;
      await reporter.close();
    },
  };
}

/** `endSession` over plain fetch; a failure is reported, not thrown (a demo logout is not worth stopping for). */
function endSessionOver(fetch: FetchFn, graphqlUrl: string, token: string, onError: (problem: string) => void): (sessionId: string) => Promise<void> {
  return async (sessionId) => {
    try {
      const response = await fetch(graphqlUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
        body: JSON.stringify({ query: END_SESSION, variables: { sessionId } }),
      });
      const body: unknown = await response.json();
      const errors = typeof body === 'object' && body !== null && 'errors' in body ? body.errors : undefined;
      if (!response.ok || errors !== undefined) onError(`endSession(${sessionId}) failed with HTTP ${response.status}: ${JSON.stringify(errors)}`);
    } catch (error) {
      onError(`endSession(${sessionId}) failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
}
