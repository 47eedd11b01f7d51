import { connect, type Socket } from 'node:net';

/** What came back on a raw socket by the time the server closed it. */
export interface RawReply {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Options of {@link rawRequest}. */
export interface RawRequestOptions {
  readonly method: string;
  /** The request target exactly as sent (`/x/../graphql` stays as it is, unlike with fetch). */
  readonly target: string;
  readonly headers?: Record<string, string>;
  /** @defaultValue 5000 */
  readonly timeoutMs?: number;
}

/**
 * A request written by hand on a plain socket to `base` (`http://host:port`):
 * the head only; the test writes whatever body bytes it wants on `socket`.
 * `reply` settles when the server closes the connection, and rejects when
 * it has not within the timeout (a server still waiting for the body).
 */
export function rawRequest(base: string, { method, target, headers = {}, timeoutMs = 5_000 }: RawRequestOptions): { socket: Socket; reply: Promise<RawReply> } {
  const { hostname, port } = new URL(base);
  const socket = connect(Number(port), hostname);
  const head = [`${method} ${target} HTTP/1.1`, `host: ${hostname}:${port}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  socket.write(`${head.join('\r\n')}\r\n\r\n`);
  // The server closing while the test still writes is often the point.
  socket.on('error', () => undefined);
  const reply = new Promise<RawReply>((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server did not answer and close within ${timeoutMs} ms (${Buffer.concat(chunks).length} bytes received)`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseReply(Buffer.concat(chunks).toString('utf8')));
    });
  });
  return { socket, reply };
}

function parseReply(text: string): RawReply {
  const [head = '', ...rest] = text.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  const raw = rest.join('\r\n\r\n');
  return { status: Number(statusLine.split(' ')[1]), headers, body: headers['transfer-encoding'] === 'chunked' ? unchunk(raw) : raw };
}

function unchunk(raw: string): string {
  let body = '';
  for (let at = 0; ; ) {
    const lineEnd = raw.indexOf('\r\n', at);
    const size = lineEnd < 0 ? 0 : parseInt(raw.slice(at, lineEnd), 16);
    if (!(size > 0)) return body;
    body += raw.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}
