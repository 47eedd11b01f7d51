import type { PageLifecycle } from '../../../client/lib/index.js';
import type { Failure } from '../../../client/lib/retry/error-codes.js';
import type { ConnectionHandlers, LiveConnector, LiveRequest } from '../../../client/lib/live/sse-connector.js';
import type { LiveFeedOptions } from '../../../client/lib/live/live-feed.js';
import { systemTimers } from '../../../client/lib/runtime.js';
import { snapshot } from './fixtures.js';

/** One connection opened through {@link FakeConnector}, driven by the test. */
export class FakeConnection {
  closed = false;

  constructor(
    readonly request: LiveRequest,
    readonly handlers: ConnectionHandlers,
  ) {}

  /** Delivers `event` as a result payload. */
  event(event: unknown): void {
    this.handlers.onResult({ data: { activityChanged: event } });
  }

  /** Delivers a snapshot: the connection succeeded. */
  snapshot(): void {
    this.event(snapshot());
  }

  /** Bytes arrived (say, a keep-alive ping). */
  bytes(): void {
    this.handlers.onActivity();
  }

  /** The connection failed. */
  fail(failure: Partial<Failure> = {}): void {
    this.handlers.onClose({ code: null, status: null, message: 'connection reset', ...failure });
  }
}

/** A {@link LiveConnector} that records each connection instead of opening one. */
export class FakeConnector implements LiveConnector {
  readonly opened: FakeConnection[] = [];

  open(request: LiveRequest, handlers: ConnectionHandlers): () => void {
    const connection = new FakeConnection(request, handlers);
    this.opened.push(connection);
    return () => {
      connection.closed = true;
    };
  }

  /** The connection opened last. */
  get last(): FakeConnection {
    const last = this.opened.at(-1);
    if (!last) throw new Error('nothing was opened');
    return last;
  }

  /** Connections not closed yet. */
  get unclosed(): FakeConnection[] {
    return this.opened.filter((c) => !c.closed);
  }
}

type Listener = (event: { readonly type: string }) => void;

/** A page without a DOM: visibility the test sets, and listeners it can count. */
export class FakePage implements PageLifecycle {
  visibilityState: 'visible' | 'hidden' = 'visible';
  readonly #listeners = new Map<string, Set<Listener>>();

  addEventListener(type: string, listener: Listener): void {
    this.#listeners.set(type, (this.#listeners.get(type) ?? new Set()).add(listener));
  }

  removeEventListener(type: string, listener: Listener): void {
    this.#listeners.get(type)?.delete(listener);
  }

  /** Listeners added and not removed, per event type. */
  listenerCounts(): Record<string, number> {
    return Object.fromEntries([...this.#listeners].filter(([, set]) => set.size > 0).map(([type, set]) => [type, set.size]));
  }

  /** Dispatches an event of `type`. */
  fire(type: string): void {
    for (const listener of [...(this.#listeners.get(type) ?? [])]) listener({ type });
  }

  hide(): void {
    this.visibilityState = 'hidden';
    this.fire('visibilitychange');
  }

  show(): void {
    this.visibilityState = 'visible';
    this.fire('visibilitychange');
  }
}

/**
 * The options every LiveFeed unit test starts from: fake-timer friendly
 * system timers and clock, a fixed random source (so jitter is the midpoint),
 * no page lifecycle. Override what a test is about.
 */
export function feedOptions(connector: FakeConnector, overrides: Partial<LiveFeedOptions> = {}): LiveFeedOptions {
  return {
    connector,
    timers: systemTimers,
    now: () => Date.now(),
    random: () => 0.5,
    initialRetryDelayMs: 1_000,
    maxRetryDelayMs: 30_000,
    watchdogMs: 30_000,
    lifecycle: null,
    onInvalidEvent: () => {},
    ...overrides,
  };
}
