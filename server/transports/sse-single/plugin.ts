import type { ServerResponse } from 'node:http';
import type { Plugin, YogaServerInstance } from 'graphql-yoga';
import type { Role, Viewer } from '../../auth/authenticator.js';
import type { PulseServerContext } from '../../resolvers/context.js';
import { pulseError } from '../../core/errors.js';
import type { Logger } from '../../observability/logger.js';
import { errorResponse } from '../../http/error-response.js';
import { runOperation } from '../run-operation.js';
import { ANSWERS, answerResponse, badRequest, type StreamAnswer } from './answers.js';
import { StreamHolder } from './holder.js';
import type { StreamOperation } from './operation.js';
import type { OperationConnection } from './operations.js';
import { cancelledOperationId, readStreamOperation, streamRequestHead, streamRequestKind, streamTokenOf } from './requests.js';
import type { ReservationRegistry } from './reservations.js';
import type { RoutedRequest, StreamRouter } from './routing.js';
import type { StreamFetchApi } from './stream.js';
import type { OutputBounds } from '../output-bounds.js';

/** Options of {@link useSingleConnectionSse}. */
export interface SingleConnectionSseOptions {
  /** Where graphql-sse's single connection mode is served, e.g. `/graphql/stream`. */
  readonly endpoint: string;
  /** Verified viewers by request, filled by the auth plugin (which runs first). */
  readonly viewers: WeakMap<Request, Viewer>;
  /** Where reservations live: memory, or Redis shared by every process. */
  readonly reservations: ReservationRegistry;
  /** Carries operations to the process holding their stream. */
  readonly router: StreamRouter;
  /** Time between keep-alive comments on a stream (`SSE_KEEPALIVE_MS`). */
  readonly keepAliveMs: number;
  /** Bounds on each stream's running operations and unread output (`MAX_OPERATIONS_PER_CONNECTION`, `SUBSCRIBER_BUFFER_BYTES`). */
  readonly bounds: OutputBounds;
  /** The request id of an HTTP request (what its log line says), carried with its operation wherever it runs. */
  readonly requestIdOf: (request: Request) => string;
  /** Told of each request refused by a per-admin bound, by the setting that bounds it (for metrics). @defaultValue ignore */
  readonly onLimit?: (limit: StreamLimit) => void;
  readonly logger: Logger;
}

/** The settings that bound what one admin holds in single connection mode. */
export type StreamLimit = 'MAX_SSE_RESERVATIONS_PER_ADMIN' | 'MAX_SSE_STREAMS_PER_ADMIN';

/**
 * The role every single-connection request needs: the mode exists for
 * subscriptions, which need it, and a stream is its owner's (`sub`) whatever
 * the roles of a later token of the same subject.
 */
const STREAM_ROLE: Role = 'admin';

/** The plugin, and a way to drop this process's streams at shutdown. */
export interface SingleConnectionSse {
  readonly plugin: Plugin;
  /** Refuses new reservations and streams, drops the streams held here (no `complete`) and releases their tokens. */
  close(): Promise<void>;
}

type AnyYoga = YogaServerInstance<Record<string, unknown>, Record<string, unknown>>;

/** What one request handler gets. */
interface StreamCall {
  readonly request: Request;
  readonly viewer: Viewer;
  readonly requestId: string;
  readonly res: ServerResponse | undefined;
  readonly fetchApi: StreamFetchApi;
}

const ALLOWED = { allow: 'GET, POST, PUT, DELETE' };

/**
 * graphql-sse's single connection mode, Pulse's own implementation of its
 * protocol, through the one Yoga instance, without sticky routing: a
 * reservation lives in the registry (Redis when configured), and an
 * operation (or its `DELETE`) sent to any process reaches the process
 * holding the stream over the router. Beyond the protocol:
 * - every request, the reservation `PUT` included, needs a verified token
 *   (the auth plugin, else 401) with the admin role (else 403 `FORBIDDEN`),
 *   and a token is only ever usable by its owner;
 * - at most `MAX_SSE_RESERVATIONS_PER_ADMIN` pending reservations per admin
 *   (429 `TOO_MANY_SUBSCRIPTIONS`), each dropped with the operations sent to
 *   it after `SSE_RESERVATION_TTL_MS` unless its stream connects (then 404);
 * - at most `MAX_SSE_STREAMS_PER_ADMIN` connected streams per admin, across
 *   processes (429 `TOO_MANY_SUBSCRIPTIONS`; the reservation stays pending);
 * - operations sent before the stream connects wait with the reservation
 *   and run when it connects (graphql-sse runs them at once and holds the
 *   results; either way they arrive right after the stream opens);
 * - a document refused by parsing or validation is answered on the stream
 *   with its errors and codes, then `complete`.
 */
