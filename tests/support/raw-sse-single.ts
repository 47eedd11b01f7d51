import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

/** A single-connection graphql-sse stream over a bare TCP socket, which a test can stop reading. */
export interface RawSingleStream {
  readonly socket: Socket;
  /** The reservation's token (`x-graphql-event-stream-token`). */
  readonly streamToken: string;
  /** Bytes received so far. */
  readonly received: () => number;
  /** Everything received so far, as text (the first 1 MB). */
  readonly text: () => string;
  /** Resolves when the server closed (or reset) the connection. */
  readonly closed: Promise<void>;
}

/**
 * Reserves a stream with `PUT streamUrl` and connects it over a plain
 * socket, resolving once the head and the first keep-alive arrived. The
 * caller may then `socket.pause()`: the kernel buffers fill, then the server's.
 */
export async function openRawSingleStream(streamUrl: string, token: string): Promise<RawSingleStream> {
  const reserved = await fetch(streamUrl, { method: 'PUT', headers: { authorization: `Bearer ${token}` } });
  if (reserved.status !== 201) throw new Error(`reservation refused: ${reserved.status} ${await reserved.text()}`);
  const streamToken = await reserved.text();
  const url = new URL(streamUrl);
  const socket = connect(Number(url.port), url.hostname);
  await once(socket, 'connect');
  socket.write(
    [
      `GET ${url.pathname} HTTP/1.1`,
      `Host: ${url.host}`,
      'Accept: text/event-stream',
      `Authorization: Bearer ${token}`,
      `x-graphql-event-stream-token: ${streamToken}`,
      '',
      '',
    ].join('\r\n'),
  );
  let received = 0;
  let text = '';
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  // A reset by the server is how a drop may look from here; it is the expected end, not a failure.
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (text.length < 1_048_576) text += chunk.toString('utf8');
  });
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (/^HTTP\/1\.1 200[\s\S]*\r\n\r\n[\s\S]*:\n\n/.test(text)) resolve();
    };
    socket.on('data', check);
    void closed.then(() => reject(new Error(`the stream closed before it opened: ${text.slice(0, 500)}`)));
  });
  return { socket, streamToken, received: () => received, text: () => text, closed };
}

/** Sends one operation to a single-connection stream and resolves with the HTTP status of the answer. */
export async function postStreamOperation(streamUrl: string, token: string, streamToken: string, operationId: string, query: string): Promise<number> {
  const response = await fetch(streamUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'x-graphql-event-stream-token': streamToken, 'content-type': 'application/json' },
    body: JSON.stringify({ query, extensions: { operationId } }),
  });
  await response.arrayBuffer();
  return response.status;
}
