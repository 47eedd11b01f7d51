import { Client, fetchExchange } from '@urql/core';
import { type FetchFn, type TokenSource, withAuthorization } from './runtime.js';

/** Options of {@link createHttpClient}. */
export interface HttpClientOptions {
  /** The GraphQL endpoint, e.g. `http://127.0.0.1:4000/graphql`. */
  readonly graphqlUrl: string;
  readonly token: TokenSource;
  readonly fetch: FetchFn;
}

/**
 * An urql client for Pulse: queries and mutations over GraphQL over HTTP,
 * each with a fresh bearer token (subscriptions go through the live feed,
 * which retries and resumes). No document cache (live figures go stale at once) and no
 * retry exchange: errors come back as values (`result.error`), and a
 * caller that wants retries has one retry layer to add, not two to stack.
 */
export function createHttpClient({ graphqlUrl, token, fetch }: HttpClientOptions): Client {
  return new Client({ url: graphqlUrl, fetch: withAuthorization(fetch, token), exchanges: [fetchExchange] });
}
