import { TOKEN_HEADER_KEY, TOKEN_QUERY_KEY } from 'graphql-sse';
import type { Viewer } from '../auth.js';
import { badRequest, type StreamAnswer } from './sse-answers.js';
import { MalformedOperationError, parseOperationParams, type StreamOperation } from './sse-operation.js';

/** What a request to the single-connection endpoint asks for, as graphql-sse's protocol tells them apart. */
export type StreamRequestKind = 'reserve' | 'connect' | 'run' | 'cancel' | 'unsupported';

/** Tells the requests apart: `PUT` reserves, an event-stream `GET`/`POST` connects, other `POST`s run operations, `DELETE` stops one. */
export function streamRequestKind(request: Request): StreamRequestKind {
  const accepts = (request.headers.get('accept') ?? '').split(',').map((type) => type.split(';')[0]?.trim());
  if (request.method === 'PUT') return 'reserve';
  if (request.method === 'DELETE') return 'cancel';
  if ((request.method === 'GET' || request.method === 'POST') && accepts.includes('text/event-stream')) return 'connect';
  return request.method === 'POST' ? 'run' : 'unsupported';
}

/** The stream token of a request: graphql-sse's header, else its query parameter. */
export function streamTokenOf(request: Request): string | null {
  return request.headers.get(TOKEN_HEADER_KEY) || new URL(request.url).searchParams.get(TOKEN_QUERY_KEY) || null;
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
