import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { GraphQLError, GraphQLSchema } from 'graphql';
import type { Authenticator, Viewer } from '../../auth/authenticator.js';
import { ROLES_FOR } from '../../http/auth-plugin.js';
import { targetPath } from '../../http/front-door.js';
import type { DocumentLimits } from '../../http/document-limits.js';
import { REQUEST_ID_HEADER, requestIdFrom, type RequestLog } from '../../http/request-id.js';
import { STREAMING_HEADERS } from '../../http/streaming-headers.js';
import { openActivityStream, type ActivityStreamRequest } from '../../live/activity-stream.js';
import { GroupSpecs } from '../../live/fanout/group-spec.js';
import { callBackend } from '../../resolvers/backend.js';
import { checkedFilter, pageSize } from '../../resolvers/bounds.js';
import type { PulseContext, PulseServices } from '../../resolvers/context.js';
import { KeepAlive } from '../keep-alive.js';
import { STREAM_HEADERS } from '../sse-frames.js';
import { DirectEventStream } from './event-stream.js';
import { directBodyLength } from './request-head.js';
import { readBody } from './read-body.js';
import { SubscriptionRequests } from './subscription-request.js';

/** What the fast path learned of a request before giving it to Yoga. */
export interface HandedBack {
  /** The body, read already: Yoga's Node adapter takes it from `req.body` instead of the spent stream. */
  readonly body?: Buffer;
  /** The subscription's refusal, when the fast path opened it (see `PulseContext.streamRefusal`). */
  readonly streamRefusal?: GraphQLError;
}

/** Gives a request to Yoga, which answers it as if the fast path had never seen it. */
export type HandBack = (learned?: HandedBack) => void;

/**
 * What became of an event-stream request to the GraphQL path, the
 * `outcome` of `pulse_direct_streams_total`:
 * - `served`: opened and answered here;
 * - `head`: not the plainest kind from its head (method, path, headers, body framing);
 * - `auth`: its token did not verify, or lacks the subscription role;
 * - `request`: its params, document, variables or arguments are not what Yoga would run without a word;
 * - `refused`: opened, and refused (`TOO_MANY_SUBSCRIPTIONS`, a failing backend);
 * - `abandoned`: its client went away before sending the whole body (nothing to answer).
 * All but `served` and `abandoned` are answered by Yoga.
 */
export type DirectOutcome = 'served' | 'head' | 'auth' | 'request' | 'refused' | 'abandoned';

/** Options of {@link createDirectSse}. */
export interface DirectSseOptions {
  /** The GraphQL endpoint, e.g. `/graphql` (the front door has already sent distinct-mode streams there). */
  readonly path: string;
  /** The schema Yoga serves. */
  readonly schema: GraphQLSchema;
  readonly services: PulseServices;
  readonly authenticator: Authenticator;
  /** The document limits Yoga applies, and their parsed documents (shared, so that groups match Yoga's). */
  readonly documents: DocumentLimits;
  /** `MAX_REQUEST_BODY_BYTES`: a longer declared body is Yoga's to refuse. */
  readonly maxBodyBytes: number;
  /** Time between keep-alive comments on an idle stream (`SSE_KEEPALIVE_MS`). */
  readonly keepAliveMs: number;
  /** The CORS headers of a response on the API paths, for the request's `Origin` (see `createCors`). */
  readonly corsHeaders: (origin: string | undefined) => Record<string, string>;
  /** The request log Yoga's requests are written to. */
  readonly requestLog: RequestLog;
}

/** The node-level distinct-mode handler. */
export interface DirectSse {
  /** Serves `req` if it is a plain distinct-mode subscription, else gives it to Yoga through `handBack`. */
  serve(req: IncomingMessage, res: ServerResponse, handBack: HandBack): void;
}

/**
 * graphql-sse distinct connections mode for `activityChanged`, served
 * before Yoga's adapter, on Node's own request and response: no fetch
 * `Request` or `Response`, no web stream, no envelop pipeline, and nothing
 * of the request kept once the stream is open. It serves only what Yoga
 * would serve without a word, and the same way: a token that verifies and
 * holds the subscription role, checked from the headers before a byte of
 * the body is read; a body within the limit; a document within the
 * document limits that validates, shared with Yoga's parse so that its
 * subscribers join the same fan-out groups; arguments that coerce and pass
 * the resolver's bounds; then the same `openActivityStream` the resolver
 * calls, the same response head (stream headers, CORS, request id) and the
 * same log line. Everything else goes to Yoga, which answers it as before:
 * other methods, headers or paths, any failed check (Yoga then answers 401,
 * 403, 413, a validation error…), and a refused subscription, which Yoga
 * answers from the refusal itself without opening it again.
 */
export function createDirectSse(options: DirectSseOptions): DirectSse {
  return new DirectSseHandler(options);
}

class DirectSseHandler implements DirectSse {
  readonly #requests: SubscriptionRequests;
  readonly #specs = new GroupSpecs();
  readonly #keepAlive: KeepAlive;

  constructor(private readonly options: DirectSseOptions) {
    this.#requests = new SubscriptionRequests(options.schema, options.documents);
    this.#keepAlive = new KeepAlive(options.keepAliveMs);
  }

