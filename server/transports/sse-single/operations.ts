import { GraphQLError, type ExecutionResult } from 'graphql';
import type { ResultSink } from '../../live/fanout/result-sink.js';
import { serializeResult } from '../../live/fanout/serialize-result.js';
import type { DropConnection } from '../../live/open-streams.js';
import { OutputGate, startMark, type OutputBounds } from '../output-bounds.js';
import type { OperationOutcome } from '../run-operation.js';
import type { StreamOperation } from './operation.js';
import type { SseStream } from './stream.js';

/** What an operation on a stream is given besides itself: where its results go, how to drop its connection, and whether it is still there. */
export interface OperationConnection {
  readonly resultSink: ResultSink;
  readonly dropConnection: DropConnection;
  /** False once the stream is closed or dropped: the operation is then not executed (pass it to `runOperation`). */
  readonly open: boolean;
}

/** How {@link StreamOperations.start} went: the operation runs, its id is taken, or the stream was dropped (too many operations, or gone already). */
export type StartOutcome = 'started' | 'duplicate' | 'dropped';

/** Runs one operation through the pipeline (bound to Yoga by the caller). */
export type OperationRunner = (operation: StreamOperation, connection: OperationConnection) => Promise<OperationOutcome>;

/** One running operation: stopped by a cancel or the stream's end, after which it writes nothing. */
interface Running {
  stopped: boolean;
  /** Ends its results' source at once (a subscription's `return()`); set once it has one. */
  stop?: () => void;
}

/** What an operation writes when it failed with a bug: the pipeline's own masked message. */
const MASKED: ExecutionResult = { errors: [new GraphQLError('Unexpected error.')] };

/**
 * The operations of one connected stream, by their client-chosen ids, as
 * graphql-sse runs them: each result is a `next` message with its id, and
 * the end of its results a `complete`. Results are pulled one at a time and
 * the next only once the socket has room, so a reader that falls behind
 * leaves the backlog in the subscriber's own bounded queue, where it is
 * noticed (`SUBSCRIBER_BUFFER_BYTES`), not in the response's buffer.
 * A stopped operation (a `DELETE`, the stream closed or dropped) writes no
 * `complete`: its client either asked for the stop or should reconnect.
 * One operation more than `maxOperations` running at once drops the stream
 * as a slow consumer (`MAX_OPERATIONS_PER_CONNECTION`).
 */
export class StreamOperations {
  readonly #running = new Map<string, Running>();
  /** Operations start one at a time, each once at most half the byte bound is unread. */
  readonly #gate: OutputGate;

  constructor(
    private readonly stream: SseStream,
    private readonly run: OperationRunner,
    private readonly onBug: (error: unknown, operation: StreamOperation) => void,
    private readonly bounds: OutputBounds,
  ) {
    this.#gate = new OutputGate(() => stream.room(startMark(bounds)));
  }

  /** Starts `operation`, unless one of the same id runs already or the stream is (or is now, being over its bound) dropped. */
  start(operation: StreamOperation): StartOutcome {
    const id = operation.operationId;
    if (!this.stream.open) return 'dropped';
    if (this.#running.has(id)) return 'duplicate';
    if (this.#running.size >= this.bounds.maxOperations) {
      this.stream.dropAsSlowConsumer();
      return 'dropped';
    }
    const running: Running = { stopped: false };
    this.#running.set(id, running);
    this.#perform(operation, running).catch((error: unknown) => {
      this.onBug(error, operation);
      this.#end(id, running, MASKED);
    });
    return 'started';
  }

  /** Stops one operation, if it runs. */
  cancel(operationId: string): void {
    const running = this.#running.get(operationId);
    if (running === undefined) return;
    this.#running.delete(operationId);
    running.stopped = true;
    running.stop?.();
  }

  /** Stops every operation (the stream is gone). */
  stopAll(): void {
    for (const id of [...this.#running.keys()]) this.cancel(id);
  }

  /** Operations running now. */
  get size(): number {
    return this.#running.size;
  }

  async #perform(operation: StreamOperation, running: Running): Promise<void> {
    const id = operation.operationId;
    // In turn: a single result is written, or a stream's first event is out, before the next operation starts.
    const result = await this.#gate.run(() => this.#start(operation, running));
    if (result === null) return;
    const iterator = result[Symbol.asyncIterator]();
    running.stop = () => void iterator.return?.().catch(() => undefined);
    // Cancelled while it was being set up: nobody will read it.
    if (running.stopped) return running.stop();
    for (;;) {
      const step = await iterator.next();
      if (running.stopped) return;
      if (step.done) return this.#end(id, running);
      this.stream.next(id, serializeResult(step.value));
      await this.stream.drained();
    }
  }

  /** Runs the operation and writes what it ends with at once; a stream is returned for its caller to pull from. */
  async #start(operation: StreamOperation, running: Running): Promise<AsyncIterable<ExecutionResult> | null> {
    const id = operation.operationId;
    const stream = this.stream;
    const connection: OperationConnection = {
      resultSink: stream.sink(id),
      dropConnection: () => stream.drop(),
      get open() {
        return stream.open && !running.stopped;
      },
    };
    const outcome = await this.run(operation, connection);
    // Its stream went (or it was cancelled) meanwhile: nothing ran.
    if ('dropped' in outcome) return null;
    if ('refused' in outcome) {
      this.#end(id, running, { data: null, errors: outcome.refused });
      return null;
    }
    const { result } = outcome;
    if (isAsyncIterable(result)) return result;
    this.#end(id, running, result);
    return null;
  }

  /** Writes the last result (if any) and `complete`, unless the operation was stopped. */
  #end(id: string, running: Running, last?: ExecutionResult): void {
    if (running.stopped) return;
    running.stopped = true;
    if (this.#running.get(id) === running) this.#running.delete(id);
    if (last !== undefined) this.stream.next(id, serializeResult(last));
    this.stream.complete(id);
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<ExecutionResult> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