export function useSingleConnectionSse(options: SingleConnectionSseOptions): SingleConnectionSse {
  const { endpoint, viewers, reservations, router, keepAliveMs, requestIdOf, onLimit = () => {}, logger } = options;
  let yoga: AnyYoga | undefined;
  let closing = false;
  const holder = new StreamHolder({
    keepAliveMs,
    run: (operation, connection) => runOperation(yogaOf(yoga), operationContext(operation, connection), operation.params, connection),
    bounds: options.bounds,
    onBug: (err, { requestId }) => logger.error({ err, requestId }, 'single-connection operation failed'),
  });
  router.serve(holder.serve);
  const route = (holderId: string, request: RoutedRequest): Promise<StreamAnswer> =>
    holderId === router.processId ? holder.serve(request) : router.forward(holderId, request);

  const reserve = async ({ request, viewer }: StreamCall): Promise<Response> => {
    if (closing) return answerResponse(ANSWERS.shuttingDown);
    if (!accepts(request, ['*/*', 'text/*', 'text/plain'])) return answerResponse({ status: 406, message: 'A reservation answers text/plain.' });
    const token = await reservations.reserve(viewer.sub);
    if (token === null) {
      onLimit('MAX_SSE_RESERVATIONS_PER_ADMIN');
      return answerResponse(ANSWERS.tooManyReservations);
    }
    return new Response(token, { status: 201, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  };

  const connect = async ({ request, viewer, res, fetchApi }: StreamCall): Promise<Response> => {
    const token = streamTokenOf(request);
    if (token === null) return answerResponse(badRequest('A stream token is required: reserve one with PUT first.'));
    if (closing) return answerResponse(ANSWERS.shuttingDown);
    // Held here already: no need to ask the registry.
    if (holder.holds(token)) return answerResponse(holder.holdsFor(token, viewer.sub) ? ANSWERS.streamOpen : ANSWERS.notPending);
    if (res === undefined) return answerResponse({ status: 501, message: "Single connection streams need Node's HTTP server." });
    const outcome = await reservations.connect(token, viewer.sub, router.processId);
    if (outcome.state === 'full') onLimit('MAX_SSE_STREAMS_PER_ADMIN');
    if (outcome.state !== 'connected') return answerResponse(CONNECT_REFUSALS[outcome.state]);
    const release = (): Promise<void> => reservations.release(token);
    if (closing) {
      await release();
      return answerResponse(ANSWERS.shuttingDown);
    }
    return holder.open(token, viewer, res, outcome.queued, release).response(fetchApi);
  };

  const run = async ({ request, viewer, requestId }: StreamCall): Promise<StreamAnswer> => {
    const token = streamTokenOf(request);
    if (token === null) return badRequest('A stream token is required (x-graphql-event-stream-token).');
    if (!accepts(request, ['*/*', 'application/*', 'application/json'])) return { status: 406, message: 'An operation is answered on its stream; accept */*.' };
    const operation = await readStreamOperation(request, viewer, requestId);
    if (!isOperation(operation)) return operation;
    if (holder.holdsFor(token, viewer.sub)) return holder.serve({ kind: 'run', token, operation });
    const outcome = await reservations.submit(token, viewer.sub, operation);
    if (outcome.state === 'held') return route(outcome.holder, { kind: 'run', token, operation });
    return { queued: ANSWERS.accepted, duplicate: ANSWERS.duplicateOperation, full: ANSWERS.tooManyQueued, unknown: ANSWERS.streamNotFound }[outcome.state];
  };

  const cancel = async ({ request, viewer, requestId }: StreamCall): Promise<StreamAnswer> => {
    const token = streamTokenOf(request);
    const operationId = cancelledOperationId(request);
    if (token === null || operationId === null) return badRequest('A stream token and ?operationId= are required.');
    const routed: RoutedRequest = { kind: 'cancel', token, sub: viewer.sub, operationId, requestId };
    if (holder.holdsFor(token, viewer.sub)) return holder.serve(routed);
    const outcome = await reservations.cancel(token, viewer.sub, operationId);
    if (outcome.state === 'held') return route(outcome.holder, routed);
    return outcome.state === 'cancelled' ? ANSWERS.ok : ANSWERS.streamNotFound;
  };

  const respond = async (call: StreamCall): Promise<Response> => {
    switch (streamRequestKind(streamRequestHead(call.request))) {
      case 'reserve':
        return reserve(call);
      case 'connect':
        return connect(call);
      case 'distinct':
        // The HTTP front door sends these to the GraphQL endpoint; only a request handed to Yoga directly gets here.
        return answerResponse(badRequest('Distinct connections mode is served at /graphql; a stream here needs a reserved token.'));
      case 'run':
        return answerResponse(await run(call));
      case 'cancel':
        return answerResponse(await cancel(call));
      default:
        return answerResponse({ status: 405, message: 'Use PUT to reserve, GET or POST with Accept: text/event-stream to connect, POST to run, DELETE to stop.' }, ALLOWED);
    }
  };

  const plugin: Plugin = {
    onYogaInit({ yoga: instance }) {
      yoga = instance as unknown as AnyYoga;
    },
    onRequest({ request, url, endResponse, serverContext, fetchAPI }) {
      if (url.pathname !== endpoint) return;
      const viewer = viewers.get(request);
      if (viewer === undefined) return endResponse(errorResponse(pulseError('UNAUTHENTICATED', 'A bearer token is required.')));
      if (!viewer.roles.has(STREAM_ROLE)) return endResponse(answerResponse(ANSWERS.forbidden));
      const requestId = requestIdOf(request);
      const res = (serverContext as PulseServerContext).res;
      return respond({ request, viewer, requestId, res, fetchApi: fetchAPI }).then(endResponse, (err: unknown) => {
        // The registry and the router reject only when Redis does.
        logger.warn({ err, requestId }, 'single-connection request failed: Redis unavailable');
        endResponse(answerResponse(ANSWERS.backendDown));
      });
    },
  };
  return {
    plugin,
    close: async () => {
      closing = true;
      await holder.dropAll();
    },
  };
}

/** What a refused connect answers, by the registry's outcome. */
const CONNECT_REFUSALS = { taken: ANSWERS.streamOpen, full: ANSWERS.tooManyStreams, unknown: ANSWERS.notPending } as const;

/** The context an operation starts from, wherever it arrived: the transport's own fields, no HTTP request. */
function operationContext({ viewer, requestId, params }: StreamOperation, { resultSink, dropConnection }: OperationConnection): Record<string, unknown> {
  // No `request`: the operation's own request has been answered (or was sent to another process), and Yoga's
  // HTTP-only rules (no mutation over GET) would wrongly judge it by the stream's.
  const context: PulseServerContext & { params: StreamOperation['params'] } = { viewer, transport: 'sse-single', requestId, dropConnection, resultSink, params };
  return context as unknown as Record<string, unknown>;
}

function yogaOf(yoga: AnyYoga | undefined): AnyYoga {
  if (yoga === undefined) throw new Error('single-connection SSE ran an operation before Yoga started');
  return yoga;
}

function isOperation(value: StreamOperation | StreamAnswer): value is StreamOperation {
  return 'operationId' in value;
}

/** Whether the request's `Accept` (absent meaning anything) allows one of `types`. */
function accepts(request: Request, types: readonly string[]): boolean {
  const accept = request.headers.get('accept');
  if (accept === null || accept.trim() === '') return true;
  return accept.split(',').some((type) => types.includes(type.split(';')[0]?.trim() ?? ''));
}
