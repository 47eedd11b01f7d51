/**
 * Baseline 2, the ceiling: a raw `node:http` SSE server. One Redis
 * SUBSCRIBE for the process; each message is already the SSE text of a
 * batch of events, serialised once by the publisher, and is written as is
 * to every open response. No GraphQL, no per-subscriber work beyond the
 * write. Run as its own process by run.ts:
 * `REDIS_URL=... BENCH_CHANNEL=... node --import tsx tests/bench/baseline-raw-sse.ts`;
 * prints `Raw SSE baseline listening on http://...`.
 *
 * POST /graphql with `Accept: text/event-stream` opens a stream (the body is
 * ignored); any other POST /graphql is taken as the bench's
 * `recordActivities` mutation: its `variables.inputs` become one PUBLISH.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { baselineSetup, type BaselineInput as Input } from './baseline-setup.js';

/** Same period as Yoga's default (`SSE_KEEPALIVE_MS`), written locally. */
const KEEPALIVE_MS = 12_000;

const { redisUrl, channel } = baselineSetup('bench:raw');

const publisher = new Redis(redisUrl);
const subscriber = new Redis(redisUrl);
const streams = new Set<ServerResponse>();
let cursor = 0;

/** One `next` frame per event, exactly what Pulse writes for the bench's subscription. */
function frame({ sessionId, userId, path = null, at }: Input): string {
  cursor += 1;
  const event = { __typename: 'SessionUpdated', cursor: String(cursor), at: at ?? new Date().toISOString(), session: { id: sessionId, userId, path } };
  return `event: next\ndata: ${JSON.stringify({ data: { activityChanged: event } })}\n\n`;
}

function openStream(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.flushHeaders();
  streams.add(res);
  res.on('close', () => streams.delete(res));
}

async function publish(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body = '';
  req.setEncoding('utf8');
  for await (const chunk of req) body += chunk as string;
  const inputs = (JSON.parse(body) as { variables?: { inputs?: Input[] } }).variables?.inputs ?? [];
  await publisher.publish(channel, inputs.map(frame).join(''));
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ data: { recordActivities: { recorded: inputs.length } } }));
}

const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/graphql') {
    res.writeHead(404).end();
    return;
  }
  if ((req.headers.accept ?? '').includes('text/event-stream')) return openStream(req, res);
  publish(req, res).catch((error: unknown) => {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ message: error instanceof Error ? error.message : String(error) }] }));
  });
});

subscriber.on('message', (_channel: string, message: string) => {
  for (const res of streams) res.write(message);
});
setInterval(() => {
  for (const res of streams) res.write(':\n\n');
}, KEEPALIVE_MS).unref();

await subscriber.subscribe(channel);
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`Raw SSE baseline listening on http://127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
