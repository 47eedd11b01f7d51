import type { ExecutionResult } from 'graphql';
import { setTimeout as delay } from 'node:timers/promises';
import { subscribe, TRANSPORTS, type Transport } from '../support/clients.js';
import { ACTIVITY } from '../support/operations.js';

/** Options of {@link churnSubscribers}. */
export interface ChurnOptions {
  /** `http://host:port/graphql` */
  readonly graphqlUrl: string;
  /** One admin token per slot: a slot runs one subscriber at a time, so the per-admin SSE reservation limit never binds. */
  readonly tokens: readonly string[];
  /** No subscriber starts after this (epoch ms). */
  readonly until: number;
  /** Upper bound on subscribers started, whatever the time. @defaultValue 1000000 */
  readonly maxSubscriptions?: number;
  readonly minLifeMs: number;
  readonly maxLifeMs: number;
  /** Longest wait for a subscriber's snapshot, in ms. @defaultValue 10000 */
  readonly snapshotTimeoutMs?: number;
  /** @defaultValue Math.random */
  readonly random?: () => number;
}

/** What the churn did. */
export interface ChurnTotals {
  readonly opened: Record<Transport, number>;
  /** Changes received by subscribers (snapshots and `StatsChanged` not counted). */
  changesReceived: number;
  errorCount: number;
  /** The first few errors, for the report. */
  readonly errors: string[];
}

const NOT_CHANGES = new Set(['Snapshot', 'StatsChanged']);

function typename(result: ExecutionResult<Record<string, unknown>>): string | undefined {
  const event = result.data?.activityChanged as { __typename?: string } | undefined;
  return event?.__typename;
}

/**
 * One subscriber's life: subscribe, wait for the snapshot, stay a random
 * while (failing if the server ends the stream first), unsubscribe. Throws
 * what went wrong.
 */
async function live(transport: Transport, graphqlUrl: string, token: string, lifeMs: number, snapshotTimeoutMs: number, totals: ChurnTotals): Promise<void> {
  const sub = subscribe(transport, { graphqlUrl, token }, ACTIVITY);
  const ended = sub.finished.then(() => {
    throw new Error(`the stream ended early: ${String(sub.errors.seen[0] ?? 'completed')}`);
  });
  ended.catch(() => {}); // observed below; unobserved when the subscriber outlives nothing
  try {
    const first = await Promise.race([sub.results.next(snapshotTimeoutMs, 'the snapshot'), ended]);
    if (typename(first) !== 'Snapshot') throw new Error(`first result was not a Snapshot: ${JSON.stringify(first).slice(0, 200)}`);
    totals.opened[transport]++;
    await Promise.race([delay(lifeMs), ended]);
  } finally {
    totals.changesReceived += sub.results.seen.filter((r) => !NOT_CHANGES.has(typename(r) ?? 'Snapshot')).length;
    sub.dispose();
  }
}

/**
 * Runs `tokens.length` slots until `until`, each opening subscribers one
 * after another over the transports in turn (graphql-sse distinct, single,
 * graphql-ws), each living a random time. Resolves when every slot is done.
 */
export async function churnSubscribers(options: ChurnOptions): Promise<ChurnTotals> {
  const { graphqlUrl, tokens, until, maxSubscriptions = 1_000_000, minLifeMs, maxLifeMs, snapshotTimeoutMs = 10_000, random = Math.random } = options;
  const totals: ChurnTotals = { opened: { 'sse-distinct': 0, 'sse-single': 0, ws: 0 }, changesReceived: 0, errorCount: 0, errors: [] };
  let started = 0;
  const slot = async (token: string, index: number): Promise<void> => {
    while (Date.now() < until && started < maxSubscriptions) {
      const transport = TRANSPORTS[(index + started++) % TRANSPORTS.length] as Transport;
      const lifeMs = minLifeMs + Math.floor(random() * (maxLifeMs - minLifeMs));
      await live(transport, graphqlUrl, token, lifeMs, snapshotTimeoutMs, totals).catch((error: unknown) => {
        totals.errorCount++;
        if (totals.errors.length < 10) totals.errors.push(`${transport}: ${error instanceof Error ? error.message : String(error)}`);
      });
    }
  };
  await Promise.all(tokens.map(slot));
  return totals;
}
