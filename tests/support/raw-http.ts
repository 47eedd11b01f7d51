import { request } from 'node:http';

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
 * Uploads `size` bytes of JSON-looking filler with `node:http` (fetch cannot
 * send a body of a size it does not know, nor lie about it) and resolves with
 * the answer as soon as it arrives, however much of the body was sent by then.
 * Rejects when no answer comes within the timeout (a hang).
 */
export function rawUpload(url: string, { method = 'POST', headers = {}, size, chunked = false, timeoutMs = 5000 }: RawUploadOptions): Promise<RawAnswer> {
  const piece = Buffer.alloc(16 * 1024, ' ');
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    const req = request(url, { method, headers: chunked ? headers : { ...headers, 'content-length': String(size) } }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), sent });
      });
    });
    // The server may close while we are still writing: that is the point, not a failure.
    req.on('error', (error) => {
      if (!answered) {
        clearTimeout(timer);
        reject(error);
      }
    });
    const writeMore = (): void => {
      while (!answered && !req.destroyed && sent < size) {
        const chunk = piece.subarray(0, Math.min(piece.length, size - sent));
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', writeMore);
      }
      if (sent >= size && !req.writableEnded) req.end();
    };
    writeMore();
  });
}
