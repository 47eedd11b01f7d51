import { STATUS_CODES, type ServerResponse } from 'node:http';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { TOKEN_HEADER_KEY, TOKEN_QUERY_KEY, type RequestParams, type Response as SseResponse } from 'graphql-sse';
import { createHandler } from 'graphql-sse/lib/use/fetch';
import type { Plugin, YogaInitialContext, YogaServerInstance } from 'graphql-yoga';
import type { Viewer } from '../auth.js';
import { pulseError } from '../errors.js';
import { createReservationRegistry, type ReservationRegistry, type ReservationTimers } from './sse-reservations.js';
import { runOperation } from './run-operation.js';
import { paced, StreamConnections } from './sse-stream-connections.js';

/** Options of {@link useSingleConnectionSse}. */
export interface SingleConnectionSseOptions {
  /** Where graphql-sse is served, e.g. `/graphql/stream`. */
  readonly endpoint: string;
  /** Verified viewers by request, filled by the auth plugin (which runs first). */
  readonly viewers: WeakMap<Request, Viewer>;
  /** How long a reservation waits for its stream (`SSE_RESERVATION_TTL_MS`). */
  readonly reservationTtlMs: number;
  /** Pending reservations per admin (`MAX_SSE_RESERVATIONS_PER_ADMIN`). */
  readonly maxReservationsPerAdmin: number;
  /** @defaultValue Node's timers, unref'd */
  readonly timers?: ReservationTimers;
}

/** The plugin, and a way to drop every pending reservation at shutdown. */
export interface SingleConnectionSse {
  readonly plugin: Plugin;
  /** Expires pending reservations, ending any operation attached to them. */
  close(): void;
}

type Handler = (request: Request) => Promise<Response>;
type AnyYoga = YogaServerInstance<Record<string, unknown>, Record<string, unknown>>;

/** graphql-sse's own response tuple for an error, with a GraphQL error body. */
function sseError(error: GraphQLError, status: number): SseResponse {
  const body = JSON.stringify({ errors: [error.toJSON()] });
  return [body, { status, statusText: STATUS_CODES[status] ?? '', headers: { 'content-type': 'application/json; charset=utf-8' } }];
}

function streamToken(request: Request): string | null {
  return request.headers.get(TOKEN_HEADER_KEY) ?? new URL(request.url).searchParams.get(TOKEN_QUERY_KEY);
}


/**
 * graphql-sse in single connection mode through the one Yoga instance (what
 * `@graphql-yoga/plugin-graphql-sse` does), plus what that plugin lacks:
 * - the reservation `PUT` issues a random token of our own, at most
 *   `maxReservationsPerAdmin` pending per admin (429
 *   `TOO_MANY_SUBSCRIPTIONS` beyond), and a reservation whose stream has not
 *   connected within `reservationTtlMs` is dropped with its operations
 *   (then its token gets 404);
 * - a document refused by parsing or validation (a limit included) is
 *   answered on the stream with its errors and codes, instead of a bare 400
 *   ("Unable to detect operation AST") or, for a parse error, a 500.
 */
export function useSingleConnectionSse({ endpoint, viewers, reservationTtlMs, maxReservationsPerAdmin, timers }: SingleConnectionSseOptions): SingleConnectionSse {
  const serverContexts = new WeakMap<Request, Record<string, unknown>>();
  const connections = new StreamConnections();
  // Requests this module makes itself to dispose of an expired reservation.
  const disposals = new WeakSet<Request>();
  let handler: Handler | undefined;
  const dispose = (token: string): void => {
    if (handler === undefined) return;
    // Connecting with an aborted request makes graphql-sse end the stream at once: it forgets the token and returns its operations.
    const request = new Request(`http://localhost${endpoint}`, { headers: { accept: 'text/event-stream', [TOKEN_HEADER_KEY]: token }, signal: AbortSignal.abort() });
    disposals.add(request);
    void handler(request).then((response) => response.body?.cancel(), () => undefined);
  };
  const reservations = createReservationRegistry({ ttlMs: reservationTtlMs, maxPerOwner: maxReservationsPerAdmin, onExpire: dispose, timers });
  const authenticate = (request: Request): SseResponse | string | null => {
    const token = streamToken(request);
    if (disposals.has(request)) return token;
    const viewer = viewers.get(request);
    if (viewer === undefined) return sseError(pulseError('UNAUTHENTICATED', 'A bearer token is required.'), 401);
    if (request.method === 'PUT') return reserve(reservations, viewer);
    // Without a token graphql-sse serves the request in distinct connections mode.
    if (token === null) return null;
    const connecting = (request.headers.get('accept') ?? '') === 'text/event-stream';
    if (connecting && !reservations.claim(token, viewer.sub)) {
      return sseError(new GraphQLError('No pending reservation for this token: it expired, is connected already or was never made.'), 404);
    }
    const res = serverContexts.get(request)?.res as ServerResponse | undefined;
    if (connecting && res !== undefined) connections.attach(token, res);
    return token;
  };
  const plugin: Plugin = {
    onYogaInit({ yoga }) {
      handler = createHandler(
        {
          authenticate: (req) => authenticate(req.raw),
          onSubscribe: (req, params) => {
            const token = streamToken(req.raw);
            const dropping = token === null ? {} : { dropConnection: connections.dropper(token) };
            const running = subscribe(yoga as unknown as AnyYoga, { ...serverContexts.get(req.raw), ...dropping, request: req.raw, params }, params);
            return token === null ? running : running.then((result) => (isStream(result) ? paced(result, () => connections.drained(token)) : result));
          },
        },
        yoga.fetchAPI,
      );
    },
    onRequest({ request, url, endResponse, serverContext }) {
      if (url.pathname !== endpoint || handler === undefined) return;
      serverContexts.set(request, serverContext as Record<string, unknown>);
      return handler(request).then(endResponse);
    },
  };
  return { plugin, close: () => reservations.close() };
}

function isStream<T>(value: T | AsyncIterable<ExecutionResult>): value is AsyncIterable<ExecutionResult> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

function reserve(reservations: ReservationRegistry, viewer: Viewer): SseResponse | string {
  const token = reservations.reserve(viewer.sub);
  if (token !== null) return token;
  return sseError(pulseError('TOO_MANY_SUBSCRIPTIONS', 'Too many stream reservations are waiting for their connection; connect or let them expire first.'), 429);
}

/** Runs one operation; a refused document becomes an error result on the stream, as graphql-sse expects. */
async function subscribe(yoga: AnyYoga, initialContext: Partial<YogaInitialContext> & Record<string, unknown>, params: RequestParams) {
  const outcome = await runOperation(yoga, initialContext, params);
  return 'refused' in outcome ? { data: null, errors: outcome.refused } : outcome.result;
}
