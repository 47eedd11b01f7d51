import { GraphQLError, type ExecutionResult } from 'graphql';
import type { ResultSink } from '../fanout/result-sink.js';
import { serializeResult } from '../fanout/serialize-result.js';
import type { DropConnection } from '../streams/open-streams.js';
import type { OperationOutcome } from './run-operation.js';
import type { StreamOperation } from './sse-operation.js';
import type { SseStream } from './sse-stream.js';

/** What an operation on a stream is given besides itself: where its results go, and how to drop its connection. */
export interface OperationConnection {
  readonly resultSink: ResultSink;
  readonly dropConnection: DropConnection;
}

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
 */
export class StreamOperations {
  readonly #running = new Map<string, Running>();

  constructor(
    private readonly stream: SseStream,
    private readonly run: OperationRunner,
    private readonly onBug: (error: unknown, operation: StreamOperation) => void,
  ) {}

  /** Starts `operation`; false when one of the same id runs already. */
  start(operation: StreamOperation): boolean {
    const id = operation.operationId;
    if (this.#running.has(id)) return false;
    const running: Running = { stopped: false };
    this.#running.set(id, running);
    this.#perform(operation, running).catch((error: unknown) => {
      this.onBug(error, operation);
      this.#end(id, running, MASKED);
    });
    return true;
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
    const outcome = await this.run(operation, { resultSink: this.stream.sink(id), dropConnection: () => this.stream.drop() });
    if ('refused' in outcome) return this.#end(id, running, { data: null, errors: outcome.refused });
    const { result } = outcome;
    if (!isAsyncIterable(result)) return this.#end(id, running, result);
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
