import { randomUUID } from 'node:crypto';
import { stringifyDocument } from '@urql/core';
import type { ExecutionResult } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyEvent, emptyLiveState, type ActivityEvent, type LiveState } from '../../../client/lib/index.js';
import { ActivityChangedSubscription } from '../../../client/lib/operations.js';
import { validateEvent } from '../../../client/lib/live/validate-event.js';
import { postGraphQL, subscribe, type Subscription, type Transport } from '../../support/clients.js';
import { epochOf, seqOf } from '../../support/cursors.js';
import { ACTIVE_USERS, END_SESSION, RECORD, RECORD_MANY, STATS, activity } from '../../support/operations.js';
import { BACKENDS, startTestPulse, type TestPulse } from '../../support/pulse.js';
import { refusalOf } from '../../support/refusal.js';
import { waitUntil } from '../../support/wait.js';
import { nextChange as nextChangeOf } from '../../support/events.js';

/** The client library's own operation, so events have exactly the shape `applyEvent` takes. */
const LIVE = stringifyDocument(ActivityChangedSubscription);
const RESUME_TRANSPORTS: readonly Transport[] = ['sse-single', 'ws', 'sse-distinct'];
const NOT_CHANGES = new Set(['Snapshot', 'Resumed', 'StatsChanged']);

function eventOf(result: ExecutionResult<Record<string, unknown>>): ActivityEvent {
  if (result.errors?.length) throw new Error(`unexpected errors: ${JSON.stringify(result.errors)}`);
  const checked = validateEvent(result.data?.activityChanged);
  if (!checked.ok) throw new Error(checked.problem);
  return checked.event;
}

async function nextEvent(sub: Subscription): Promise<ActivityEvent> {
  return eventOf(await sub.results.next());
}


/** Users and figures in a form a fresh query and a reconstructed state can both be put in. */
function comparable(users: Iterable<{ id: string; name: string | null; lastSeen: string; sessions: Iterable<unknown> }>, stats: unknown): unknown {
  const byId = [...users]
    .map((user) => ({ ...user, sessions: [...user.sessions].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))) }))
    .sort((a, b) => a.id.localeCompare(b.id));
  const { activeUsers, activeSessions, topPaths } = stats as { activeUsers: number; activeSessions: number; topPaths: unknown };
  return { users: byId, stats: { activeUsers, activeSessions, topPaths } };
}

