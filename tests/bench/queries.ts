/** Sequential query latencies over HTTP, one keep-alive connection: what a dashboard's request would see. */
import { Agent } from 'node:http';
import { postGraphql } from './graphql-post.js';
import { ACTIVE_USERS, STATS, type QueryResult, type Target } from './protocol.js';
import { summarize } from './stats.js';

/** Requests sent first and not timed: connection set-up, JIT and Redis script loading. */
const WARM_UP = 20;
const MAX_ERRORS_KEPT = 5;

/** Times `count` requests of each query, one after another. */
export async function timeQueries(target: Target, count: number): Promise<QueryResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const errors: string[] = [];
  let failures = 0;
  const time = async (query: string): Promise<number[]> => {
    const samples: number[] = [];
    for (let i = 0; i < WARM_UP + count; i++) {
      const started = performance.now();
      try {
        await postGraphql(target.graphqlUrl, target.adminToken, query, {}, agent);
        if (i >= WARM_UP) samples.push(performance.now() - started);
      } catch (error) {
        failures += 1;
        if (errors.length < MAX_ERRORS_KEPT) errors.push(error instanceof Error ? error.message : String(error));
      }
    }
    return samples;
  };
  const activeUsers = summarize(await time(ACTIVE_USERS));
  const stats = summarize(await time(STATS));
  agent.destroy();
  return { activeUsers, stats, failures, errors };
}
