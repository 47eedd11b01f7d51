import { isRecord } from './decoders.js';
import { failureFromErrors, isFatalCode, retryDecision, type Failure } from '../retry/error-codes.js';
import { Listeners } from '../listeners.js';
import { watchPage, type PageChange, type PageLifecycle } from './page-lifecycle.js';
import { RetrySchedule } from '../retry/retry-schedule.js';
import type { Timers } from '../runtime.js';
import type { ConnectionHandlers, LiveConnector, LiveRequest } from './sse-connector.js';
import type { ActivityEvent, ConnectionStatus, FatalCode } from '../types.js';
import { validateEvent } from './validate-event.js';
import { Watchdog } from './watchdog.js';

/** The monitored live feed: one `activityChanged` subscription kept alive. */
export interface PulseLive {
  /**
   * Begins monitoring: connects (or waits, `paused`, while the page is
   * hidden) and keeps reconnecting until {@link PulseLive.stop}. Idempotent:
   * calling it again with the same options changes nothing (a pending
   * reconnect keeps its backoff); with other options it reconnects with
   * them; after `failed` it tries again (say, with a new token).
   */
  start(options?: LiveRequest): void;
  /** Stops monitoring and closes the stream; status `stopped`. */
  stop(): void;
  /** Where the feed stands now. */
  readonly status: ConnectionStatus;
  /**
   * Calls `listener` on every status change (not with the current status:
   * read {@link PulseLive.status} for that). Returns its removal.
   */
  onStatus(listener: (status: ConnectionStatus) => void): () => void;
  /**
   * Calls `listener` with every validated event: on a connection started by
   * {@link PulseLive.start} a `Snapshot` first, which replaces whatever the
   * listener held (see `applyEvent`), then each change. A reconnect asks to
   * resume after the last event delivered: it begins with `Resumed` (keep
   * the state; the missed changes follow) or, when the server cannot
   * resume, with a `Snapshot` again. Returns its removal.
   */
  onEvent(listener: (event: ActivityEvent) => void): () => void;
}

/** Everything {@link LiveFeed} depends on, defaults already applied. */
export interface LiveFeedOptions {
  readonly connector: LiveConnector;
  readonly timers: Timers;
  readonly now: () => number;
  readonly random: () => number;
  readonly initialRetryDelayMs: number;
  readonly maxRetryDelayMs: number;
  /** Silence after which the connection counts as dead; 0 turns the watchdog off. */
  readonly watchdogMs: number;
  /** Null: the page is always visible (Node, workers). */
  readonly lifecycle: PageLifecycle | null;
  readonly onInvalidEvent: (problem: string, raw: unknown) => void;
}

/** One connection attempt, told apart by identity so late callbacks of an old one are ignored. */
interface Connection {
  close: () => void;
  /** Its snapshot (or `Resumed`) arrived. */
  synced: boolean;
  /** It asked to resume after a cursor, so `Resumed` may open it. */
  readonly resuming: boolean;
}

const STOPPED: ConnectionStatus = { kind: 'stopped' };
const PAUSED: ConnectionStatus = { kind: 'paused' };
const CONNECTED: ConnectionStatus = { kind: 'connected' };

/**
 * A cancelled `beforeunload` (the user chose to stay) is followed by no
 * event at all; if the page is still visible this long after it, resume.
 */
const UNLOAD_GRACE_MS = 1_000;

/**
 * The live feed's state machine: connect → snapshot (`connected`) → events;
 * on any failure, the one retry decision ({@link retryDecision}, read from
 * the error-code table) either reports `failed` or schedules exactly one
 * reconnect on the client's one retry layer ({@link RetrySchedule}), whose
 * backoff resets with each snapshot. A watchdog treats
 * silence as a failure; a hidden page pauses the feed.
 */
