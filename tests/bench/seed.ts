/** Seeds distinct active sessions through `recordActivities`, which is also the ingest measurement. */
import { Agent } from 'node:http';
import { postGraphql } from './graphql-post.js';
import { RECORD, type SeedArgs, type SeedResult } from './protocol.js';

/** Sessions per user: so activeUsers pages hold users with several sessions, as in real traffic. */
const SESSIONS_PER_USER = 4;
/** Distinct paths, so `topPaths` ranks a realistic spread. */
const PATHS = 200;
const MAX_ERRORS_KEPT = 5;

/** One new session, numbered `n`. */
function input(n: number, at: string) {
  const user = Math.floor(n / SESSIONS_PER_USER);
  return {
    sessionId: `seed-s-${n}`,
    userId: `seed-u-${user}`,
    userName: `User ${user}`,
    ipAddress: `198.51.100.${n % 256}`,
    path: `/p/${n % PATHS}`,
    userAgent: 'pulse-bench',
    at,
  };
}

/**
 * Records `sessions` new sessions in batches of `batchSize`, `concurrency`
 * requests in flight, and reports events per second from the first request
 * to the last answer. A failed batch is counted, not retried.
 */
export async function seed({ target, sessions, batchSize, concurrency }: SeedArgs): Promise<SeedResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const errors: string[] = [];
  let next = 0;
  let recorded = 0;
  let failures = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < sessions) {
      const from = next;
      const count = Math.min(batchSize, sessions - from);
      next += count;
      const at = new Date().toISOString();
      const inputs = Array.from({ length: count }, (_, i) => input(from + i, at));
      try {
        await postGraphql(target.graphqlUrl, target.ingestToken, RECORD, { inputs }, agent);
        recorded += count;
      } catch (error) {
        failures += 1;
        if (errors.length < MAX_ERRORS_KEPT) errors.push(error instanceof Error ? error.message : String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return { recorded, elapsedMs, eventsPerSec: recorded / (elapsedMs / 1000), failures, errors };
}