  serve(req: IncomingMessage, res: ServerResponse, handBack: HandBack): void {
    const { path, maxBodyBytes, services } = this.options;
    const length = directBodyLength(req, path, maxBodyBytes);
    if (length === null) {
      // Counted only for what asks for an event stream: every other request passes here too.
      if (targetPath(req.url ?? '') === path && headerOf(req, 'accept')?.includes('text/event-stream')) this.#outcome('head');
      return handBack();
    }
    this.#serve(req, res, length, handBack).catch((err: unknown) => {
      // A bug: whatever was decided, the connection cannot be trusted to say anything sensible now.
      services.logger.error({ err }, 'direct event stream failed');
      res.destroy();
    });
  }

  async #serve(req: IncomingMessage, res: ServerResponse, length: number, handBack: HandBack): Promise<void> {
    const { services, authenticator, path, corsHeaders, requestLog } = this.options;
    const arrived = performance.now();
    const viewer = await authenticator.verifyAuthorization(req.headers.authorization).catch(() => null);
    // A failed token or a missing role is answered by Yoga (401, 403), before any byte of the body is read.
    if (viewer === null || !ROLES_FOR.subscription.some((role) => viewer.roles.has(role))) {
      this.#outcome('auth');
      return handBack();
    }
    const body = await readBody(req, length);
    // The client went away while sending: there is no one to answer.
    if (body === null) return this.#outcome('abandoned');
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    const sink = new DirectEventStream(res, this.#keepAlive);
    const request = this.#streamRequest(viewer, body, sink, requestId);
    if (request === null) {
      this.#outcome('request');
      return handBack({ body });
    }
    // Errors become what the resolver would throw (SERVICE_UNAVAILABLE for a failing backend, logged with the request id).
    const failed = await callBackend(openingContext(services, viewer, requestId), 'open_stream', () => openActivityStream(services, request)).then(
      () => null,
      (error: GraphQLError) => error,
    );
    if (failed !== null) {
      this.#outcome('refused');
      return handBack({ body, streamRefusal: failed });
    }
    // Node's server already does what Yoga's adapter asks of each socket (no Nagle delay, no idle timeout);
    // asking again would add properties to every socket for the stream's life.
    sink.start(headHeaders(req, requestId, corsHeaders));
    this.#outcome('served');
    requestLog.write({ requestId, method: 'POST', path, header: (name) => headerOf(req, name), statusCode: 200, ms: performance.now() - arrived });
    forgetHeaders(req);
  }

  /** The stream a body asks for, or null when Yoga or the resolver would have a word to say about it. */
  #streamRequest(viewer: Viewer, body: Buffer, sink: DirectEventStream, requestId: string): ActivityStreamRequest | null {
    const subscription = this.#requests.read(body);
    if (subscription === null) return null;
    const { operation, fragments, variables, args } = subscription;
    let filter: ActivityStreamRequest['filter'];
    let first: number;
    try {
      filter = checkedFilter(args.filter as ActivityStreamRequest['filter'] | undefined);
      first = pageSize(args.first as number | null | undefined);
    } catch {
      return null;
    }
    const { schema, services } = this.options;
    // What the fan-out group executes events with: only what resolvers of events read (as the resolver makes it).
    const context: PulseContext = { services, transport: 'sse-distinct', viewer, requestId: 'fan-out group', logger: services.logger };
    const group = this.#specs.specOf({ schema, operation, fragments, variables, roles: viewer.roles, filter, context, logger: services.logger });
    // Parsed by the Cursor scalar as arguments were coerced.
    const since = (args.since as ActivityStreamRequest['since']) ?? null;
    return { viewer, filter, first, since, transport: 'sse-distinct', group, sink, requestId };
  }

  #outcome(outcome: DirectOutcome): void {
    this.options.services.metrics.directStreams.inc({ outcome });
  }
}

/** The context a failed opening is turned into a client error with: the request's, as the resolver would have had it. */
function openingContext(services: PulseServices, viewer: Viewer, requestId: string): PulseContext {
  return {
    services,
    viewer,
    transport: 'sse-distinct',
    requestId,
    // Made only when a failure is logged.
    get logger() {
      return services.logger.child({ requestId });
    },
  };
}

/** Yoga's event-stream head, with what its response hooks add: streaming headers, CORS, the request id. */
function headHeaders(req: IncomingMessage, requestId: string, corsHeaders: (origin: string | undefined) => Record<string, string>): OutgoingHttpHeaders {
  return { ...STREAM_HEADERS, ...STREAMING_HEADERS, ...corsHeaders(headerOf(req, 'origin') ?? undefined), [REQUEST_ID_HEADER]: requestId };
}

/** Stands for the headers of every request whose stream is open. */
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
const NO_RAW_HEADERS: readonly string[] = Object.freeze([]);

/**
 * Drops a served request's headers: Node keeps the request for as long as
 * its response, hours for a stream, and nothing reads them again. That is a
 * tenth of what a stream holds (its bearer token alone is a few hundred
 * bytes), and a credential kept no longer than it is needed.
 */
function forgetHeaders(req: IncomingMessage): void {
  req.headers = NO_HEADERS;
  req.rawHeaders = NO_RAW_HEADERS as string[];
}

/** A request header as fetch's `Headers.get` reads Node's: repeated ones joined. */
function headerOf(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
}
