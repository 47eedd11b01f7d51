import { randomUUID } from 'node:crypto';
import type { ExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL, subscribe } from '../../support/clients.js';
import { RECORD, activity } from '../../support/operations.js';
import { BACKENDS, startTestPulse, type TestPulse } from '../../support/pulse.js';

const STATS_ONLY = /* GraphQL */ `
  subscription { activityChanged { __typename at ... on StatsChanged { stats { activeUsers activeSessions eventsLastMinute topPaths { path sessions } } } } }
`;

type StatsEvent = { __typename: string; at: string; stats?: unknown };
const eventOf = (result: ExecutionResult<Record<string, unknown>>): StatsEvent => result.data?.activityChanged as StatsEvent;

describe.each(BACKENDS)('StatsChanged on the %s backend', (backend) => {
  const intervalMs = 300;
  let pulse: TestPulse;

  beforeAll(async () => {
    pulse = await startTestPulse({ backend, env: { STATS_INTERVAL_MS: String(intervalMs) } });
  });
  afterAll(() => pulse.close());

  it('comes only when a figure changed, and at most once per STATS_INTERVAL_MS', async () => {
    const sub = subscribe('ws', { graphqlUrl: pulse.graphqlUrl, token: await pulse.token('stats-admin', ['admin']) }, STATS_ONLY);
    try {
      expect(eventOf(await sub.results.next()).__typename).toBe('Snapshot');
      const ingest = await pulse.token('app', ['ingest']);
      // A burst of 40 writes over ~1 s would give 80 changes; stats must be coalesced.
      const writer = (async () => {
        for (let i = 0; i < 40; i++) {
          await postGraphQL(pulse.graphqlUrl, ingest, RECORD, { input: activity(`s-${randomUUID()}`, `u-${i}`, { path: `/p${i % 3}` }) });
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      })();
      await writer;
      const last = await sub.results.waitFor((r) => (eventOf(r).stats as { activeSessions?: number } | undefined)?.activeSessions === 40, 5_000, 'stats counting all 40 sessions');
      const updates = sub.results.seen.map(eventOf).filter((e) => e.__typename === 'StatsChanged');
      expect(updates.at(-1)).toEqual(eventOf(last));
      expect(updates.length).toBeGreaterThan(1);
      expect(updates.length).toBeLessThan(20);
      updates.slice(1).forEach((update, i) => {
        expect(Date.parse(update.at) - Date.parse(updates[i]?.at ?? '')).toBeGreaterThanOrEqual(intervalMs);
        expect(update.stats).not.toEqual(updates[i]?.stats);
      });
    } finally {
      sub.dispose();
    }
  });
});