describe.each(BACKENDS)('resuming activityChanged on the %s backend', (backend) => {
  let pulse: TestPulse;
  let ingest: string;
  let admin: string;
  const opened: Subscription[] = [];

  beforeAll(async () => {
    pulse = await startTestPulse({ backend, env: { STATS_INTERVAL_MS: '100', MAX_SUBSCRIPTIONS_PER_ADMIN: '50', HISTORY_SIZE: '100' } });
    ingest = await pulse.token('ingest-app', ['ingest']);
    admin = await pulse.token(`admin-${randomUUID()}`, ['admin']);
  });
  afterEach(() => opened.splice(0).forEach((sub) => sub.dispose()));
  afterAll(() => pulse.close());

  const open = (transport: Transport, variables: Record<string, unknown>, server = pulse, token = admin): Subscription => {
    const sub = subscribe(transport, { graphqlUrl: server.graphqlUrl, token }, LIVE, variables);
    opened.push(sub);
    return sub;
  };
  const record = async (input: Record<string, unknown>, server = pulse, token = ingest): Promise<void> => {
    const { body } = await postGraphQL(server.graphqlUrl, token, RECORD, { input });
    expect(body.errors).toBeUndefined();
  };

  describe.each(RESUME_TRANSPORTS)('over %s', (transport) => {
    it('resumes with Resumed (since, current stats), then exactly the changes missed, then live ones', async () => {
      const user = `u-${randomUUID()}`;
      const first = open(transport, { filter: { userId: user } });
      const snapshot = await nextEvent(first);
      expect(snapshot).toMatchObject({ __typename: 'Snapshot', resume: 'FRESH' });
      first.dispose();

      await record(activity(`${user}-1`, user, { userName: 'Ada', path: '/a' }));
      await record(activity(`${user}-1`, user, { path: '/b' }));
      const resumed = open(transport, { filter: { userId: user }, since: snapshot.cursor });
      const head = await nextEvent(resumed);
      expect(head).toMatchObject({ __typename: 'Resumed', cursor: snapshot.cursor, stats: { activeUsers: expect.any(Number) } });
      const missed = [await nextChangeOf(resumed, eventOf), await nextChangeOf(resumed, eventOf), await nextChangeOf(resumed, eventOf)];
      expect(missed.map((e) => e.__typename)).toEqual(['SessionStarted', 'UserJoined', 'SessionUpdated']);
      await record(activity(`${user}-1`, user, { path: '/c' }));
      const live = await nextChangeOf(resumed, eventOf);
      expect(live).toMatchObject({ __typename: 'SessionUpdated', session: { path: '/c' } });
      const seqs = [...missed, live].map((e) => seqOf(e.cursor));
      seqs.slice(1).forEach((seq, i) => expect(seq).toBeGreaterThan(seqs[i] as number));
      expect(epochOf(live.cursor)).toBe(epochOf(snapshot.cursor));
    });

    it('answers a cursor from another epoch, or too far back, with a Snapshot that says so', async () => {
      const user = `u-${randomUUID()}`;
      const foreign = open(transport, { filter: { userId: user }, since: 'another-epoch:1' });
      expect(await nextEvent(foreign)).toMatchObject({ __typename: 'Snapshot', resume: 'OTHER_EPOCH' });

      const start = open(transport, { filter: { userId: user } });
      const { cursor } = await nextEvent(start);
      const many = Array.from({ length: 60 }, (_, i) => activity(`${user}-${i}`, `${user}-${i}`));
      const { body } = await postGraphQL(pulse.graphqlUrl, ingest, RECORD_MANY, { inputs: many });
      expect(body.errors).toBeUndefined();
      // 120 changes after the cursor, and the history holds 100.
      const tooOld = open(transport, { filter: { userId: user }, since: cursor });
      expect(await nextEvent(tooOld)).toMatchObject({ __typename: 'Snapshot', resume: 'CURSOR_TOO_OLD' });
    });

    it('refuses an unparsable since with BAD_USER_INPUT', async () => {
      // Distinct mode answers with the code's HTTP status; the others deliver the GraphQL error.
      const expected = transport === 'sse-distinct' ? { status: 400 } : { code: 'BAD_USER_INPUT' };
      expect(await refusalOf(open(transport, { since: 'not a cursor' }))).toMatchObject(expected);
      expect(await refusalOf(open(transport, { since: '12' }))).toMatchObject(expected);
    });
  });

  describe.each(['sse-single', 'ws'] as const)('when the connection is cut under a steady flow (%s)', (transport) => {
    it('rebuilds, after resuming, the state a fresh query shows, from changes with no gap and no repeat', async () => {
      // A server of its own, so this subscriber sees every change of the log.
      const server = await startTestPulse({ backend, env: { STATS_INTERVAL_MS: '100' } });
      try {
        const token = await server.token('watcher', ['admin']);
        const app = await server.token('app', ['ingest']);
        let state: LiveState = emptyLiveState();
        const changeSeqs: number[] = [];
        const take = (event: ActivityEvent): void => {
          state = applyEvent(state, event);
          if (!NOT_CHANGES.has(event.__typename)) changeSeqs.push(seqOf(event.cursor));
        };
        const drain = (sub: Subscription): void => sub.results.drain().forEach((result) => take(eventOf(result)));

        let writing = true;
        const writer = (async () => {
          for (let i = 0; writing; i++) {
            const session = `s${i % 12}`;
            // A session always belongs to the same user; users share sessions, so some join and leave.
            const user = `u${(i % 12) % 5}`;
            if (i % 7 === 6) await postGraphQL(server.graphqlUrl, app, END_SESSION, { id: session });
            else await record(activity(session, user, { userName: `User ${user}`, path: `/p${i % 4}` }), server, app);
            await new Promise((resolve) => setTimeout(resolve, 15));
          }
        })();

        const before = open(transport, {}, server, token);
        take(await nextEvent(before));
        await new Promise((resolve) => setTimeout(resolve, 700));
        drain(before);
        before.dispose();
        const lastSeen = state.cursor;
        await new Promise((resolve) => setTimeout(resolve, 1_500));

        const after = open(transport, { since: lastSeen }, server, token);
        const head = await nextEvent(after);
        expect(head).toMatchObject({ __typename: 'Resumed', cursor: lastSeen });
        take(head);
        await new Promise((resolve) => setTimeout(resolve, 800));
        writing = false;
        await writer;

        const fresh = async (): Promise<unknown> => {
          const users = await postGraphQL<{ activeUsers: { edges: Array<{ node: { id: string; name: string | null; lastSeen: string; sessions: unknown[] } }> } }>(
            server.graphqlUrl,
            token,
            ACTIVE_USERS,
            { first: 100 },
          );
          const stats = await postGraphQL<{ stats: unknown }>(server.graphqlUrl, token, STATS, { limit: 10 });
          return comparable(users.body.data?.activeUsers.edges.map((e) => e.node) ?? [], stats.body.data?.stats);
        };
        const expected = await fresh();
        const reconstructed = (): unknown => comparable([...state.users.values()].map((u) => ({ ...u, sessions: u.sessions.values() })), state.stats);
        await waitUntil(
          () => {
            drain(after);
            return JSON.stringify(reconstructed()) === JSON.stringify(expected);
          },
          5_000,
          { what: 'the resumed state to match a fresh query' },
        ).catch(() => expect(reconstructed()).toEqual(expected));

        expect(changeSeqs.length).toBeGreaterThan(50);
        const firstSeq = changeSeqs[0] as number;
        expect(changeSeqs).toEqual(changeSeqs.map((_, i) => firstSeq + i));
      } finally {
        await server.close();
      }
    });
  });
});
