/**
 * What graphql-sse's distinct connections mode writes, in one place: the
 * response headers of Yoga's own event streams and the frames, so that the
 * stream Yoga answers and the one Pulse answers before Yoga
 * (`sse-direct/`) write the same bytes.
 */

/** A keep-alive: an SSE comment, which clients ignore. */
export const PING = ':\n\n';

/** The end of the stream: clients take it as final and do not reconnect. */
export const COMPLETE = 'event: complete\ndata:\n\n';

/** The headers of Yoga's own event streams; Yoga's response hooks (CORS, ours) add theirs as usual. */
export const STREAM_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream',
  connection: 'keep-alive',
  'cache-control': 'no-cache',
  'content-encoding': 'none',
};

/** The transport name a batch is framed under (see `ResultBatch.framed`): one framing for every distinct-mode stream. */
export const DISTINCT_FRAMING = 'sse-distinct';

/** A batch as distinct-mode `next` events: one buffer, shared by every member that writes the batch. */
export function nextEvents(results: readonly string[]): Buffer {
  return Buffer.from(results.map((json) => `event: next\ndata: ${json}\n\n`).join(''));
}
