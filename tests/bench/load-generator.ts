/**
 * The load generator: a process of its own (forked by run.ts), so that the
 * orchestrator's bookkeeping never competes with it and the server under
 * test sees plain HTTP clients. It takes one request at a time over IPC
 * (see protocol.ts) and answers each with a result or an error message.
 */
import type { GeneratorApi, GeneratorReply, GeneratorRequest, Target } from './protocol.js';
import { Publisher } from './publisher.js';
import { timeQueries } from './queries.js';
import { mixedIngest, recordPool, seed } from './seed.js';
import { runStep } from './step.js';
import { SubscriptionPool } from './subscription-pool.js';

/** Sessions updated round-robin by the steps: more than any tick publishes, so a batch never names one twice. */
const SESSION_POOL = 1000;

let pool = new SubscriptionPool();
let publisher: Publisher | undefined;
let publishingTo: string | undefined;

/** One publisher per server: its keep-alive sockets belong to that server. */
function publisherFor(target: Target): Publisher {
  if (publisher === undefined || publishingTo !== target.graphqlUrl) {
    publisher?.close();
    publisher = new Publisher(target, SESSION_POOL);
    publishingTo = target.graphqlUrl;
  }
  return publisher;
}

const handlers: { [K in keyof GeneratorApi]: (args: Parameters<GeneratorApi[K]>[0]) => Promise<ReturnType<GeneratorApi[K]>> } = {
  prepare: async ({ target }) => ({ recorded: await publisherFor(target).prepare() }),
  open: ({ target, count, concurrency }) => pool.topUp(target, count, concurrency),
  close: async () => {
    const closed = pool.closeAll();
    // A fresh pool: late events and end notices of the old streams must not reach the next counts.
    pool = new SubscriptionPool();
    return { closed };
  },
  step: (args) => runStep(args, pool, publisherFor(args.target)),
  seed: (args) => seed(args),
  recordPool: (args) => recordPool(args),
  mixedIngest: (args) => mixedIngest(args),
  queries: ({ target, count }) => timeQueries(target, count),
};

/** The one check at the IPC boundary: the orchestrator is ours, so the shape is trusted past `op`. */
function isRequest(message: unknown): message is GeneratorRequest {
  return typeof message === 'object' && message !== null && 'id' in message && 'op' in message && typeof message.op === 'string' && message.op in handlers;
}

async function answer(request: GeneratorRequest): Promise<GeneratorReply> {
  try {
    // The union of requests does not narrow `handlers[op]` to its own argument type; each pair matches by construction.
    const handler = handlers[request.op] as (args: unknown) => Promise<unknown>;
    return { id: request.id, ok: true, result: await handler(request.args) };
  } catch (error) {
    return { id: request.id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
}

process.on('message', (message: unknown) => {
  if (!isRequest(message)) {
    process.stderr.write(`load generator: ignoring a malformed request ${JSON.stringify(message)}\n`);
    return;
  }
  void answer(message).then((reply) => process.send?.(reply));
});
// The orchestrator went away: nothing left to do.
process.on('disconnect', () => process.exit(0));
