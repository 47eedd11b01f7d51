import type { IncomingMessage } from 'node:http';

/**
 * Reads a request body whose length was declared (and checked against the
 * limit) before a byte of it is read; Node's parser ends it at that length.
 * A small body has usually arrived with its head: it is then taken as it
 * is, without a listener added to (and removed from) the request, which
 * would leave its listener table in slow mode for the stream's life.
 * @returns the body, or null when the client went away before sending all of it
 */
export function readBody(req: IncomingMessage, length: number): Promise<Buffer | null> {
  if (req.complete) {
    const body = req.read() as Buffer | null;
    return Promise.resolve(body !== null && body.length === length ? body : null);
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      received += chunk.length;
    };
    const settle = (body: Buffer | null): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      req.off('error', onClose);
      resolve(body);
    };
    const onEnd = (): void => settle(received === length ? (chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received)) : null);
    const onClose = (): void => settle(null);
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
    req.once('error', onClose);
  });
}
