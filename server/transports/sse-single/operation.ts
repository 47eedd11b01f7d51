import { ROLES, type Role, type Viewer } from '../../auth/authenticator.js';
import { jsonReader } from '../../domain/json-reader.js';
import type { OperationParams } from '../run-operation.js';

/** What a client sent for one operation on a single-connection stream (graphql-sse's request params). */
export interface StreamOperationParams extends OperationParams {
  /** graphql-sse puts the operation id here (`extensions.operationId`); kept as sent. */
  readonly extensions?: Record<string, unknown> | null;
}

/**
 * One operation for a single-connection stream, with everything the process
 * that holds the stream needs to run it: who asked (verified where the
 * request arrived), under which id its results go out, and the request id
 * its logs carry. It waits in a reservation, or travels between processes,
 * as {@link encodeStreamOperation}'s JSON.
 */
export interface StreamOperation {
  readonly operationId: string;
  readonly params: StreamOperationParams;
  readonly viewer: Viewer;
  readonly requestId: string;
}

/** Raised for params or a stored or forwarded operation that do not fit. */
export class MalformedOperationError extends Error {
  override name = 'MalformedOperationError';
}

const read = jsonReader((message) => new MalformedOperationError(message));

/**
 * Checks the params of one operation: an object with a string `query` and,
 * when present, object `variables` and `extensions` (as graphql-sse does).
 * @throws MalformedOperationError naming what is wrong
 */
export function parseOperationParams(value: unknown): StreamOperationParams {
  const o = read.object(value, 'the request body');
  if (o.query === undefined || o.query === null) throw new MalformedOperationError('Missing query');
  const query = read.string(o.query, 'query');
  const operationName = read.optString(o.operationName, 'operationName');
  return { query, variables: optionalObject(o.variables, 'variables'), operationName, extensions: optionalObject(o.extensions, 'extensions') };
}

function optionalObject(value: unknown, what: string): Record<string, unknown> | null {
  return value === undefined || value === null ? null : read.object(value, what);
}

/** The operation as JSON (roles as a list). */
export function encodeStreamOperation(operation: StreamOperation): string {
  return JSON.stringify(streamOperationToJson(operation));
}

/** The operation as plain JSON data, for embedding in a larger message. */
export function streamOperationToJson({ operationId, params, viewer, requestId }: StreamOperation): Record<string, unknown> {
  // The token's expiry travels too: a subscription run by another process is dropped when it passes.
  const acceptedUntil = viewer.acceptedUntil === undefined ? {} : { acceptedUntil: viewer.acceptedUntil };
  return { operationId, params, viewer: { sub: viewer.sub, roles: [...viewer.roles], ...acceptedUntil }, requestId };
}

/**
 * Reads an operation back from {@link encodeStreamOperation}'s JSON (or its
 * parsed value): the one way an operation enters from Redis.
 * @throws MalformedOperationError when anything does not fit
 */
export function parseStreamOperation(raw: unknown): StreamOperation {
  const o = read.object(typeof raw === 'string' ? read.json(raw) : raw, 'operation');
  return {
    operationId: read.string(o.operationId, 'operationId'),
    params: parseOperationParams(o.params),
    viewer: parseViewer(read.object(o.viewer, 'viewer')),
    requestId: read.string(o.requestId, 'requestId'),
  };
}

function parseViewer(viewer: Record<string, unknown>): Viewer {
  const parsed: Viewer = { sub: read.string(viewer.sub, 'viewer.sub'), roles: new Set(read.list(viewer.roles, 'viewer.roles').map(parseRole)) };
  return viewer.acceptedUntil === undefined ? parsed : { ...parsed, acceptedUntil: read.int(viewer.acceptedUntil, 'viewer.acceptedUntil') };
}

function parseRole(value: unknown): Role {
  const role = ROLES.find((known) => known === value);
  if (role === undefined) throw new MalformedOperationError(`viewer.roles: unknown role ${String(value)}`);
  return role;
}
