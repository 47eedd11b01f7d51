import { connect } from 'node:net';

/** What a raw HTTP exchange ended with. */
export interface RawAnswer {
  readonly status: number;
  readonly body: string;
  /** Body bytes the client had written when the answer arrived. */
  readonly sent: number;
}

/** Options of {@link rawUpload}. */
export interface RawUploadOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** Bytes of body to offer in total. */
  readonly size: number;
  /** `true`: no Content-Length, the body goes chunked, a piece at a time. */
  readonly chunked?: boolean;
  /** @defaultValue 5000 */
  readonly timeoutMs?: number;
}

/**
 * Uploads `size` bytes of JSON-looking filler over a plain TCP socket and
 * resolves with the answer as soon as the server has sent it and closed or
 * finished, however much of the body was sent by then. A plain socket, not
 * `node:http`: a server that answers 413 and closes makes the client's next
 * write fail with EPIPE, and `node:http` then drops the answer it had already
 * received. Rejects when no answer comes within the timeout (a hang).
 */
export function rawUpload(url: string, { method = 'POST', headers = {}, size, chunked = false, timeoutMs = 5000 }: RawUploadOptions): Promise<RawAnswer> {
  const { hostname, port, pathname, search } = new URL(url);
  const piece = Buffer.alloc(16 * 1024, ' ');
  const lengthHeader = chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(size) };
  const head = [`${method} ${pathname}${search} HTTP/1.1`, `host: ${hostname}:${port}`, ...Object.entries({ ...headers, ...lengthHeader }).map(([k, v]) => `${k}: ${v}`)];
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let sent = 0;
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const finish = (): void => {
      const answer = parseAnswer(received);
      if (!answer) return;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...answer, sent });
    };
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      finish();
    });
    socket.on('close', () => {
      finish();
      clearTimeout(timer);
      reject(new Error(`connection closed without a complete answer (${received.length} bytes received)`));
    });
    // The server closing while we still write is the point of the test, not a failure.
    socket.on('error', () => undefined);
    const writeMore = (): void => {
      while (!socket.destroyed && sent < size) {
        const chunk = piece.subarray(0, Math.min(piece.length, size - sent));
        sent += chunk.length;
        const framed = chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk;
        if (!socket.write(framed)) return void socket.once('drain', writeMore);
      }
      if (sent >= size && chunked && !socket.destroyed) socket.write('0\r\n\r\n');
    };
    socket.once('connect', () => {
      socket.write(`${head.join('\r\n')}\r\n\r\n`);
      writeMore();
    });
  });
}

/** A complete HTTP/1.1 answer (status and body, chunked or with a length), or null while more is due. */
function parseAnswer(raw: Buffer): { status: number; body: string } | null {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const [statusLine = '', ...headerLines] = text.slice(0, end).split('\r\n');
  const status = Number(statusLine.split(' ')[1]);
  const header = (name: string): string | undefined =>
    headerLines.find((line) => line.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim();
  const rest = raw.subarray(Buffer.byteLength(text.slice(0, end + 4), 'latin1'));
  const length = header('content-length');
  if (length !== undefined) return rest.length >= Number(length) ? { status, body: rest.subarray(0, Number(length)).toString('utf8') } : null;
  if (header('transfer-encoding')?.toLowerCase() !== 'chunked') return null;
  const chunks: Buffer[] = [];
  for (let at = 0; ; ) {
    const lineEnd = rest.indexOf('\r\n', at);
    if (lineEnd < 0) return null;
    const chunkSize = parseInt(rest.subarray(at, lineEnd).toString('latin1'), 16);
    if (chunkSize === 0) return { status, body: Buffer.concat(chunks).toString('utf8') };
    if (rest.length < lineEnd + 2 + chunkSize + 2) return null;
    chunks.push(rest.subarray(lineEnd + 2, lineEnd + 2 + chunkSize));
    at = lineEnd + 2 + chunkSize + 2;
  }
}
