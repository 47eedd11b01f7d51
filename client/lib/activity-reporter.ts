import type { CombinedError } from '@urql/core';
import type { ActivityInput } from '../generated/graphql.js';
import { retryDecision, statusOf, type Failure } from './retry/error-codes.js';
import { RetrySchedule } from './retry/retry-schedule.js';
import { createHttpClient } from './http-client.js';
import { RecordActivitiesMutation } from './operations.js';
import { endpoints, systemFetch, systemRandom, systemTimers, type FetchFn, type Timers, type TokenSource } from './runtime.js';

/** Options of {@link createActivityReporter}. */
export interface ActivityReporterOptions {
  /** Pulse's base URL, e.g. `http://127.0.0.1:4000`. */
  readonly url: string;
  /** A token with the `ingest` (or `admin`) role, or a function returning one, called for every request. */
  readonly token: TokenSource;
  /** Most events in one request (the server's `MAX_BATCH_SIZE` must allow it). @defaultValue 100 */
  readonly maxBatch?: number;
  /** How long a partial batch waits for more events, in ms. @defaultValue 250 */
  readonly delayMs?: number;
  /** Most events held (waiting and in flight); beyond it `report()` drops. @defaultValue 10000 */
  readonly maxQueue?: number;
  /** Ceiling of the first retry delay, in ms. @defaultValue 1000 */
  readonly initialRetryDelayMs?: number;
  /** Largest retry delay, in ms. @defaultValue 30000 */
  readonly maxRetryDelayMs?: number;
  /** How long `close()` keeps trying before it drops what is left, in ms (Infinity: as long as it takes). @defaultValue 10000 */
  readonly closeTimeoutMs?: number;
  /** Told about every batch dropped for good: refused by the server, or still unsent when `close()` gave up. @defaultValue ignore */
  readonly onDrop?: (drop: DroppedBatch) => void;
  /** @defaultValue `globalThis.fetch` */
  readonly fetch?: FetchFn;
  /** @defaultValue the global `setTimeout` / `clearTimeout` */
  readonly timers?: Timers;
  /** Uniform in [0, 1), for backoff jitter. @defaultValue `Math.random` */
  readonly random?: () => number;
}

/** Events that will never be recorded, and why. */
export interface DroppedBatch {
  readonly events: readonly ActivityInput[];
  readonly failure: Failure;
}

/** Counters of a reporter, since it was created. */
export interface ReporterStats {
  /** Events waiting or in flight now. */
  readonly queued: number;
  /** Events the server recorded. */
  readonly sent: number;
  /** Events `report()` refused because the queue was full (or the reporter closed). */
  readonly droppedFull: number;
  /** Events in batches the server refused with a code not worth retrying (e.g. `BAD_USER_INPUT`). */
  readonly droppedRefused: number;
  /** Events still unsent when `close()` gave up. */
  readonly droppedAtClose: number;
  /** Failed sends that were tried again. */
  readonly retries: number;
}

/** Batches activity events and records them with `recordActivities`. */
export interface ActivityReporter {
  /**
   * Queues one event; it is sent with the next batch (when `maxBatch` events
   * wait, or `delayMs` after the first). Returns false, and counts the drop,
   * when the queue is full or the reporter is closed.
   */
  report(event: ActivityInput): boolean;
  /** Sends what is queued now, without waiting for `delayMs`; resolves when the queue is empty (sent or dropped). Never rejects. */
  flush(): Promise<void>;
  /** Refuses further events, flushes (for at most `closeTimeoutMs`), then drops what is left. Never rejects. */
  close(): Promise<void>;
  /** The counters, as of now. */
  readonly stats: ReporterStats;
}

type Counters = { -readonly [K in keyof Omit<ReporterStats, 'queued'>]: number };

/**
 * Creates an {@link ActivityReporter}. One request is in flight at a time,
 * so events reach Pulse in the order reported. A failed send is retried with
 * the client's one retry layer, as the live feed is ({@link RetrySchedule},
 * reset by each success); the table in error-codes.ts decides, and a batch refused with a code retrying
 * cannot fix (`BAD_USER_INPUT`, `SESSION_USER_MISMATCH`, `UNAUTHENTICATED`,
 * `FORBIDDEN`) is dropped and reported to `onDrop`. Memory stays bounded by
 * `maxQueue` whatever the server does.
 *
 * @example
 * ```ts
 * const reporter = createActivityReporter({ url: 'http://127.0.0.1:4000', token: ingestToken });
 * reporter.report({ sessionId: 's1', userId: 'alice', path: '/pricing' });
 * await reporter.close();
 * ```
 */
export function createActivityReporter(options: ActivityReporterOptions): ActivityReporter {
  return new BatchingReporter(options);
}

class BatchingReporter implements ActivityReporter {
  readonly #send: (events: readonly ActivityInput[]) => Promise<Failure | null>;
  readonly #timers: Timers;
  readonly #maxBatch: number;
  readonly #delayMs: number;
  readonly #maxQueue: number;
  /** The client's one retry layer, as in the live feed. */
  readonly #retries: RetrySchedule;
  readonly #closeTimeoutMs: number;
  readonly #onDrop: (drop: DroppedBatch) => void;
  readonly #counters: Counters = { sent: 0, droppedFull: 0, droppedRefused: 0, droppedAtClose: 0, retries: 0 };
  readonly #queue: ActivityInput[] = [];
  /** The batch being sent, or waiting to be sent again; always the oldest events. */
  #batch: readonly ActivityInput[] | null = null;
  #sending = false;
  #batchTimer: unknown = null;
  /** Send partial batches at once until the queue is empty. */
  #flushing = false;
  #closed = false;
  /** close() ran out of time: nothing is retried any more. */
  #abandoned = false;
  readonly #idleWaiters: Array<() => void> = [];

