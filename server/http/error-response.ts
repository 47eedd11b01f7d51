import { STATUS_CODES } from 'node:http';
import type { GraphQLError } from 'graphql';
import { ERROR_CODES, type ErrorCode } from '../core/errors.js';

/**
 * The one HTTP error response Pulse writes itself (outside GraphQL
 * execution): a GraphQL-over-HTTP error body with `extensions.code`, the
 * code's status, and a `WWW-Authenticate` challenge on 401.
 */
export function errorResponse(error: GraphQLError): Response {
  const code = error.extensions.code as ErrorCode;
  const status = ERROR_CODES[code]?.status ?? 500;
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (status === 401) headers['www-authenticate'] = 'Bearer realm="pulse"';
  const body = { errors: [{ message: error.message, extensions: { code } }] };
  return new Response(JSON.stringify(body), { status, statusText: STATUS_CODES[status], headers });
}
