import { failureFromResponseBody, type Failure } from '../retry/error-codes.js';
import type { FetchFn } from '../runtime.js';

// What each error response said, read before graphql-sse aborts its request
// (after which the body can no longer be read).
const refusals = new WeakMap<object, Failure>();

/** The failure an error response given out by {@link observedFetch} described, if it was one. */
export function refusalOf(response: unknown): Failure | undefined {
  return typeof response === 'object' && response !== null ? refusals.get(response) : undefined;
}

/**
 * Wraps fetch for graphql-sse:
 * - every chunk of every response body (events and `:` keep-alive pings
 *   alike, which graphql-sse never surfaces) calls `onActivity`, so a
 *   watchdog can tell a quiet connection from a dead one;
 * - an error response's body is read at once and kept, so the refusal's
 *   `extensions.code` is known even after graphql-sse aborted the request
 *   (see {@link refusalOf}).
 */
export function observedFetch(fetchFn: FetchFn, onActivity: () => void): FetchFn {
  return async (input, init) => {
    const response = await fetchFn(input, init);
    onActivity();
    if (!response.ok) return readRefusal(response);
    if (!response.body) return response;
    const counted = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          onActivity();
          controller.enqueue(chunk);
        },
      }),
    );
    return new Response(counted, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

async function readRefusal(response: Response): Promise<Response> {
  // Statuses a Response cannot be built with (0 for opaque responses) pass through unread.
  if (response.status < 200) return response;
  const body = await response.text().catch(() => '');
  const copy = new Response(body || null, { status: response.status, statusText: response.statusText, headers: response.headers });
  refusals.set(copy, failureFromResponseBody(response.status, response.statusText, body));
  return copy;
}
