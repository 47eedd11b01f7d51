import type { ServerResponse } from 'node:http';
import type { Viewer } from '../../auth/authenticator.js';
import { Deadlines } from '../../live/deadlines.js';
import { KeepAlive } from '../keep-alive.js';
import type { OutputBounds } from '../output-bounds.js';
import { ANSWERS, type StreamAnswer } from './answers.js';
import type { StreamOperation } from './operation.js';
import { StreamOperations, type OperationRunner } from './operations.js';
import type { RoutedRequest } from './routing.js';
import { SseStream } from './stream.js';

/** Options of {@link StreamHolder}. */
export interface StreamHolderOptions {
  /** Time between keep-alive comments (`SSE_KEEPALIVE_MS`). */
  readonly keepAliveMs: number;
  readonly run: OperationRunner;
  /** Told of an operation that failed with a bug (its client gets a masked error). */
  readonly onBug: (error: unknown, operation: StreamOperation) => void;
  /** Bounds on each stream's running operations and unread output; past them it is dropped as a slow consumer. */
  readonly bounds: OutputBounds;
  /** Where streams wait for their token's expiry. @defaultValue one timer of its own for every stream */
  readonly deadlines?: Deadlines;
}

/** The answer to an operation whose arrival dropped its stream (one operation too many): the client reconnects. */
const DROPPED: StreamAnswer = {
  status: 503,
  code: 'SLOW_CONSUMER',
  message: 'The stream was dropped: it had too many operations running or too much unread output; reconnect.',
};

interface HeldStream {
  readonly owner: string;
  readonly stream: SseStream;
  readonly operations: StreamOperations;
  /** Settles once the stream closed and `onClosed` finished. */
  readonly released: Promise<void>;
}

/**
 * The single-connection streams connected to this process, by token, and
 * their operations: what answers an operation sent to a token this process
 * holds, whether it arrived here or at another process.
 */
export class StreamHolder {
  readonly #streams = new Map<string, HeldStream>();
  /** One keep-alive timer for every stream this process holds. */
  readonly #keepAlive: KeepAlive;
  /** One timer for the token expiries of every stream this process holds. */
  readonly #deadlines: Deadlines;

  constructor(private readonly options: StreamHolderOptions) {
    this.#keepAlive = new KeepAlive(options.keepAliveMs);
    this.#deadlines = options.deadlines ?? new Deadlines();
  }

  /**
   * Takes `viewer`'s stream of `token` over `res`, starts the operations
   * queued before it connected, and calls `onClosed` once it is gone (the
   * client left, or it was dropped); `onClosed` must not reject. The stream
   * is dropped (never completed) when the token that connected it expires.
   */
  open(token: string, viewer: Viewer, res: ServerResponse, queued: readonly StreamOperation[], onClosed: () => Promise<void>): SseStream {
    const { run, onBug, bounds } = this.options;
    const stream = new SseStream(res, this.#keepAlive, bounds);
    const operations = new StreamOperations(stream, run, onBug, bounds);
    const cancelExpiry = viewer.acceptedUntil === undefined ? undefined : this.#deadlines.add(viewer.acceptedUntil, () => stream.drop());
    const released = stream.closed.then(() => {
      cancelExpiry?.();
      this.#streams.delete(token);
      operations.stopAll();
      return onClosed();
    });
    this.#streams.set(token, { owner: viewer.sub, stream, operations, released });
    for (const operation of queued) if (operations.start(operation) === 'dropped') break;
    return stream;
  }

  /** Whether `token` is connected here (for anyone). */
  holds(token: string): boolean {
    return this.#streams.has(token);
  }

  /** Whether `owner`'s stream `token` is connected here. */
  holdsFor(token: string, owner: string): boolean {
    return this.#streams.get(token)?.owner === owner;
  }

  /** Answers a request for one of this process's streams (see {@link RoutedRequest}). */
  serve = async (request: RoutedRequest): Promise<StreamAnswer> => {
    const sub = request.kind === 'run' ? request.operation.viewer.sub : request.sub;
    const held = this.#streams.get(request.token);
    if (held === undefined || held.owner !== sub || !held.stream.open) return ANSWERS.streamNotFound;
    if (request.kind === 'cancel') {
      held.operations.cancel(request.operationId);
      return ANSWERS.ok;
    }
    return { started: ANSWERS.accepted, duplicate: ANSWERS.duplicateOperation, dropped: DROPPED }[held.operations.start(request.operation)];
  };

  /** Drops every stream held here (shutdown): no `complete`, so their clients reconnect elsewhere. Resolves once all are released. */
  async dropAll(): Promise<void> {
    const held = [...this.#streams.values()];
    held.forEach(({ stream }) => stream.drop());
    await Promise.all(held.map(({ released }) => released));
  }

  /** Streams held here. */
  get size(): number {
    return this.#streams.size;
  }
}
