import type { Page } from 'playwright-core';

/**
 * A tap on the dashboard's event stream, for feeding it events the server
 * would never send. Installed before the page loads, it wraps `window.fetch`:
 * every `text/event-stream` response from `/graphql/stream` is passed through
 * a `TransformStream` that forwards the server's bytes untouched, notes the
 * operation ids of the `next` events it sees, and can add SSE text of ours.
 *
 * Our text is only ever added between two complete SSE messages (after a
 * blank line), never inside one the server is still sending, so the stream
 * stays well-formed around it and the only bad input is the one the test chose.
 */
export interface StreamTap {
  /** Operation ids (`"id"` of `next` events) seen so far on the tapped streams. */
  operationIds(): Promise<string[]>;
  /**
   * Adds `text` to every open tapped stream, at the next message boundary.
   * Resolves with how many streams took it.
   */
  inject(text: string): Promise<number>;
}

/** The page-side API the init script installs, as the test reads it. */
interface TapGlobal {
  operationIds: string[];
  inject(text: string): number;
}

/** Installs the tap on a page that has not navigated yet; see {@link StreamTap}. */
export async function tapEventStreams(page: Page): Promise<StreamTap> {
  await page.addInitScript(installStreamTap);
  return {
    operationIds: () => page.evaluate(() => [...(window as unknown as { __pulseTap: TapGlobal }).__pulseTap.operationIds]),
    inject: (text) => page.evaluate((t) => (window as unknown as { __pulseTap: TapGlobal }).__pulseTap.inject(t), text),
  };
}

/**
 * Runs in the page, before its own scripts (Playwright serialises it, so it
 * refers to nothing outside itself).
 */
function installStreamTap(): void {
  const original = window.fetch.bind(window);
  const encoder = new TextEncoder();
  const operationIds: string[] = [];
  const open = new Set<(text: string) => void>();

  const noteIds = (message: string): void => {
    const data = message
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).trimStart())
      .join('\n');
    try {
      const parsed: unknown = JSON.parse(data);
      const id = typeof parsed === 'object' && parsed !== null && 'id' in parsed ? parsed.id : undefined;
      if (typeof id === 'string' && !operationIds.includes(id)) operationIds.push(id);
    } catch {
      // pings (":") and our own injected garbage carry no id
    }
  };

  const tap = (body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> => {
    const decoder = new TextDecoder();
    let partial = ''; // text of a message the server has not finished yet
    let queued: string[] = [];
    let controller: TransformStreamDefaultController<Uint8Array> | undefined;
    const flushQueued = (): void => {
      try {
        for (const text of queued) controller?.enqueue(encoder.encode(text));
      } catch {
        // The reader went away (the tab aborted the stream): this stream takes no more text.
        open.delete(inject);
      }
      queued = [];
    };
    const inject = (text: string): void => {
      queued.push(text);
      if (partial === '') flushQueued();
    };
    const transform = new TransformStream<Uint8Array, Uint8Array>({
      start: (c) => {
        controller = c;
        open.add(inject);
      },
      transform: (chunk, c) => {
        c.enqueue(chunk);
        const messages = (partial + decoder.decode(chunk, { stream: true })).replace(/\r\n/g, '\n').split('\n\n');
        partial = messages.pop() ?? '';
        messages.forEach(noteIds);
        if (partial === '') flushQueued();
      },
      flush: () => {
        open.delete(inject);
      },
    });
    return body.pipeThrough(transform);
  };

  window.fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const response = await original(input, init);
    const url = input instanceof Request ? input.url : String(input);
    const isStream = response.headers.get('content-type')?.startsWith('text/event-stream') && new URL(url, location.href).pathname.endsWith('/graphql/stream');
    if (!isStream || !response.body) return response;
    return new Response(tap(response.body), { status: response.status, statusText: response.statusText, headers: response.headers });
  };

  const api: TapGlobal = {
    operationIds,
    inject: (text) => {
      open.forEach((inject) => inject(text));
      return open.size;
    },
  };
  (window as unknown as { __pulseTap: TapGlobal }).__pulseTap = api;
}
