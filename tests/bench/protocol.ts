/**
 * The IPC contract between the orchestrator (run.ts) and the load generator
 * (load-generator.ts): one request, one reply, matched by `id`. Written as
 * one interface of operations so both sides are checked against it.
 */
import type { LatencySummary } from './stats.js';

/** The server under test, as the generator reaches it. */
export interface Target {
  /** `http://host:port/graphql`: subscriptions, the mutation and the queries all go here. */
  readonly graphqlUrl: string;
  /** Sent with queries (the baselines ignore it). */
  readonly adminToken: string;
  /**
   * The secret every server under test verifies with: the generator mints
   * one admin token per subscription with it, each of its own subject, so
   * that no token cache and no per-admin state is shared between two
   * subscriptions (the baselines ignore the header, but get the same bytes).
   */
  readonly tokenSecret: string;
  /** Sent with `recordActivities` (the baselines ignore it). */
  readonly ingestToken: string;
}

/** Outcome of opening subscriptions. */
export interface OpenResult {
  /** Subscriptions opened by this call (it tops up to the count asked for). */
  readonly opened: number;
  readonly failed: number;
  /** Subscriptions open now. */
  readonly open: number;
  /** From the first request to the last established stream (response headers in). */
  readonly elapsedMs: number;
  /** The first few failures, as text. */
  readonly errors: readonly string[];
}

/** One step of offered load: `rate` events per second for a while. */
export interface StepArgs {
  readonly target: Target;
  /** Events per second offered through the mutation. */
  readonly rate: number;
  /** Load before measuring starts, so queues and JIT settle. */
  readonly warmMs: number;
  readonly measureMs: number;
  /** Longest wait, after publishing stops, for the events of the window to arrive; what is still missing then is lost. */
  readonly drainMs: number;
}

/** What one step measured; only events stamped inside the measuring window count. */
export interface StepResult {
  readonly rate: number;
  /** Subscriptions open when the step began. */
  readonly subscribers: number;
  /** Events acknowledged by the server inside the window. */
  readonly published: number;
  /** `published` × `subscribers`. */
  readonly expected: number;
  readonly received: number;
  readonly missing: number;
  /** Deliveries beyond `expected`: duplicates, or events whose mutation was still unanswered when the step ended. */
  readonly excess: number;
  /** Subscriptions that ended during the step (dropped as slow, or failed). */
  readonly dropped: number;
  /** Mutations that failed; the first few messages in `errors`. */
  readonly publishFailures: number;
  /** Stream errors (an `errors` result or a `complete`) seen during the step. */
  readonly streamErrors: number;
  readonly errors: readonly string[];
  /** The offered deliveries per second (`rate` × `subscribers`) times the share of the window's deliveries that arrived. */
  readonly deliveriesPerSec: number;
  readonly latency: LatencySummary;
  /** CPU the generator itself used during the step, in percent of one core. */
  readonly generatorCpuPct: number;
}

/** Arguments of the seeding run. */
export interface SeedArgs {
  readonly target: Target;
  /** Distinct new sessions to record. */
  readonly sessions: number;
  /** Events per `recordActivities`. */
  readonly batchSize: number;
  /** Requests in flight at once. */
  readonly concurrency: number;
}

/** Arguments of the mixed ingest (see `mixedIngest` in seed.ts). */
export interface MixedIngestArgs {
  readonly target: Target;
  /** Sessions in the pool. */
  readonly sessions: number;
  /** Users they belong to. */
  readonly users: number;
  /** Events sent by `mixedIngest`, each for a session of the pool. */
  readonly events: number;
  /** Events per `recordActivities`. */
  readonly batchSize: number;
  /** Clients sending at once, one request in flight each. */
  readonly clients: number;
}

/** Outcome of seeding (or of the mixed ingest). */
export interface SeedResult {
  readonly recorded: number;
  readonly elapsedMs: number;
  readonly eventsPerSec: number;
  readonly failures: number;
  readonly errors: readonly string[];
}

/** Latencies of sequential queries. */
export interface QueryResult {
  readonly activeUsers: LatencySummary;
  readonly stats: LatencySummary;
  readonly failures: number;
  readonly errors: readonly string[];
}

/** Every operation of the generator: argument and result types. */
export interface GeneratorApi {
  /** Records the fixed pool of sessions whose updates are the published events, so steps produce only `SessionUpdated`. */
  prepare(args: { readonly target: Target }): { readonly recorded: number };
  /** Tops up to `count` open subscriptions, at most `concurrency` being established at a time. */
  open(args: { readonly target: Target; readonly count: number; readonly concurrency: number }): OpenResult;
  /** Closes every subscription (the generator's side hangs up). */
  close(args: Record<string, never>): { readonly closed: number };
  step(args: StepArgs): StepResult;
  seed(args: SeedArgs): SeedResult;
  /** Records the mixed ingest's pool of sessions. */
  recordPool(args: MixedIngestArgs): SeedResult;
  /** Sends events spread at random over the pool `recordPool` recorded. */
  mixedIngest(args: MixedIngestArgs): SeedResult;
  /** `count` sequential `activeUsers(first: 50)` requests, then `count` `stats` requests, after a short warm-up. */
  queries(args: { readonly target: Target; readonly count: number }): QueryResult;
}

/** An operation name. */
export type Operation = keyof GeneratorApi;

/** A request from the orchestrator. */
export type GeneratorRequest = { [K in Operation]: { readonly id: number; readonly op: K; readonly args: Parameters<GeneratorApi[K]>[0] } }[Operation];

/** The generator's answer to request `id`. */
export type GeneratorReply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string };

/** The subscription every server is measured with; the first `Snapshot` (Pulse only) and `StatsChanged` are not deliveries. */
export const SUBSCRIPTION = 'subscription { activityChanged { __typename cursor at ... on SessionUpdated { session { id userId path } } ... on SessionStarted { session { id userId path } } } }';

/** The mutation events are published through, on every server. */
export const RECORD = 'mutation($inputs: [ActivityInput!]!) { recordActivities(inputs: $inputs) { recorded } }';

/** The first query whose latency is measured (Pulse only). */
export const ACTIVE_USERS = '{ activeUsers(first: 50) { edges { node { id } } } }';
/** The second query whose latency is measured (Pulse only). */
export const STATS = '{ stats { activeUsers activeSessions topPaths(limit: 10) { path sessions } } }';
