import { setTimeout as delay } from 'node:timers/promises';
import { postGraphQL } from '../support/clients.js';
import { RECORD_MANY, activity } from '../support/operations.js';

/** Options of {@link startTraffic}. */
export interface TrafficOptions {
  /** `http://host:port/graphql` */
  readonly graphqlUrl: string;
  /** An ingest token. */
  readonly token: string;
  readonly batchSize: number;
  readonly everyMs: number;
  /** Distinct sessions written to, spread over a third as many users. @defaultValue 300 */
  readonly sessions?: number;
  /** Upper bound on batches, whatever the time. @defaultValue 100000 */
  readonly maxBatches?: number;
}

/** What the traffic did. */
export interface TrafficTotals {
  readonly batches: number;
  readonly activities: number;
  readonly failed: number;
  readonly errors: readonly string[];
}

/**
 * Records `batchSize` activities with one `recordActivities` every
 * `everyMs`, on a fixed schedule (a slow answer shortens the next pause
 * rather than pushing every later batch back), until `stop()`.
 */
export function startTraffic({ graphqlUrl, token, batchSize, everyMs, sessions = 300, maxBatches = 100_000 }: TrafficOptions): { stop(): Promise<TrafficTotals> } {
  let running = true;
  let batches = 0;
  let failed = 0;
  const errors: string[] = [];
  const startedAt = Date.now();
  const loop = (async () => {
    for (let i = 0; running && i < maxBatches; i++) {
      const inputs = Array.from({ length: batchSize }, (_, j) => {
        const n = (i * batchSize + j) % sessions;
        return activity(`soak-s${n}`, `soak-u${n % Math.ceil(sessions / 3)}`, { path: `/page/${(i + j) % 7}` });
      });
      const result = await postGraphQL(graphqlUrl, token, RECORD_MANY, { inputs }).catch((error: unknown) => ({ status: 0, body: { errors: [{ message: String(error) }] } }));
      if (result.status === 200 && !result.body.errors) batches++;
      else {
        failed++;
        if (errors.length < 10) errors.push(`${result.status} ${JSON.stringify(result.body.errors).slice(0, 200)}`);
      }
      await delay(Math.max(0, startedAt + (i + 1) * everyMs - Date.now()));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { batches, activities: batches * batchSize, failed, errors };
    },
  };
}
