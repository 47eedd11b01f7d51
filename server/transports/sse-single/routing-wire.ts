import { jsonReader } from '../../domain/json-reader.js';
import { isErrorCode, type StreamAnswer } from './answers.js';
import { parseStreamOperation, streamOperationToJson } from './operation.js';
import type { RoutedRequest } from './routing.js';

/** One message on a process's routing channel. */
export type RouterMessage =
  /** A request for a stream this process holds; the answer goes to `replyTo`'s channel with the same `call`. */
  | { readonly kind: 'request'; readonly call: string; readonly replyTo: string; readonly request: RoutedRequest }
  /** The answer to this process's call `call`. */
  | { readonly kind: 'answer'; readonly call: string; readonly answer: StreamAnswer };

/** Raised for a routing message that does not fit (a foreign publisher, a version skew). */
export class MalformedRouterMessageError extends Error {
  override name = 'MalformedRouterMessageError';
}

const read = jsonReader((message) => new MalformedRouterMessageError(message));

/** The message as JSON. */
export function encodeRouterMessage(message: RouterMessage): string {
  if (message.kind === 'answer') return JSON.stringify(message);
  const { request } = message;
  const body = request.kind === 'run' ? { ...request, operation: streamOperationToJson(request.operation) } : request;
  return JSON.stringify({ ...message, request: body });
}

/**
 * Reads one routing message, checking every field: the one way a message
 * from another process enters.
 * @throws MalformedRouterMessageError (or MalformedOperationError for its operation) when anything does not fit
 */
export function parseRouterMessage(raw: unknown): RouterMessage {
  const o = read.object(read.json(raw), 'message');
  const call = read.string(o.call, 'call');
  if (o.kind === 'answer') return { kind: 'answer', call, answer: parseAnswer(o.answer) };
  if (o.kind === 'request') return { kind: 'request', call, replyTo: read.string(o.replyTo, 'replyTo'), request: parseRequest(o.request) };
  throw new MalformedRouterMessageError(`unknown message kind ${String(o.kind)}`);
}

function parseRequest(value: unknown): RoutedRequest {
  const o = read.object(value, 'request');
  const token = read.string(o.token, 'token');
  if (o.kind === 'run') return { kind: 'run', token, operation: parseStreamOperation(o.operation) };
  if (o.kind === 'cancel') {
    return { kind: 'cancel', token, sub: read.string(o.sub, 'sub'), operationId: read.string(o.operationId, 'operationId'), requestId: read.string(o.requestId, 'requestId') };
  }
  throw new MalformedRouterMessageError(`unknown request kind ${String(o.kind)}`);
}

function parseAnswer(value: unknown): StreamAnswer {
  const o = read.object(value, 'answer');
  const status = read.int(o.status, 'status');
  if (status < 200 || status > 599) throw new MalformedRouterMessageError(`answer.status: ${status} is not an HTTP status`);
  const message = read.optString(o.message, 'answer.message');
  if (o.code !== undefined && !isErrorCode(o.code)) throw new MalformedRouterMessageError(`answer.code: unknown code ${String(o.code)}`);
  return { status, ...(message === null ? {} : { message }), ...(o.code === undefined ? {} : { code: o.code }) };
}
