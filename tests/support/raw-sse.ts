import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

/** A distinct-mode SSE subscription over a bare TCP socket, which a test can stop reading. */
export interface RawSseSubscriber {
  readonly socket: Socket;
  /** Bytes received so far. */
  readonly received: () => number;
  /** Resolves when the server closed (or reset) the connection. */
  readonly closed: Promise<void>;
}

/**
 * Opens a TCP connection to `url`'s host, POSTs `query` as a distinct-mode
 * graphql-sse subscription and resolves once the first event arrived. The
 * caller may then `socket.pause()` so that nothing more is read: the kernel
 * buffers fill, then the server's.
 */
export async function openRawSse(graphqlUrl: string, token: string, query: string): Promise<RawSseSubscriber> {
  const url = new URL(graphqlUrl);
  const socket = connect(Number(url.port), url.hostname);
  await once(socket, 'connect');
  const body = JSON.stringify({ query });
  socket.write(
    [
      `POST ${url.pathname} HTTP/1.1`,
      `Host: ${url.host}`,
      'Accept: text/event-stream',
      'Content-Type: application/json',
      `Authorization: Bearer ${token}`,
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n'),
  );
  let received = 0;
  let text = '';
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  // A reset by the server is how a drop may look from here; it is the expected end, not a failure.
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (text.length < 65_536) text += chunk.toString('utf8');
      if (/\r\n\r\n[\s\S]*event: next/.test(text)) resolve();
    };
    socket.on('data', onData);
    void closed.then(() => reject(new Error(`the stream closed before its first event: ${text.slice(0, 500)}`)));
  });
  return { socket, received: () => received, closed };
}
