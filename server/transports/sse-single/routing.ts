import { randomUUID } from 'node:crypto';
import { ANSWERS, type StreamAnswer } from './answers.js';
import type { StreamOperation } from './operation.js';

/** A request for the process that holds a stream. */
export type RoutedRequest =
  /** Run an operation on the stream (a `POST`); answered 202 when it started, 409 for a duplicate id. */
  | { readonly kind: 'run'; readonly token: string; readonly operation: StreamOperation }
  /** Stop an operation (a `DELETE`); answered 200. */
  | { readonly kind: 'cancel'; readonly token: string; readonly sub: string; readonly operationId: string; readonly requestId: string };

/** Serves requests for the streams this process holds; never rejects (a failure is an answer). */
export type RoutedHandler = (request: RoutedRequest) => Promise<StreamAnswer>;

/**
 * Carries operations to the process whose stream they belong to, whichever
 * process they arrived at: single connection mode without sticky routing.
 *
 * Guarantees: `forward` always settles, with the holder's answer or with an
 * error answer of its own (404 when no process listens for the holder any
 * more, 503 when the backend fails or the holder does not answer in time);
 * requests from one process to one holder arrive in the order sent.
 */
export interface StreamRouter {
  /** This process's id: what the reservations record as the holder of the streams it connects. */
  readonly processId: string;
  /** Sets what answers requests for this process's streams (once, when the transport starts). */
  serve(handler: RoutedHandler): void;
  /** Sends `request` to the process `holder` and resolves with its answer. */
  forward(holder: string, request: RoutedRequest): Promise<StreamAnswer>;
  /** Stops listening; calls still waiting are answered 503. */
  close(): Promise<void>;
}

/**
 * The router of memory mode: one process holds every stream, so a request
 * goes straight to this process's handler whatever holder it names.
 */
export function createLocalRouter(processId: string = randomUUID()): StreamRouter {
  let handler: RoutedHandler | undefined;
  let closed = false;
  // Settled by close(), so that calls still waiting are answered 503 as the contract says (as the Redis router does).
  let shutDown!: (answer: StreamAnswer) => void;
  const closing = new Promise<StreamAnswer>((resolve) => (shutDown = resolve));
  return {
    processId,
    serve(serving) {
      handler = serving;
    },
    async forward(_holder, request) {
      if (closed) return ANSWERS.shuttingDown;
      return handler ? Promise.race([handler(request), closing]) : ANSWERS.streamNotFound;
    },
    async close() {
      closed = true;
      shutDown(ANSWERS.shuttingDown);
    },
  } satisfies StreamRouter;
}