export class LiveFeed implements PulseLive {
  readonly #options: LiveFeedOptions;
  readonly #statusListeners = new Listeners<ConnectionStatus>();
  readonly #eventListeners = new Listeners<ActivityEvent>();
  readonly #watchdog: Watchdog;
  readonly #pageHandler = (change: PageChange): void => this.#onPage(change);
  #status: ConnectionStatus = STOPPED;
  /** What to monitor; null when not monitoring (stopped or failed). */
  #request: LiveRequest | null = null;
  #connection: Connection | null = null;
  /** Reconnects, and the failed attempts since the last snapshot. */
  readonly #retries: RetrySchedule;
  /**
   * Cursor of the last event delivered for the current request: a reconnect
   * resumes after it. Cleared by `start()`, whose listeners expect a snapshot.
   */
  #lastCursor: string | null = null;
  #unloadTimer: unknown = null;
  #pageHidden = false;
  #unwatchPage: (() => void) | null = null;
  #disposed = false;

  constructor(options: LiveFeedOptions) {
    this.#options = options;
    this.#retries = new RetrySchedule({
      timers: options.timers,
      random: options.random,
      initialDelayMs: options.initialRetryDelayMs,
      maxDelayMs: options.maxRetryDelayMs,
    });
    this.#watchdog = new Watchdog({
      timeoutMs: options.watchdogMs,
      timers: options.timers,
      now: options.now,
      onSilence: (silentMs) => this.#connection && this.#fail(this.#connection, { code: null, status: null, message: `no data for ${silentMs} ms` }),
    });
  }

  /** {@inheritDoc PulseLive.status} */
  get status(): ConnectionStatus {
    return this.#status;
  }

  /** {@inheritDoc PulseLive.start} */
  start(options: LiveRequest = {}): void {
    const request: LiveRequest = { filter: options.filter ?? null, first: options.first ?? null };
    if (this.#disposed || (this.#request !== null && sameRequest(this.#request, request))) return;
    this.#request = request;
    this.#lastCursor = null;
    this.#watchPage();
    this.#halt();
    this.#retries.reset();
    if (this.#pageHidden) this.#setStatus(PAUSED);
    else this.#connect(request);
  }

  /** {@inheritDoc PulseLive.stop} */
  stop(): void {
    this.#release();
    this.#setStatus(STOPPED);
  }

  /** {@inheritDoc PulseLive.onStatus} */
  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    return this.#statusListeners.add(listener);
  }

  /** {@inheritDoc PulseLive.onEvent} */
  onEvent(listener: (event: ActivityEvent) => void): () => void {
    return this.#eventListeners.add(listener);
  }

  /** Stops for good: closes the stream, removes page listeners and every listener added here. */
  dispose(): void {
    this.stop();
    this.#disposed = true;
    this.#statusListeners.clear();
    this.#eventListeners.clear();
  }

  #connect(request: LiveRequest): void {
    const since = this.#lastCursor;
    const connection: Connection = { close: () => {}, synced: false, resuming: since !== null };
    this.#connection = connection;
    this.#setStatus({ kind: 'connecting', attempt: this.#retries.failures });
    if (this.#connection !== connection) return; // a status listener stopped the feed
    this.#watchdog.arm();
    const handlers: ConnectionHandlers = {
      onActivity: () => this.#connection === connection && this.#watchdog.feed(),
      onResult: (result) => this.#onResult(connection, result),
      onClose: (failure) => this.#fail(connection, failure),
    };
    const close = this.#options.connector.open({ ...request, since }, handlers);
    if (this.#connection === connection) connection.close = close;
    else close(); // it failed while opening
  }

  #onResult(connection: Connection, result: unknown): void {
    if (this.#connection !== connection) return;
    const failure = isRecord(result) ? failureFromErrors(result.errors) : null;
    if (failure) return this.#fail(connection, failure);
    const raw = isRecord(result) && isRecord(result.data) ? result.data.activityChanged : result;
    const checked = validateEvent(raw);
    if (!checked.ok) return this.#options.onInvalidEvent(checked.problem, raw);
    const { event } = checked;
    const opening = event.__typename === 'Snapshot' || (event.__typename === 'Resumed' && connection.resuming);
    if (!connection.synced && !opening) {
      // Applying a change to the picture of an earlier connection would hide a gap.
      return this.#options.onInvalidEvent(`${event.__typename} arrived before the snapshot`, raw);
    }
    this.#lastCursor = event.cursor;
    this.#eventListeners.emit(event);
    if (opening) this.#synced(connection);
  }

  #synced(connection: Connection): void {
    if (connection.synced || this.#connection !== connection) return;
    connection.synced = true;
    this.#retries.succeeded();
    this.#setStatus(CONNECTED);
  }

  #fail(connection: Connection, failure: Failure): void {
    if (this.#connection !== connection) return;
    this.#closeConnection();
    const decision = retryDecision(failure, { resuming: connection.resuming, failures: this.#retries.failures });
    if (!decision.retry && isFatalCode(decision.code)) return this.#giveUp(decision.code, failure.message);
    this.#scheduleReconnect(failure.message);
  }

  #giveUp(code: FatalCode, message: string): void {
    this.#release();
    this.#setStatus({ kind: 'failed', code, message });
  }

  /** Ends monitoring: the stream, a pending reconnect, the page listeners. */
  #release(): void {
    this.#halt();
    this.#request = null;
    this.#unwatchPage?.();
    this.#unwatchPage = null;
    this.#cancelUnloadGrace();
  }

  #scheduleReconnect(reason: string): void {
    const delayMs = this.#retries.retryLater(() => this.#request && this.#connect(this.#request));
    if (delayMs === null) return; // one reconnect pending at most
    const attempt = this.#retries.failures;
    this.#setStatus({ kind: 'reconnecting', attempt, delayMs, retryAt: this.#options.now() + delayMs, reason });
  }

  /** Closes the connection and cancels a pending reconnect. */
  #halt(): void {
    this.#closeConnection();
    this.#retries.cancel();
  }

  #closeConnection(): void {
    const connection = this.#connection;
    this.#connection = null;
    this.#watchdog.disarm();
    connection?.close();
  }

  #watchPage(): void {
    const { lifecycle } = this.#options;
    if (!lifecycle || this.#unwatchPage) return;
    this.#pageHidden = lifecycle.visibilityState === 'hidden';
    this.#unwatchPage = watchPage(lifecycle, this.#pageHandler);
  }

  #onPage(change: PageChange): void {
    this.#cancelUnloadGrace();
    this.#pageHidden = change !== 'visible';
    if (change === 'unloading') this.#unloadTimer = this.#options.timers.setTimeout(() => this.#afterUnloadGrace(), UNLOAD_GRACE_MS);
    if (this.#request === null) return;
    if (this.#pageHidden && this.#status.kind !== 'paused') {
      this.#halt();
      this.#setStatus(PAUSED);
    } else if (!this.#pageHidden && this.#status.kind === 'paused') {
      this.#connect(this.#request);
    }
  }

  #afterUnloadGrace(): void {
    this.#unloadTimer = null;
    if (this.#options.lifecycle?.visibilityState !== 'hidden') this.#onPage('visible');
  }

  #cancelUnloadGrace(): void {
    if (this.#unloadTimer === null) return;
    this.#options.timers.clearTimeout(this.#unloadTimer);
    this.#unloadTimer = null;
  }

  #setStatus(status: ConnectionStatus): void {
    // The shared constants make repeats (stop after stop) detectable by identity.
    if (status === this.#status) return;
    this.#status = status;
    this.#statusListeners.emit(status);
  }
}

function sameRequest(a: LiveRequest, b: LiveRequest): boolean {
  return a.first === b.first && (a.filter?.userId ?? null) === (b.filter?.userId ?? null) && (a.filter?.pathPrefix ?? null) === (b.filter?.pathPrefix ?? null);
}
