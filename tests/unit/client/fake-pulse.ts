import { vi } from 'vitest';
import type { FetchFn } from '../../../client/lib/index.js';

/** A request the fake received. */
export interface ReceivedRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: string | null;
}

/** What the fake answers a request with: a plain response, or an event stream it keeps open. */
export type Answer = Response | 'stream';

/** One open event stream, driven by the test. */
export class FakeStream {
  readonly #encoder = new TextEncoder();
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #open = true;
  /** Set by single connection mode once an operation was posted. */
  operationId: string | null = null;
  readonly body: ReadableStream<Uint8Array>;

  constructor(signal: AbortSignal | null | undefined) {
    this.body = new ReadableStream<Uint8Array>({ start: (controller) => void (this.#controller = controller) });
    signal?.addEventListener('abort', () => this.drop(new DOMException('aborted', 'AbortError')));
  }

  /** Whether the stream is still open (not ended, dropped or aborted by the client). */
  get open(): boolean {
    return this.#open;
  }

  /** Sends one `next` result (`{ data: { activityChanged: event } }` unless `raw`). */
  next(event: unknown, raw = false): void {
    const payload = raw ? event : { data: { activityChanged: event } };
    const data = this.operationId === null ? payload : { id: this.operationId, payload };
    this.#write(`event: next\ndata: ${JSON.stringify(data)}\n\n`);
  }

  /** A keep-alive comment, as Pulse sends every 12 s. */
  ping(): void {
    this.#write(':\n\n');
  }

  /** Ends the operation with `complete` and closes the stream. */
  complete(): void {
    this.#write(`event: complete\ndata: ${this.operationId === null ? '' : JSON.stringify({ id: this.operationId })}\n\n`);
    this.#open = false;
    this.#controller.close();
  }

  /** Breaks the connection. */
  drop(reason: unknown = new TypeError('connection reset')): void {
    if (!this.#open) return;
    this.#open = false;
    this.#controller.error(reason);
  }

  #write(text: string): void {
    if (this.#open) this.#controller.enqueue(this.#encoder.encode(text));
  }
}

/**
 * A scripted Pulse behind an injected fetch, speaking graphql-sse in both
 * modes: single connection mode gets its reservation (`PUT` → 201), its
 * stream (`GET`) and its operations (`POST` → 202, the id noted on the
 * stream); distinct mode gets a stream per `POST`. `answer` overrides the
 * reply to any request.
 */
export class FakePulse {
  readonly requests: ReceivedRequest[] = [];
  readonly streams: FakeStream[] = [];
  answer: (request: ReceivedRequest) => Answer | undefined = () => undefined;

  readonly fetch = vi.fn<FetchFn>(async (input, init) => {
    const request: ReceivedRequest = {
      url: String(input),
      method: init?.method ?? 'GET',
      headers: new Headers(init?.headers),
      body: typeof init?.body === 'string' ? init.body : null,
    };
    this.requests.push(request);
    const answer = this.answer(request) ?? this.#protocol(request);
    if (answer !== 'stream') return answer;
    const stream = new FakeStream(init?.signal);
    this.streams.push(stream);
    return new Response(stream.body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
  });

  /** The stream opened last. */
  get stream(): FakeStream {
    const stream = this.streams.at(-1);
    if (!stream) throw new Error('no stream was opened');
    return stream;
  }

  /** The `Authorization` headers of the subscription requests, in order. */
  authorizations(): Array<string | null> {
    return this.requests.filter((r) => r.method !== 'DELETE').map((r) => r.headers.get('authorization'));
  }

  #protocol(request: ReceivedRequest): Answer {
    if (request.method === 'PUT') return new Response('reservation-token', { status: 201 });
    if (request.method === 'DELETE') return new Response(null, { status: 200 });
    if (request.method === 'POST' && request.url.endsWith('/stream')) {
      const { extensions } = JSON.parse(request.body ?? '{}') as { extensions?: { operationId?: string } };
      this.stream.operationId = extensions?.operationId ?? null;
      return new Response(null, { status: 202 });
    }
    return 'stream';
  }
}

/** A GraphQL error response, as Pulse writes it. */
export function refusal(status: number, code: string, message = `refused: ${code}`): Response {
  return new Response(JSON.stringify({ errors: [{ message, extensions: { code } }] }), { status, headers: { 'content-type': 'application/json' } });
}

/** Lets pending promise chains (fetch, stream reads) run, with fake timers installed. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await vi.advanceTimersByTimeAsync(0);
}
