/**
 * One graphql-sse (distinct mode) subscription over a plain TCP socket: no
 * browser, no client library, and no `node:http` client either. The
 * generator opens thousands of these on one core shared with the server
 * under test; through `node:http` each cost the generator about 380 µs of
 * CPU (request and response objects, a parser, timers), more than raw
 * SSE's server spends, so the opening rates measured the generator. Here a
 * request is one prebuilt write, and a response is read as the bytes of
 * an HTTP/1.1 head and a chunked body, which is all three servers send.
 */
import { connect, type Socket } from 'node:net';
import type { DeliveryCounter } from './delivery-counter.js';
import { SUBSCRIPTION, type Target } from './protocol.js';

/** How long a subscription may take to get its response headers. */
const ESTABLISH_TIMEOUT_MS = 60_000;
/** Longest response head read; more is a broken server. */
const MAX_HEAD = 16_384;
const HEAD_END = '\r\n\r\n';

/** An established subscription. */
export interface SseSubscription {
  /** False once the stream ended, for whatever reason. */
  readonly open: boolean;
  /** Hangs up. */
  close(): void;
}

/** Where a request goes, and what it carries besides its token: the same for every subscription of a run. */
interface RequestParts {
  readonly host: string;
  readonly port: number;
  readonly before: string;
  readonly after: string;
}

let parts: { readonly url: string; readonly value: RequestParts } | undefined;

function requestParts(graphqlUrl: string): RequestParts {
  if (parts?.url === graphqlUrl) return parts.value;
  const url = new URL(graphqlUrl);
  const body = JSON.stringify({ query: SUBSCRIPTION });
  const before =
    `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAccept: text/event-stream\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nAuthorization: Bearer `;
  const value = { host: url.hostname, port: Number(url.port), before, after: `\r\n\r\n${body}` };
  parts = { url: graphqlUrl, value };
  return value;
}

/**
 * POSTs the subscription with `Accept: text/event-stream` and `token` as its
 * bearer, and resolves once the response head says 200; from then on every
 * complete frame goes to `counter`. `onEnd` runs once when the stream ends
 * after it was established (not when the caller closed it).
 * @throws Error when the server answers with another status (its first bytes in the message), the connection fails, or nothing answers within a minute
 */
export function openSseSubscription(target: Target, token: string, counter: DeliveryCounter, onEnd: () => void): Promise<SseSubscription> {
  const { host, port, before, after } = requestParts(target.graphqlUrl);
  const socket = connect({ host, port, noDelay: true });
  socket.setEncoding('latin1');
  socket.write(before + token + after);
  return new Promise<SseSubscription>((resolve, reject) => {
    const timer = setTimeout(() => socket.destroy(new Error('no response within a minute')), ESTABLISH_TIMEOUT_MS);
    let head = '';
    const failed = (error: Error): void => {
      clearTimeout(timer);
      reject(error);
    };
    const onHead = (chunk: string): void => {
      head += chunk;
      const end = head.indexOf(HEAD_END);
      if (end === -1) {
        if (head.length > MAX_HEAD) socket.destroy(new Error('response head too long'));
        return;
      }
      clearTimeout(timer);
      socket.off('data', onHead);
      socket.off('error', failed);
      if (!head.startsWith('HTTP/1.1 200 ')) {
        socket.destroy();
        return reject(new Error(`HTTP ${head.slice(9, 12)}: ${head.slice(end + HEAD_END.length, end + HEAD_END.length + 300)}`));
      }
      if (!/\r\ntransfer-encoding: chunked\r\n/i.test(head.slice(0, end + 2))) {
        socket.destroy();
        return reject(new Error('a stream that is not chunked'));
      }
      resolve(follow(socket, head.slice(end + HEAD_END.length), counter, onEnd));
    };
    socket.on('data', onHead);
    socket.once('error', failed);
    socket.once('close', () => failed(new Error('the connection closed before a response')));
  });
}

/** Feeds whole SSE frames of a chunked body to the counter; a chunk or a frame split across reads waits for its end. */
function follow(socket: Socket, rest: string, counter: DeliveryCounter, onEnd: () => void): SseSubscription {
  let open = true;
  let closedByUs = false;
  const body = new ChunkedBody();
  let tail = '';
  const take = (chunk: string): void => {
    const text = tail + body.decode(chunk);
    const end = text.lastIndexOf('\n\n');
    if (end === -1) {
      tail = text;
      return;
    }
    tail = text.slice(end + 2);
    counter.scan(end + 2 === text.length ? text : text.slice(0, end + 2), Date.now());
    if (body.ended) socket.end();
  };
  socket.removeAllListeners('close');
  const ended = (): void => {
    if (!open) return;
    open = false;
    if (!closedByUs) onEnd();
  };
  socket.on('data', take);
  socket.on('close', ended);
  socket.on('error', ended);
  if (rest !== '') take(rest);
  return {
    get open() {
      return open;
    },
    close() {
      closedByUs = true;
      open = false;
      socket.destroy();
    },
  };
}

/** The data of an HTTP/1.1 chunked body, read as it arrives (as latin1, so that one character is one byte). */
class ChunkedBody {
  /** Bytes of the current chunk still to come, then its CRLF; -1 while a size line is read. */
  #remaining = -1;
  #sizeLine = '';
  /** CRLF characters still to skip after a chunk's data. */
  #crlf = 0;
  ended = false;

  decode(input: string): string {
    let out = '';
    let i = 0;
    while (i < input.length && !this.ended) {
      if (this.#crlf > 0) {
        const skip = Math.min(this.#crlf, input.length - i);
        this.#crlf -= skip;
        i += skip;
      } else if (this.#remaining === -1) {
        const lineEnd = input.indexOf('\r\n', i);
        if (lineEnd === -1) {
          this.#sizeLine += input.slice(i);
          break;
        }
        const size = Number.parseInt(this.#sizeLine + input.slice(i, lineEnd), 16);
        this.#sizeLine = '';
        i = lineEnd + 2;
        if (size === 0) this.ended = true;
        else this.#remaining = size;
      } else {
        const take = Math.min(this.#remaining, input.length - i);
        out += input.slice(i, i + take);
        i += take;
        this.#remaining -= take;
        if (this.#remaining === 0) {
          this.#remaining = -1;
          this.#crlf = 2;
        }
      }
    }
    // Left as latin1: the counter reads only ASCII (type names, `at` stamps), and decoding would cost more than it reads.
    return out;
  }
}
