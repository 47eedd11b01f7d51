import { stringifyDocument } from '@urql/core';
import { createClient, NetworkError } from 'graphql-sse';
import type { ActivityFilter } from '../../generated/graphql.js';
import { failureFromErrors, statusOf, type Failure } from '../retry/error-codes.js';
import { observedFetch, refusalOf } from './observed-fetch.js';
import { ActivityChangedSubscription } from '../operations.js';
import { bearer, endpoints, type FetchFn, type TokenSource } from '../runtime.js';

/** What the live feed subscribes to. */
export interface LiveRequest {
  /** Narrows users and events (see `ActivityFilter` in the schema). @defaultValue no filter */
  readonly filter?: ActivityFilter | null;
  /** Users in the snapshot, 1 to 100. @defaultValue 20 (the server's default) */
  readonly first?: number | null;
  /**
   * Resume after this cursor (the last event applied) instead of starting
   * from a snapshot. The live feed sets it on reconnects. @defaultValue null
   */
  readonly since?: string | null;
}

/** What one connection reports to the live feed. */
export interface ConnectionHandlers {
  /** Bytes arrived (an event or a keep-alive ping). */
  onActivity(): void;
  /** One result as received, not validated yet. */
  onResult(result: unknown): void;
  /** The connection failed or the server ended the stream. Never called after its close function. */
  onClose(failure: Failure): void;
}

/**
 * The seam between the live feed and the wire: opens one connection for one
 * attempt and returns its close function. The feed decides about retries;
 * a connector never retries by itself.
 */
export interface LiveConnector {
  open(request: LiveRequest, handlers: ConnectionHandlers): () => void;
}

/** How subscriptions travel: one shared SSE connection, or one per subscription. */
export type SseTransport = 'single' | 'distinct';

/** Options of {@link createSseConnector}. */
export interface SseConnectorOptions {
  /** Pulse's base URL, e.g. `http://127.0.0.1:4000`. */
  readonly url: string;
  readonly token: TokenSource;
  readonly transport: SseTransport;
  readonly fetch: FetchFn;
}

const ACTIVITY_QUERY = stringifyDocument(ActivityChangedSubscription);
const ENDED: Failure = { code: null, status: null, message: 'the server ended the stream' };

/**
 * A {@link LiveConnector} over graphql-sse. Every attempt gets a graphql-sse
 * client of its own, disposed with it: in single connection mode a client
 * would otherwise keep handing out a connection that died silently (its
 * cleanup waits on a `DELETE` to the dead server). graphql-sse's own retries
 * are off (`retryAttempts: 0`): the live feed is the one retry layer. The
 * token is fetched per attempt, through graphql-sse's `headers` function.
 */
export function createSseConnector({ url, token, transport, fetch }: SseConnectorOptions): LiveConnector {
  const { graphql, stream } = endpoints(url);
  return {
    open(request, handlers) {
      // Once closed, graphql-sse still calls `complete`; the feed must not hear of it.
      let current = true;
      const client = createClient({
        url: transport === 'single' ? stream : graphql,
        singleConnection: transport === 'single',
        headers: async () => ({ authorization: await bearer(token) }),
        fetchFn: observedFetch(fetch, () => current && handlers.onActivity()),
        retryAttempts: 0,
      });
      // Absent variables are left out (JSON drops `undefined`), so the schema's defaults apply.
      const variables = { filter: request.filter ?? undefined, first: request.first ?? undefined, since: request.since ?? undefined };
      const unsubscribe = client.subscribe(
        { query: ACTIVITY_QUERY, variables },
        {
          next: (result) => current && handlers.onResult(result),
          error: (error) => current && handlers.onClose(failureOf(error)),
          complete: () => current && handlers.onClose(ENDED),
        },
      );
      return () => {
        current = false;
        unsubscribe();
        client.dispose();
      };
    },
  };
}

/** What graphql-sse's `error` callback was given, as a {@link Failure}. */
export function failureOf(error: unknown): Failure {
  if (error instanceof NetworkError) {
    return refusalOf(error.response) ?? { code: null, status: statusOf(error.response), message: error.message };
  }
  return failureFromErrors(error) ?? { code: null, status: null, message: error instanceof Error ? error.message : String(error) };
}
