import { getOperationAST, GraphQLError, type DocumentNode, type ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Authenticator, Role, Viewer } from '../auth/authenticator.js';
import { pulseError } from '../core/errors.js';
import { errorResponse } from './error-response.js';

/** Roles allowed per operation type: ingest tools may only write. */
export const ROLES_FOR: Readonly<Record<'query' | 'mutation' | 'subscription', readonly Role[]>> = {
  query: ['admin'],
  subscription: ['admin'],
  mutation: ['admin', 'ingest'],
};

/** Options of {@link useAuth}. */
export interface AuthPluginOptions {
  readonly authenticator: Authenticator;
  /** Paths whose every request needs a token (the GraphiQL page excepted). */
  readonly protectedPaths: readonly string[];
  /** Where the verified viewer of each request is kept for the context factory. */
  readonly viewers: WeakMap<Request, Viewer>;
}

/** GraphiQL's own page is public so that a newcomer can open it and paste a token. */
function isGraphiQLPage(request: Request, url: URL): boolean {
  return request.method === 'GET' && !url.searchParams.has('query') && (request.headers.get('accept') ?? '').includes('text/html');
}

/**
 * The 401 of a request whose token failed. A request that declared a body
 * has its connection closed, so Node does not read that body (however large
 * or slow) to keep the connection alive.
 */
function refusal(request: Request, error: unknown): Response {
  const response = errorResponse(error instanceof GraphQLError ? error : pulseError('UNAUTHENTICATED', 'The token could not be verified.'));
  if (declaresBody(request)) response.headers.set('connection', 'close');
  return response;
}

function declaresBody(request: Request): boolean {
  const length = request.headers.get('content-length');
  return request.headers.has('transfer-encoding') || (length !== null && length.trim() !== '0');
}

/**
 * Authentication and role checks for every HTTP transport (GraphQL over
 * HTTP, both graphql-sse modes), in one place:
 * - every request to a protected path carries a valid bearer token, or is
 *   answered 401 from its headers alone, before any byte of its body is
 *   read and before anything is parsed or reserved (this includes the
 *   single-connection reservation `PUT`); so it must be the first plugin
 *   with an `onRequest` hook that reads bodies (the body limit);
 * - each operation's type decides the roles it needs; a wrong role yields
 *   `FORBIDDEN` (HTTP 403) before any resolver runs. graphql-ws reaches the
 *   same role check through the same Yoga instance.
 */
export function useAuth({ authenticator, protectedPaths, viewers }: AuthPluginOptions): Plugin {
  return {
    async onRequest({ request, url, endResponse }) {
      if (!protectedPaths.includes(url.pathname) || request.method === 'OPTIONS' || isGraphiQLPage(request, url)) return;
      try {
        viewers.set(request, await authenticator.verifyAuthorization(request.headers.get('authorization')));
      } catch (error) {
        endResponse(refusal(request, error));
      }
    },
    onExecute({ args, setResultAndStopExecution }) {
      const refusal = roleRefusal(args.contextValue, args.document, args.operationName);
      if (refusal) setResultAndStopExecution(refusal);
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refusal = roleRefusal(args.contextValue, args.document, args.operationName);
      if (refusal) setResultAndStopExecution(refusal);
    },
  };
}

function roleRefusal(context: unknown, document: DocumentNode, operationName?: string | null): ExecutionResult | null {
  const viewer = (context as { viewer?: Viewer | null }).viewer ?? null;
  const operation = getOperationAST(document, operationName)?.operation ?? 'query';
  const allowed = ROLES_FOR[operation];
  if (viewer === null) return { data: null, errors: [pulseError('UNAUTHENTICATED', 'A bearer token is required.')] };
  if (allowed.some((role) => viewer.roles.has(role))) return null;
  return { data: null, errors: [pulseError('FORBIDDEN', `A ${operation} needs the ${allowed.join(' or ')} role.`)] };
}
