import type { ExecutionResult } from 'graphql';
import { createClient as createSseClient, type Client as SseClient } from 'graphql-sse';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { EventQueue } from './event-queue.js';

/** A GraphQL result as it came over HTTP, with the status. */
export interface HttpResult<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: ExecutionResult<T> & { errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

/** POSTs one operation with an optional bearer token. */
export async function postGraphQL<T = Record<string, unknown>>(
  url: string,
  token: string | null,
  query: string,
  variables?: Record<string, unknown>,
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  return { status: response.status, body: (await response.json()) as HttpResult<T>['body'] };
}

/** First error code of a result, or undefined. */
export function errorCode(result: { errors?: ReadonlyArray<{ extensions?: Record<string, unknown> }> }): unknown {
  return result.errors?.[0]?.extensions?.code;
}

/** A live subscription: its results, queued, and how to end it. */
export interface Subscription {
  readonly results: EventQueue<ExecutionResult<Record<string, unknown>>>;
  /** Set when the stream errored (transport or protocol error). */
  readonly errors: EventQueue<unknown>;
  /** Resolves when the stream completed or errored. */
  readonly finished: Promise<void>;
  dispose(): void;
}

/** The transports a subscription test runs over, each through its official client. */
export const TRANSPORTS = ['sse-distinct', 'sse-single', 'ws'] as const;

/** One of {@link TRANSPORTS}. */
export type Transport = (typeof TRANSPORTS)[number];

/** Where to connect and as whom. */
export interface Endpoint {
  /** `http://host:port/graphql` */
  readonly graphqlUrl: string;
  readonly token: string | null;
}

type Sink = { next(value: ExecutionResult<Record<string, unknown>>): void; error(error: unknown): void; complete(): void };
type Subscribe = (payload: { query: string; variables?: Record<string, unknown> }, sink: Sink) => () => void;

/**
 * Opens a client for a transport with retries off, so a test sees every
 * refusal as it happened. The caller disposes the returned client.
 */
export function openClient(transport: Transport, { graphqlUrl, token }: Endpoint): { subscribe: Subscribe; dispose: () => void } {
  const authorization = token === null ? undefined : `Bearer ${token}`;
  if (transport === 'ws') {
    const client: WsClient = createWsClient({
      url: graphqlUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: authorization ? { authorization } : {},
      retryAttempts: 0,
      lazy: true,
    });
    return { subscribe: (payload, sink) => client.subscribe(payload, sink), dispose: () => void client.dispose() };
  }
  const client: SseClient = createSseClient({
    url: transport === 'sse-single' ? `${graphqlUrl}/stream` : graphqlUrl,
    singleConnection: transport === 'sse-single',
    headers: authorization ? { authorization } : {},
    retryAttempts: 0,
  });
  return { subscribe: (payload, sink) => client.subscribe(payload, sink), dispose: () => client.dispose() };
}

/** Subscribes over `transport` and queues what arrives. */
export function subscribe(
  transport: Transport,
  endpoint: Endpoint,
  query: string,
  variables?: Record<string, unknown>,
): Subscription {
  const client = openClient(transport, endpoint);
  const results = new EventQueue<ExecutionResult<Record<string, unknown>>>();
  const errors = new EventQueue<unknown>();
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const unsubscribe = client.subscribe(variables ? { query, variables } : { query }, {
    next: results.push,
    error: (error) => {
      errors.push(error);
      results.fail(error);
      finish();
    },
    complete: () => {
      results.end();
      finish();
    },
  });
  return {
    results,
    errors,
    finished,
    dispose: () => {
      unsubscribe();
      client.dispose();
    },
  };
}
