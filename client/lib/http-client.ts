import { Client, fetchExchange, subscriptionExchange, type Exchange } from '@urql/core';
import type { Client as SseClient } from 'graphql-sse';
import { type FetchFn, type TokenSource, withAuthorization } from './runtime.js';

/** Options of {@link createHttpClient}. */
export interface HttpClientOptions {
  /** The GraphQL endpoint, e.g. `http://127.0.0.1:4000/graphql`. */
  readonly graphqlUrl: string;
  readonly token: TokenSource;
  readonly fetch: FetchFn;
  /** Carries urql subscriptions; without it, the client sends queries and mutations only. */
  readonly sse?: SseClient<boolean>;
}

/**
 * An urql client for Pulse: queries and mutations over GraphQL over HTTP,
 * each with a fresh bearer token; subscriptions, when `sse` is given, over
 * graphql-sse. No document cache (live figures go stale at once) and no
 * retry exchange: errors come back as values (`result.error`), and a
 * caller that wants retries has one retry layer to add, not two to stack.
 */
export function createHttpClient({ graphqlUrl, token, fetch, sse }: HttpClientOptions): Client {
  const exchanges: Exchange[] = [fetchExchange];
  if (sse) {
    exchanges.push(
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: sse.subscribe({ ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
    );
  }
  return new Client({ url: graphqlUrl, fetch: withAuthorization(fetch, token), exchanges });
}
