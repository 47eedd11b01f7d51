import type { Subscription } from './clients.js';
import { readStreamUntil } from './read-stream.js';

/** How a transport told the client it refused an operation. */
export interface Refusal {
  /** `extensions.code` of the first GraphQL error, when the refusal carried one. */
  readonly code?: unknown;
  /** HTTP status, for refusals sent as an HTTP response. */
  readonly status?: number;
  /** WebSocket close code, for refusals sent by closing the socket. */
  readonly closeCode?: number;
}

type ErrorLike = { extensions?: Record<string, unknown> };

async function fromError(error: unknown): Promise<Refusal> {
  if (Array.isArray(error)) return { code: (error[0] as ErrorLike | undefined)?.extensions?.code };
  const response = (error as { response?: Response }).response;
  if (response) {
    const body = (await response.json().catch(() => ({}))) as { errors?: ErrorLike[] };
    return { status: response.status, code: body.errors?.[0]?.extensions?.code };
  }
  const closeCode = (error as { code?: unknown }).code;
  if (typeof closeCode === 'number') return { closeCode };
  throw new Error(`unrecognised refusal: ${String(error)}`);
}

/**
 * Waits until a subscription is refused, however its transport says so (a
 * GraphQL error result, a protocol error message, an HTTP status, a close
 * code), and fails the test if it delivers data instead.
 */
export async function refusalOf(subscription: Subscription, timeoutMs = 5_000): Promise<Refusal> {
  const viaError = subscription.errors.next(timeoutMs, 'a refusal').then(fromError);
  const viaResult = subscription.results.next(timeoutMs, 'a refusal').then((result): Refusal => {
    if (!result.errors?.length) throw new Error(`expected a refusal, got data: ${JSON.stringify(result.data)}`);
    return { code: result.errors[0]?.extensions?.code };
  });
  // Whichever channel the transport used settles first; the other times out unobserved.
  viaError.catch(() => {});
  viaResult.catch(() => {});
  return Promise.any([viaError, viaResult]).catch((aggregate: AggregateError) => {
    throw aggregate.errors.find((e: unknown) => !String(e).includes('timed out')) ?? aggregate.errors[0];
  });
}

/**
 * Sends a subscription as graphql-sse's distinct mode would, with plain
 * fetch, reads the answer up to its first event, and returns the status and
 * the code of the first error (none for a stream that started). The official
 * client aborts the request on a refusal, so the body it got can no longer
 * be read.
 */
export async function probeSse(graphqlUrl: string, token: string | null, query: string): Promise<Refusal> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const abort = new AbortController();
  const response = await fetch(graphqlUrl, { method: 'POST', headers, body: JSON.stringify({ query }), signal: abort.signal });
  try {
    const json = response.headers.get('content-type')?.includes('json') ? await response.text() : await firstEventData(response);
    const body = JSON.parse(json) as { errors?: ErrorLike[] };
    return { status: response.status, code: body.errors?.[0]?.extensions?.code };
  } finally {
    abort.abort();
  }
}

// An event is complete at its blank line; pings (`:`) carry no data.
const FIRST_DATA = /^data: (.*)\n\n/m;

async function firstEventData(response: Response): Promise<string> {
  const text = await readStreamUntil(response, (read) => FIRST_DATA.test(read));
  return FIRST_DATA.exec(text)?.[1] ?? '{}';
}