  constructor(options: ActivityReporterOptions) {
    const urql = createHttpClient({ graphqlUrl: endpoints(options.url).graphql, token: options.token, fetch: options.fetch ?? systemFetch });
    this.#send = async (inputs) => failureOfResult(await urql.mutation(RecordActivitiesMutation, { inputs: [...inputs] }).toPromise());
    this.#timers = options.timers ?? systemTimers;
    this.#maxBatch = options.maxBatch ?? 100;
    this.#delayMs = options.delayMs ?? 250;
    this.#maxQueue = options.maxQueue ?? 10_000;
    this.#retries = new RetrySchedule({
      timers: this.#timers,
      random: options.random ?? systemRandom,
      initialDelayMs: options.initialRetryDelayMs ?? 1_000,
      maxDelayMs: options.maxRetryDelayMs ?? 30_000,
    });
    this.#closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
    this.#onDrop = options.onDrop ?? (() => {});
  }

  /** {@inheritDoc ActivityReporter.stats} */
  get stats(): ReporterStats {
    return { queued: this.#held(), ...this.#counters };
  }

  /** {@inheritDoc ActivityReporter.report} */
  report(event: ActivityInput): boolean {
    if (this.#closed || this.#held() >= this.#maxQueue) {
      this.#counters.droppedFull++;
      return false;
    }
    this.#queue.push(event);
    if (this.#queue.length >= this.#maxBatch) this.#pump();
    else this.#armBatchTimer();
    return true;
  }

  /** {@inheritDoc ActivityReporter.flush} */
  flush(): Promise<void> {
    if (this.#held() === 0) return Promise.resolve();
    this.#flushing = true;
    const idle = new Promise<void>((resolve) => this.#idleWaiters.push(resolve));
    this.#pump();
    return idle;
  }

  /** {@inheritDoc ActivityReporter.close} */
  async close(): Promise<void> {
    this.#closed = true;
    // A timer of Infinity ms would fire at once.
    const deadline = Number.isFinite(this.#closeTimeoutMs) ? this.#timers.setTimeout(() => this.#abandon(), this.#closeTimeoutMs) : null;
    await this.flush();
    if (deadline !== null) this.#timers.clearTimeout(deadline);
  }

  #held(): number {
    return this.#queue.length + (this.#batch?.length ?? 0);
  }

  #armBatchTimer(): void {
    if (this.#batchTimer !== null) return;
    this.#batchTimer = this.#timers.setTimeout(() => {
      this.#batchTimer = null;
      this.#pump();
    }, this.#delayMs);
  }

  /** Starts the next send unless one is under way or waiting for its retry. */
  #pump(): void {
    if (this.#sending || this.#retries.pending) return;
    this.#batch ??= this.#takeBatch();
    if (this.#batch === null) return this.#becameIdle();
    void this.#sendBatch(this.#batch);
  }

  #takeBatch(): readonly ActivityInput[] | null {
    this.#cancelBatchTimer();
    return this.#queue.length > 0 ? this.#queue.splice(0, this.#maxBatch) : null;
  }

  async #sendBatch(batch: readonly ActivityInput[]): Promise<void> {
    this.#sending = true;
    const failure = await this.#send(batch).catch((error: unknown): Failure => ({ code: null, status: null, message: String(error) }));
    this.#sending = false;
    this.#batch = null;
    if (failure === null) {
      this.#retries.succeeded();
      this.#counters.sent += batch.length;
    } else if (this.#abandoned) {
      this.#drop(batch, failure, 'droppedAtClose');
    } else if (retryDecision(failure).retry) {
      return this.#retryLater(batch);
    } else {
      this.#drop(batch, failure, 'droppedRefused');
    }
    this.#next();
  }

  #drop(events: readonly ActivityInput[], failure: Failure, counter: 'droppedRefused' | 'droppedAtClose'): void {
    this.#counters[counter] += events.length;
    this.#onDrop({ events, failure });
  }

  /** After a batch: a full batch (or a flush) goes at once, a partial one waits for `delayMs`. */
  #next(): void {
    if (this.#queue.length >= this.#maxBatch || this.#flushing) this.#pump();
    else if (this.#queue.length > 0) this.#armBatchTimer();
    else this.#becameIdle();
  }

  #retryLater(batch: readonly ActivityInput[]): void {
    this.#batch = batch;
    this.#counters.retries++;
    this.#retries.retryLater(() => this.#pump());
  }

  /**
   * close() ran out of time: what waits is dropped, and nothing is retried.
   * A batch in flight may still be recorded; it is counted when it settles.
   */
  #abandon(): void {
    this.#abandoned = true;
    this.#cancelBatchTimer();
    this.#retries.cancel();
    const waiting = [...(this.#sending ? [] : (this.#batch ?? [])), ...this.#queue.splice(0)];
    if (!this.#sending) this.#batch = null;
    if (waiting.length > 0) this.#drop(waiting, { code: null, status: null, message: `unsent ${this.#closeTimeoutMs} ms after close()` }, 'droppedAtClose');
    this.#resolveIdleWaiters();
  }

  #cancelBatchTimer(): void {
    if (this.#batchTimer !== null) this.#timers.clearTimeout(this.#batchTimer);
    this.#batchTimer = null;
  }

  #becameIdle(): void {
    if (this.#held() === 0) this.#resolveIdleWaiters();
  }

  #resolveIdleWaiters(): void {
    this.#flushing = false;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }
}

function failureOfResult(result: { readonly error?: CombinedError }): Failure | null {
  const { error } = result;
  if (!error) return null;
  const code = error.graphQLErrors[0]?.extensions.code;
  return {
    code: typeof code === 'string' ? code : null,
    status: statusOf(error.response),
    message: error.message,
  };
}
