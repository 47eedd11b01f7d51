/**
 * The outside world the client touches (time, timers, randomness, fetch,
 * the bearer token), as small injectable types with system defaults, so
 * tests control every one of them.
 */

/** The timer functions the client schedules with. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  // Method syntax keeps the parameter bivariant, so `globalThis.clearTimeout` fits as is.
  clearTimeout(handle: unknown): void;
}

/**
 * The global timers, looked up at each call rather than captured at import,
 * so fake timers installed later (vitest) or a patched global still apply.
 */
export const systemTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]),
};

/** The fetch signature the client calls; `globalThis.fetch` and test fakes both fit. */
export type FetchFn = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * The global fetch, looked up at each call: calling a captured `window.fetch`
 * with another `this` throws "Illegal invocation" in browsers.
 */
export const systemFetch: FetchFn = (input, init) => globalThis.fetch(input, init);

/** The system clock in epoch ms, looked up at each call (fake timers replace `Date`). */
export const systemNow = (): number => Date.now();

/** `Math.random`, looked up at each call. */
export const systemRandom = (): number => Math.random();

/**
 * A bearer token, or a function that returns one (sync or async). A function
 * is called again for every connection attempt and every HTTP request, so a
 * refreshed token is picked up without recreating the client.
 */
export type TokenSource = string | (() => string | Promise<string>);

/**
 * The `Authorization` header value for `token`.
 *
 * @throws whatever a token function throws; callers turn it into a failed
 * request (urql: a network error; the live feed: a retried attempt).
 */
export async function bearer(token: TokenSource): Promise<string> {
  return `Bearer ${typeof token === 'function' ? await token() : token}`;
}

/** `fetchFn` with the bearer token added to every request. */
export function withAuthorization(fetchFn: FetchFn, token: TokenSource): FetchFn {
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('authorization', await bearer(token));
    return fetchFn(input, { ...init, headers });
  };
}

/** Pulse's endpoints under its base URL (e.g. `http://127.0.0.1:4000`, with or without a trailing slash). */
export function endpoints(baseUrl: string): { readonly graphql: string; readonly stream: string } {
  const base = baseUrl.replace(/\/+$/, '');
  return { graphql: `${base}/graphql`, stream: `${base}/graphql/stream` };
}
