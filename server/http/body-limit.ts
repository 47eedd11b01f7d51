import type { Plugin } from 'graphql-yoga';
import { pulseError } from '../core/errors.js';
import { errorResponse } from './error-response.js';

/** The one 413: a GraphQL error body, and the connection closed so Node does not read the rest of the upload. */
function tooLarge(maxBytes: number): Response {
  const response = errorResponse(
    pulseError('PAYLOAD_TOO_LARGE', `The request body is larger than ${maxBytes} bytes (MAX_REQUEST_BODY_BYTES).`, { limit: 'MAX_REQUEST_BODY_BYTES' }),
  );
  response.headers.set('connection', 'close');
  return response;
}

/** Reads a body up to `maxBytes`; `null` (with the rest of the body cancelled) when it is longer. */
async function readBounded(body: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array<ArrayBuffer> | null> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

/** Options of {@link useBodyLimit}. */
export interface BodyLimitOptions {
  /**
   * Told when an accepted body replaced the request with a fresh one, so
   * what earlier plugins keyed by the request (the verified viewer) follows
   * it. @defaultValue ignore
   */
  readonly onReplaced?: (from: Request, to: Request) => void;
  /** Told of each body refused, for `pulse_limit_refusals_total{limit="MAX_REQUEST_BODY_BYTES"}`. @defaultValue ignore */
  readonly onRefused?: () => void;
}

/**
 * Refuses request bodies over `maxBytes` with 413 `PAYLOAD_TOO_LARGE`, on
 * every HTTP path (GraphQL, both graphql-sse modes): at once when
 * `Content-Length` says so, and for a chunked (or lying) body as soon as the
 * bytes read pass the limit, so no more than `maxBytes` is ever held. The
 * accepted body is buffered and handed on as a fresh request, which every
 * later plugin and Yoga's parser read as usual. It is the first plugin to
 * read a body: only the auth plugin, which reads headers alone, goes before
 * it, so an anonymous body is never read at all.
 */
export function useBodyLimit(maxBytes: number, { onReplaced = () => {}, onRefused = () => {} }: BodyLimitOptions = {}): Plugin {
  const refuse = (): Response => {
    onRefused();
    return tooLarge(maxBytes);
  };
  return {
    async onRequest({ request, setRequest, endResponse, fetchAPI }) {
      if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return;
      const declared = Number(request.headers.get('content-length') ?? '0');
      if (declared > maxBytes) return endResponse(refuse());
      if (request.body === null) return;
      const body = await readBounded(request.body, maxBytes);
      if (body === null) return endResponse(refuse());
      const buffered = new fetchAPI.Request(request.url, { method: request.method, headers: request.headers, body, signal: request.signal });
      onReplaced(request, buffered);
      setRequest(buffered);
    },
  };
}
