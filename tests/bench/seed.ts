/**
 * Ingest through `recordActivities`, as the load generator sends it: seeding
 * distinct new sessions (the ingest figure, and the state the queries are
 * timed over), and a mixed load over a fixed pool of sessions and users.
 */
import { Agent } from 'node:http';
import { postGraphql } from './graphql-post.js';
import { RECORD, type MixedIngestArgs, type SeedArgs, type SeedResult, type Target } from './protocol.js';

/** Sessions per user: so activeUsers pages hold users with several sessions, as in real traffic. */
const SESSIONS_PER_USER = 4;
/** Distinct paths, so `topPaths` ranks a realistic spread. */
const PATHS = 200;
const MAX_ERRORS_KEPT = 5;

/** One event as the client sends it. */
interface EventInput {
  readonly sessionId: string;
  readonly userId: string;
  readonly userName: string;
  readonly ipAddress: string;
  readonly path: string;
  readonly userAgent: string;
  readonly at: string;
}

/** What {@link ingest} sends: `events` events, `batchSize` per request, `concurrency` requests in flight. */
interface IngestPlan {
  readonly target: Target;
  readonly events: number;
  readonly batchSize: number;
  readonly concurrency: number;
  /** The events numbered `from` to `from + count - 1`, all stamped `at`. */
  readonly batch: (from: number, count: number, at: string) => EventInput[];
}

/** Session number `n` of user number `user`, on path number `path`; `prefix` keeps the two loads' sessions apart. */
function event(prefix: 'seed' | 'mix', n: number, user: number, path: number, at: string): EventInput {
  return {
    sessionId: `${prefix}-s-${n}`,
    userId: `${prefix}-u-${user}`,
    userName: `User ${user}`,
    ipAddress: `198.51.100.${n % 256}`,
    path: `/p/${path}`,
    userAgent: 'pulse-bench',
    at,
  };
}

/**
 * Sends the plan's events and reports events per second from the first
 * request to the last answer. A failed batch is counted, not retried.
 */
async function ingest({ target, events, batchSize, concurrency, batch }: IngestPlan): Promise<SeedResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const errors: string[] = [];
  let next = 0;
  let recorded = 0;
  let failures = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < events) {
      const from = next;
      const count = Math.min(batchSize, events - from);
      next += count;
      try {
        await postGraphql(target.graphqlUrl, target.ingestToken, RECORD, { inputs: batch(from, count, new Date().toISOString()) }, agent);
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

/** Records `sessions` new sessions, {@link SESSIONS_PER_USER} per user, in batches of `batchSize`, `concurrency` requests in flight. */
export function seed({ target, sessions, batchSize, concurrency }: SeedArgs): Promise<SeedResult> {
  const batch = (from: number, count: number, at: string): EventInput[] =>
    Array.from({ length: count }, (_, i) => event('seed', from + i, Math.floor((from + i) / SESSIONS_PER_USER), (from + i) % PATHS, at));
  return ingest({ target, events: sessions, batchSize, concurrency, batch });
}

/**
 * A fixed sequence of pseudo-random numbers (xorshift32), so that every run
 * and every version sends the same events.
 * @returns a function giving the next integer in [0, below)
 */
function randomInts(seed: number): (below: number) => number {
  let state = seed >>> 0 || 1;
  return (below) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % below;
  };
}

/** Records every session of the mixed load's pool: `sessions` sessions, session `n` of user `n mod users`. */
export function recordPool({ target, sessions, users, batchSize, clients }: MixedIngestArgs): Promise<SeedResult> {
  const pool = (from: number, count: number, at: string): EventInput[] =>
    Array.from({ length: count }, (_, i) => event('mix', from + i, (from + i) % users, (from + i) % PATHS, at));
  return ingest({ target, events: sessions, batchSize, concurrency: clients, batch: pool });
}

/**
 * The mixed load, over a pool {@link recordPool} recorded: `events` events,
 * each for a session drawn at random from the pool, on a path drawn at
 * random, in batches of `batchSize` from `clients` clients at once. Every
 * event updates a session; most move it to another path.
 */
export function mixedIngest({ target, sessions, users, events, batchSize, clients }: MixedIngestArgs): Promise<SeedResult> {
  const random = randomInts(sessions);
  const drawn = (_from: number, count: number, at: string): EventInput[] =>
    Array.from({ length: count }, () => {
      const n = random(sessions);
      return event('mix', n, n % users, random(PATHS), at);
    });
  return ingest({ target, events, batchSize, concurrency: clients, batch: drawn });
}
