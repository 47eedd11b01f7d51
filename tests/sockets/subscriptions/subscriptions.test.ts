import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL, subscribe, TRANSPORTS, type Subscription } from '../../support/clients.js';
import { epochOf, seqOf } from '../../support/cursors.js';
import { ACTIVITY, END_SESSION, RECORD, activity } from '../../support/operations.js';
import { BACKENDS, startTestPulse, type TestPulse } from '../../support/pulse.js';
import { probeSse, refusalOf, type Refusal } from '../../support/refusal.js';
import { waitUntil } from '../../support/wait.js';
import { eventOf, nextChange, type LooseEvent } from '../../support/events.js';

/**
 * What each transport must say for a refusal with `code`: SSE in distinct mode
 * answers with the code's HTTP status (its body is checked with plain fetch,
 * since the official client aborts it); single connection mode and graphql-ws
 * deliver the GraphQL error itself.
 */
function expectedRefusal(transport: string, code: string, status: number): Refusal {
  return transport === 'sse-distinct' ? { status } : { code };
}


describe.each(BACKENDS)('activityChanged on the %s backend', (backend) => {
  let pulse: TestPulse;
  let ingest: string;
  const opened: Subscription[] = [];

  beforeAll(async () => {
    pulse = await startTestPulse({ backend, env: { STATS_INTERVAL_MS: '100', MAX_SUBSCRIPTIONS_PER_ADMIN: '2' } });
    ingest = await pulse.token('ingest-app', ['ingest']);
  });
  afterAll(async () => {
    opened.forEach((sub) => sub.dispose());
    await pulse.close();
  });

  const record = async (input: Record<string, unknown>): Promise<void> => {
    const { body } = await postGraphQL(pulse.graphqlUrl, ingest, RECORD, { input });
    expect(body.errors).toBeUndefined();
  };
  const end = async (id: string): Promise<void> => {
    const { body } = await postGraphQL(pulse.graphqlUrl, ingest, END_SESSION, { id });
    expect(body.data).toEqual({ endSession: true });
  };

  describe.each(TRANSPORTS)('over %s', (transport) => {
    const open = async (sub: string, variables: Record<string, unknown>): Promise<Subscription> => {
      const subscription = subscribe(transport, { graphqlUrl: pulse.graphqlUrl, token: await pulse.token(sub, ['admin']) }, ACTIVITY, variables);
      opened.push(subscription);
      return subscription;
    };

    it('sends a snapshot first, then every change in cursor order', async () => {
      const user = `u-${randomUUID()}`;
      await record(activity(`${user}-s1`, user, { userName: 'Ada', path: '/a', ipAddress: '10.0.0.1' }));
      const sub = await open(`admin-${randomUUID()}`, { filter: { userId: user } });

      const snapshot = eventOf(await sub.results.next());
      expect(snapshot.__typename).toBe('Snapshot');
      expect(snapshot.activeUsers).toEqual({
        edges: [{ node: { id: user, name: 'Ada', sessions: [{ id: `${user}-s1`, path: '/a' }] } }],
        pageInfo: { hasNextPage: false, endCursor: expect.any(String) },
      });

      await record(activity(`${user}-s1`, user, { path: '/b' }));
      await record(activity(`${user}-s2`, user, { path: '/c' }));
      await end(`${user}-s1`);
      await end(`${user}-s2`);

      const changes = [];
      for (let i = 0; i < 5; i++) changes.push(await nextChange(sub));
      expect(changes.map((c) => c.__typename)).toEqual(['SessionUpdated', 'SessionStarted', 'SessionEnded', 'SessionEnded', 'UserLeft']);
      expect(changes[0]).toMatchObject({ previousPath: '/a', session: { id: `${user}-s1`, path: '/b', eventCount: 2 } });
      expect(changes[1]).toMatchObject({ session: { id: `${user}-s2`, userId: user, path: '/c' } });
      expect(changes[2]).toMatchObject({ reason: 'LOGOUT', session: { id: `${user}-s1` } });
      expect(changes[4]).toMatchObject({ user: { id: user, name: 'Ada' } });
      const cursors = [snapshot, ...changes].map((e) => seqOf(e.cursor));
      cursors.slice(1).forEach((cursor, i) => expect(cursor).toBeGreaterThan(cursors[i] as number));
      expect(new Set([snapshot, ...changes].map((e) => epochOf(e.cursor))).size).toBe(1);
    });

    it('announces a new user and pushes changed stats', async () => {
      const user = `u-${randomUUID()}`;
      const sub = await open(`admin-${randomUUID()}`, { filter: { userId: user } });
      expect(eventOf(await sub.results.next()).__typename).toBe('Snapshot');
      await record(activity(`${user}-s1`, user, { userName: 'Grace', path: '/new' }));
      // Figures come from a read and changes from the feed, so the StatsChanged that reflects this write may come
      // before its changes as well as after them: read until both changes and figures have come, in whatever order.
      const changes: LooseEvent[] = [];
      let stats: LooseEvent | undefined;
      while (changes.length < 2 || stats === undefined) {
        const event = eventOf(await sub.results.next(5_000, 'both changes and a StatsChanged'));
        if (event.__typename === 'StatsChanged') stats = event;
        else changes.push(event);
      }
      const [started, joined] = changes;
      expect([started?.__typename, joined?.__typename]).toEqual(['SessionStarted', 'UserJoined']);
      expect(joined).toMatchObject({ user: { id: user, name: 'Grace' } });
      expect(stats.stats).toMatchObject({ activeUsers: expect.any(Number), eventsLastMinute: expect.any(Number) });
    });

    it(`refuses a third concurrent subscription of one admin, and allows it once one closes`, async () => {
      const admin = `admin-${randomUUID()}`;
      const first = await open(admin, {});
      const second = await open(admin, {});
      expect(eventOf(await first.results.next()).__typename).toBe('Snapshot');
      expect(eventOf(await second.results.next()).__typename).toBe('Snapshot');

      const third = await open(admin, {});
      expect(await refusalOf(third)).toMatchObject(expectedRefusal(transport, 'TOO_MANY_SUBSCRIPTIONS', 429));
      if (transport === 'sse-distinct') {
        const raw = await probeSse(pulse.graphqlUrl, await pulse.token(admin, ['admin']), ACTIVITY);
        expect(raw).toEqual({ status: 429, code: 'TOO_MANY_SUBSCRIPTIONS' });
      }

      first.dispose();
      await waitUntil(async () => (await pulse.backends.leases.count(admin)) < 2, 5_000, { what: 'the closed subscription frees its slot' });
      const fourth = await open(admin, {});
      expect(eventOf(await fourth.results.next()).__typename).toBe('Snapshot');
    });

    it('refuses a subscription without a token, and one with only the ingest role', async () => {
      const anonymous = subscribe(transport, { graphqlUrl: pulse.graphqlUrl, token: null }, ACTIVITY);
      opened.push(anonymous);
      const refusal = await refusalOf(anonymous);
      expect(refusal).toMatchObject(transport === 'ws' ? { closeCode: 4401 } : { status: 401 });

      const ingestOnly = subscribe(transport, { graphqlUrl: pulse.graphqlUrl, token: ingest }, ACTIVITY);
      opened.push(ingestOnly);
      // Single connection mode refuses it at the reservation PUT (403), before any operation is sent.
      expect(await refusalOf(ingestOnly)).toMatchObject(transport === 'sse-single' ? { status: 403 } : expectedRefusal(transport, 'FORBIDDEN', 403));
      if (transport !== 'ws') {
        // The bodies behind those statuses, which the official client cannot show.
        expect(await probeSse(pulse.graphqlUrl, null, ACTIVITY)).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
        expect(await probeSse(pulse.graphqlUrl, ingest, ACTIVITY)).toEqual({ status: 403, code: 'FORBIDDEN' });
      }
    });
  });

  it('ends idle sessions with SessionEnded (IDLE_TIMEOUT) and UserLeft', async () => {
    const idle = await startTestPulse({
      backend,
      env: { IDLE_TIMEOUT_MS: '1000', SWEEP_INTERVAL_MS: '50', STATS_INTERVAL_MS: '100' },
    });
    try {
      const user = `u-${randomUUID()}`;
      const sub = subscribe('sse-distinct', { graphqlUrl: idle.graphqlUrl, token: await idle.token('admin', ['admin']) }, ACTIVITY, {
        filter: { userId: user },
      });
      opened.push(sub);
      expect(eventOf(await sub.results.next()).__typename).toBe('Snapshot');
      const { body } = await postGraphQL(idle.graphqlUrl, await idle.token('app', ['ingest']), RECORD, { input: activity(`${user}-s`, user) });
      expect(body.errors).toBeUndefined();
      expect((await nextChange(sub)).__typename).toBe('SessionStarted');
      expect((await nextChange(sub)).__typename).toBe('UserJoined');
      const ended = await nextChange(sub);
      expect(ended).toMatchObject({ __typename: 'SessionEnded', reason: 'IDLE_TIMEOUT', session: { id: `${user}-s` } });
      expect(await nextChange(sub)).toMatchObject({ __typename: 'UserLeft', user: { id: user } });
    } finally {
      await idle.close();
    }
  });
});
