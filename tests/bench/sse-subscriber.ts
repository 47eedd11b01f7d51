/** One graphql-sse (distinct mode) subscription over a plain `node:http` request: no browser, no client library. */
import { request, type ClientRequest } from 'node:http';
import type { DeliveryCounter } from './delivery-counter.js';
import { SUBSCRIPTION, type Target } from './protocol.js';

/** How long a subscription may take to get its response headers. */
const ESTABLISH_TIMEOUT_MS = 60_000;

/** An established subscription. */
export interface SseSubscription {
  /** False once the stream ended, for whatever reason. */
  readonly open: boolean;
  /** Hangs up. */
  close(): void;
}

/**
 * POSTs the subscription with `Accept: text/event-stream` and resolves once
 * the response headers say 200; from then on every complete frame goes to
 * `counter`. `onEnd` runs once when the stream ends after it was
 * established (not when the caller closed it).
 * @throws Error when the server answers with another status (its body in the message), the connection fails, or nothing answers within a minute
 */
export function openSseSubscription(target: Target, counter: DeliveryCounter, onEnd: () => void): Promise<SseSubscription> {
  const body = JSON.stringify({ query: SUBSCRIPTION });
  // agent: false: one connection per stream, as distinct mode intends, with no pool limit in between.
  const req = request(target.graphqlUrl, {
    method: 'POST',
    agent: false,
    headers: {
      accept: 'text/event-stream',
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      authorization: `Bearer ${target.adminToken}`,
    },
  });
  return new Promise<SseSubscription>((resolve, reject) => {
    const timer = setTimeout(() => req.destroy(new Error('no response within a minute')), ESTABLISH_TIMEOUT_MS);
    req.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.once('response', (res) => {
      clearTimeout(timer);
      res.setEncoding('utf8');
      if (res.statusCode !== 200) {
        let text = '';
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`)));
        return;
      }
      resolve(follow(req, res, counter, onEnd));
    });
    req.end(body);
  });
}

/** Feeds whole frames to the counter; a frame split across chunks waits for its end. */
function follow(req: ClientRequest, res: NodeJS.ReadableStream, counter: DeliveryCounter, onEnd: () => void): SseSubscription {
  let open = true;
  let closedByUs = false;
  let tail = '';
  res.on('data', (chunk: string) => {
    const text = tail + chunk;
    const end = text.lastIndexOf('\n\n');
    if (end === -1) {
      tail = text;
      return;
    }
    tail = text.slice(end + 2);
    counter.scan(end + 2 === text.length ? text : text.slice(0, end + 2), Date.now());
  });
  const ended = (): void => {
    if (!open) return;
    open = false;
    if (!closedByUs) onEnd();
  };
  res.on('end', ended);
  res.on('close', ended);
  res.on('error', ended);
  // After the response began, errors surface here too (a reset); the stream's end is what matters.
  req.on('error', ended);
  return {
    get open() {
      return open;
    },
    close() {
      closedByUs = true;
      open = false;
      req.destroy();
    },
  };
}
