import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id.js';

/** Options of {@link frontDoor}. */
export interface FrontDoorOptions {
  /** The GraphQL endpoint, e.g. `/graphql`: every method. */
  readonly graphqlPath: string;
  /** graphql-sse's endpoint, e.g. `/graphql/stream`, where both of its modes are served: every method. */
  readonly streamPath: string;
  /** Whether Pulse serves a path (given as {@link targetPath} reads it) to GET and HEAD: probes, metrics, the dashboard. */
  readonly serves: (path: string) => boolean;
  /**
   * Whether a request to the stream endpoint belongs to the GraphQL
   * endpoint instead: a distinct connections mode stream, which graphql-sse's
   * client sends there by default (see single connection mode's `requests.ts`).
   */
  readonly belongsToGraphQL: (req: IncomingMessage) => boolean;
  /** Told of each request the door answered itself (a 404), e.g. to log it. @defaultValue ignore */
  readonly onRefused?: (refused: RefusedRequest) => void;
}

/** A request the front door answered 404. */
export interface RefusedRequest {
  readonly method: string;
  /** The request target's path as sent, cut to 200 characters. */
  readonly path: string;
  /** The id echoed in `x-request-id`. */
  readonly requestId: string;
}

const NOT_FOUND = 'Not found\n';
/** Closing the connection spares reading whatever body the request declared. */
const NOT_FOUND_HEADERS = { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(NOT_FOUND)), connection: 'close' };

/**
 * The path of an origin-form request target (`/a/b?c`) exactly as sent:
 * not decoded, dot segments and repeated slashes kept, so that `/x/../graphql`,
 * `/graphql//stream` or `/%2Fgraphql` never equal a served path.
 * @returns null for any other form (`*`, or the absolute form, which the HTTP adapter would misread)
 */
export function targetPath(target: string): string | null {
  if (!target.startsWith('/')) return null;
  const end = target.search(/[?#]/);
  return end < 0 ? target : target.slice(0, end);
}

/**
 * What every HTTP request passes before Yoga sees it, on Node's own request
 * (Yoga's built-in plugins, GraphiQL and the health check among them, match
 * paths loosely and run before any plugin of ours):
 * - a request for anything but a GraphQL path, or GET or HEAD of another
 *   served path, exactly as sent, gets a plain 404 (with its request id)
 *   and the connection closed: nothing parsed, no body read;
 * - a distinct connections mode stream sent to the stream endpoint (an
 *   event stream asked for without a stream token, as graphql-sse's client
 *   sends by default) goes to the GraphQL endpoint, which serves that mode,
 *   with its auth, limits, leases, fan-out and metrics.
 */
export function frontDoor(options: FrontDoorOptions, next: RequestListener): RequestListener {
  const { graphqlPath, streamPath, serves, belongsToGraphQL, onRefused = () => {} } = options;
  return (req, res) => {
    const target = req.url ?? '';
    const path = targetPath(target);
    const method = req.method ?? '';
    const graphql = path === graphqlPath || path === streamPath;
    if (path === null || !(graphql || ((method === 'GET' || method === 'HEAD') && serves(path)))) return refuse(req, res, onRefused);
    if (path === streamPath && belongsToGraphQL(req)) req.url = graphqlPath + target.slice(path.length);
    next(req, res);
  };
}

/**
 * The Yoga side of the front door, listed after every plugin of ours that
 * answers a path of its own: a request still unanswered is GraphQL's only
 * at exactly one of `graphqlPaths`; any other gets the same 404. Yoga
 * matches its endpoint by suffix, query included, so without this
 * `GET /healthz?query={…}&x=/graphql` would be parsed and validated.
 */
export function useGraphQLPathsOnly(graphqlPaths: readonly string[]): Plugin {
  return {
    onRequest({ url, endResponse }) {
      if (!graphqlPaths.includes(url.pathname)) endResponse(new Response(NOT_FOUND, { status: 404, headers: NOT_FOUND_HEADERS }));
    },
  };
}

function refuse(req: IncomingMessage, res: ServerResponse, onRefused: (refused: RefusedRequest) => void): void {
  const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
  res.writeHead(404, { ...NOT_FOUND_HEADERS, [REQUEST_ID_HEADER]: requestId });
  res.end(NOT_FOUND);
  onRefused({ method: req.method ?? '', path: (targetPath(req.url ?? '') ?? req.url ?? '').slice(0, 200), requestId });
}
