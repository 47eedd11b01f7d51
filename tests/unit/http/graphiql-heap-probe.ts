/**
 * Run by graphiql-lazy.test.ts in a child process (`--expose-gc`): prints,
 * as JSON, the live heap after importing the GraphiQL module, after
 * creating Pulse's GraphiQL, and after rendering its page once.
 */
import { createGraphiQL } from '../../../server/http/graphiql.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc');

function liveHeap(): number {
  gc?.();
  return process.memoryUsage().heapUsed;
}

const imported = liveHeap();
const graphiql = createGraphiQL({ path: '/graphql', token: undefined });
const created = liveHeap();
const page = await graphiql.render(graphiql.options);
const rendered = liveHeap();
process.stdout.write(JSON.stringify({ imported, created, rendered, pageBytes: page.byteLength }));
