import type { IncomingMessage } from 'node:http';
import { TOKEN_HEADER_KEY } from 'graphql-sse';

/** The only `Content-Type`s taken: what graphql-sse's client and `fetch` with a JSON body send. */
const JSON_TYPES: ReadonlySet<string> = new Set(['application/json', 'application/json; charset=utf-8']);

/** A declared body length: digits only, no sign, no leading zero, no list. */
const LENGTH = /^[1-9][0-9]{0,9}$/;

/**
 * Whether a request is, from its head alone, the plainest kind of
 * distinct-mode subscription, which Pulse serves before Yoga: an HTTP/1.1
 * `POST` to exactly `path`, asking for exactly `text/event-stream`, with a
 * JSON body whose declared length is within `maxBodyBytes`, a bearer
 * header, and nothing else that changes how it is read (no chunked body,
 * no `Expect`, no stream token). Anything else is Yoga's, as it always was.
 * @returns the declared body length, or null when the request is Yoga's
 */
export function directBodyLength(req: IncomingMessage, path: string, maxBodyBytes: number): number | null {
  const { headers } = req;
  if (req.method !== 'POST' || req.url !== path || req.httpVersion !== '1.1') return null;
  if (headers.accept !== 'text/event-stream' || !JSON_TYPES.has(headers['content-type'] ?? '')) return null;
  if (typeof headers.authorization !== 'string' || headers['transfer-encoding'] !== undefined || headers.expect !== undefined) return null;
  if (headers[TOKEN_HEADER_KEY] !== undefined) return null;
  const declared = headers['content-length'];
  if (declared === undefined || !LENGTH.test(declared)) return null;
  const length = Number(declared);
  return length <= maxBodyBytes ? length : null;
}
