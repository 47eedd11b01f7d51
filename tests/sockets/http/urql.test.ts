import { randomUUID } from 'node:crypto';
import { Client, fetchExchange, subscriptionExchange } from '@urql/core';
import { createClient as createSseClient } from 'graphql-sse';
import { pipe, subscribe as subscribeTo } from 'wonka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventQueue } from '../../support/event-queue.js';
import { ACTIVITY, RECORD, STATS, activity } from '../../support/operations.js';
import { BACKENDS, startTestPulse, type TestPulse } from '../../support/pulse.js';

describe.each(BACKENDS)('urql against Pulse on the %s backend', (backend) => {
  let pulse: TestPulse;
  let client: Client;
  let dispose: () => void;

  beforeAll(async () => {
    pulse = await startTestPulse({ backend });
    const token = await pulse.token('urql-admin', ['admin']);
    const sse = createSseClient({ url: `${pulse.graphqlUrl}/stream`, singleConnection: true, headers: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
    dispose = () => sse.dispose();
    client = new Client({
      url: pulse.graphqlUrl,
      fetchOptions: { headers: { authorization: `Bearer ${token}` } },
      exchanges: [
        fetchExchange,
        subscriptionExchange({
          forwardSubscription: (operation) => ({
            subscribe: (sink) => ({ unsubscribe: sse.subscribe({ ...operation, query: operation.query ?? '' }, sink) }),
          }),
        }),
      ],
    });
  });
  afterAll(async () => {
    dispose();
    await pulse.close();
  });

  it('queries over HTTP, mutates, and follows the subscription over graphql-sse', async () => {
    const stats = await client.query(STATS, {}).toPromise();
    expect(stats.error).toBeUndefined();
    expect(stats.data?.stats).toMatchObject({ activeSessions: expect.any(Number) });

    const user = `u-${randomUUID()}`;
    const events = new EventQueue<{ __typename: string }>();
    const { unsubscribe } = pipe(
      client.subscription(ACTIVITY, { filter: { userId: user } }),
      subscribeTo((result) => (result.error ? events.fail(result.error) : events.push(result.data?.activityChanged))),
    );
    try {
      expect((await events.next()).__typename).toBe('Snapshot');
      const recorded = await client.mutation(RECORD, { input: activity(`${user}-s`, user) }).toPromise();
      expect(recorded.error).toBeUndefined();
      expect(await events.waitFor((e) => e.__typename === 'SessionStarted')).toBeDefined();
    } finally {
      unsubscribe();
    }
  });
});
