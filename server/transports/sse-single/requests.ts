import type { IncomingMessage } from 'node:http';
import { TOKEN_HEADER_KEY, TOKEN_QUERY_KEY } from 'graphql-sse';
import type { Viewer } from '../../auth/authenticator.js';
import { badRequest, type StreamAnswer } from './answers.js';
import { MalformedOperationError, parseOperationParams, type StreamOperation } from './operation.js';

/**
 * What a request to the stream endpoint asks for, as graphql-sse's own
 * handler tells them apart there: `distinct` is a distinct connections mode
 * stream (an event stream asked for without a stream token), the rest are
 * single connection mode.
 */
export type StreamRequestKind = 'reserve' | 'connect' | 'distinct' | 'run' | 'cancel' | 'unsupported';

/** The parts of a request that decide its {@link StreamRequestKind}, read from a fetch `Request` or from Node's request alike. */
export interface StreamRequestHead {
  readonly method: string;
  readonly accept: string | null;
  /** The stream token (graphql-sse's header, else its query parameter), or null. */
  readonly streamToken: string | null;
}

/**
 * Tells the requests apart: `PUT` reserves, an event-stream `GET`/`POST`
 * connects its token's stream (or, with no token, is a distinct-mode
 * stream), other `POST`s run operations, `DELETE` stops one.
 */
export function streamRequestKind({ method, accept, streamToken }: StreamRequestHead): StreamRequestKind {
  const accepts = (accept ?? '').split(',').map((type) => type.split(';')[0]?.trim());
  if (method === 'PUT') return 'reserve';
  if (method === 'DELETE') return 'cancel';
  if ((method === 'GET' || method === 'POST') && accepts.includes('text/event-stream')) return streamToken === null ? 'distinct' : 'connect';
  return method === 'POST' ? 'run' : 'unsupported';
}

/** The {@link StreamRequestHead} of a fetch request. */
export function streamRequestHead(request: Request): StreamRequestHead {
  return { method: request.method, accept: request.headers.get('accept'), streamToken: streamTokenOf(request) };
}

/** The stream token of a request: graphql-sse's header, else its query parameter. */
export function streamTokenOf(request: Request): string | null {
  return tokenFrom(request.headers.get(TOKEN_HEADER_KEY), new URL(request.url).searchParams);
}

/** A stream token from its header's value, else from the query; an empty one is none. */
export function tokenFrom(header: string | null | undefined, query: URLSearchParams): string | null {
  return header || query.get(TOKEN_QUERY_KEY) || null;
}

/** The id of the operation a `DELETE` stops (`?operationId=`). */
export function cancelledOperationId(request: Request): string | null {
  return new URL(request.url).searchParams.get('operationId') || null;
}

/**
 * Reads the operation a `POST` sends: a JSON body of GraphQL params whose
 * `extensions.operationId` names it on the stream.
 * @returns the operation, or the 400 (or 415) answer saying what is wrong
 */
export async function readStreamOperation(request: Request, viewer: Viewer, requestId: string): Promise<StreamOperation | StreamAnswer> {
  if (!(request.headers.get('content-type') ?? '').includes('application/json')) {
    return { status: 415, message: 'Operations are sent as a JSON body (Content-Type: application/json).' };
  }
  try {
    const params = parseOperationParams(JSON.parse(await request.text()));
    const operationId = params.extensions?.operationId;
    if (typeof operationId !== 'string' && typeof operationId !== 'number') return badRequest('Operation ID is missing (extensions.operationId).');
    return { operationId: String(operationId), params, viewer, requestId };
  } catch (error) {
    if (error instanceof SyntaxError) return badRequest('The request body is not JSON.');
    if (error instanceof MalformedOperationError) return badRequest(`Invalid request: ${error.message}.`);
    throw error;
  }
}

/**
 * Whether a Node request to the stream endpoint is a distinct connections
 * mode stream (an event stream asked for without a stream token, as
 * graphql-sse's client sends by default), which the GraphQL endpoint serves.
 */
export function isDistinctModeRequest(req: IncomingMessage): boolean {
  const search = (req.url ?? '').split('?')[1]?.split('#')[0] ?? '';
  const streamToken = tokenFrom(headerOf(req, TOKEN_HEADER_KEY), new URLSearchParams(search));
  return streamRequestKind({ method: req.method ?? '', accept: headerOf(req, 'accept'), streamToken }) === 'distinct';
}

/** A header's value; Node joins repeated ones, so anything but a string is absent. */
function headerOf(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === 'string' ? value : null;
}
