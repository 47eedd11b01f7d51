import { setTimeout as delay } from 'node:timers/promises';
import { createClient } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createPulseClient, type ActivityEvent, type ConnectionStatus, type PulseClient, type SseTransport } from '../../../client/lib/index.js';
import { mintToken } from '../../../server/auth/authenticator.js';
import { postGraphQL } from '../../support/clients.js';
import { seqOf } from '../../support/cursors.js';
import { EventQueue } from '../../support/event-queue.js';
import { RECORD, activity } from '../../support/operations.js';
import { startTestPulse, type TestPulse } from '../../support/pulse.js';
import { waitUntil } from '../../support/wait.js';

/** Tokens live 3 s (`exp` has whole seconds, so 2 to 3 s) plus this tolerance. */
const SKEW_MS = 300;
/** Expiries the feed must carry on across. */
const EXPIRIES = 3;
const CHANGE_TYPES = new Set(['SessionStarted', 'SessionUpdated', 'SessionEnded', 'UserJoined', 'UserLeft']);

/** A wire event as both clients hand it over: its type, cursor, and the session of a `SessionStarted`. */
interface SeenEvent {
  readonly __typename: string;
  readonly cursor: string;
  readonly session?: { readonly id: string };
}

/**
 * Records a new session every 50 ms, on its own, until `stop()`: traffic that
 * keeps flowing while tokens expire and connections come back. Resolves
 * `stop()` with the ids of every session it recorded.
 */
function recordContinuously(pulse: TestPulse, user: string): { stop: () => Promise<string[]> } {
  const recorded: string[] = [];
  let running = true;
  const loop = (async () => {
    const ingest = await pulse.token('app', ['ingest']);
    while (running) {
      const id = `${user}-${recorded.length}`;
      const { body } = await postGraphQL(pulse.graphqlUrl, ingest, RECORD, { input: activity(id, user) });
      expect(body.errors).toBeUndefined();
      recorded.push(id);
      await delay(50);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return recorded;
    },
  };
}

/**
 * Checks a feed against what was recorded: after its one `Snapshot`, every
 * connection opened with `Resumed`, and the changes' cursors follow each
 * other with no gap and no repeat, one `SessionStarted` per recorded session.
 */
function expectNoGapNoDuplicate(events: readonly SeenEvent[], recorded: readonly string[]): void {
  const [first, ...rest] = events;
  expect(first?.__typename).toBe('Snapshot');
  expect(rest.filter((event) => event.__typename === 'Snapshot')).toEqual([]);
  const seqs = rest.filter((event) => CHANGE_TYPES.has(event.__typename)).map((event) => seqOf(event.cursor));
  const start = seqOf(first?.cursor ?? '');
  expect(seqs).toEqual(seqs.map((_, i) => start + 1 + i));
  const started = rest.filter((event) => event.__typename === 'SessionStarted').map((event) => event.session?.id);
  expect(started).toEqual(recorded);
}

/** How many connections opened by resuming. */
function resumedCount(events: readonly { readonly __typename: string }[]): number {
  return events.filter((event) => event.__typename === 'Resumed').length;
}

describe('the live feed across token expiries, against a real Pulse', () => {
  const servers = new Set<TestPulse>();
  const cleanups: Array<() => void> = [];

  afterEach(async () => {
    cleanups.splice(0).forEach((cleanup) => cleanup());
    await Promise.all([...servers].map((server) => server.close()));
    servers.clear();
  });

  const serve = async (): Promise<TestPulse> => {
    const server = await startTestPulse({ env: { CLOCK_SKEW_MS: String(SKEW_MS) } });
    servers.add(server);
    return server;
  };
  /** A fresh 3-second admin token per call, as an application's token function would give. */
  const tokens = (server: TestPulse): { next: () => Promise<string>; readonly calls: number } => {
    let calls = 0;
    return {
      next: () => {
        calls++;
        return mintToken({ secret: server.secret, sub: 'watcher', roles: ['admin'], expiresIn: 3 });
      },
      get calls() {
        return calls;
      },
    };
  };

  it.each(['single', 'distinct'] satisfies SseTransport[])(
    'over graphql-sse (%s) with the client library: reconnects with a fresh token at each expiry and misses nothing',
    async (transport) => {
      const server = await serve();
      const token = tokens(server);
      const pulse: PulseClient = createPulseClient({ url: server.url, token: token.next, transport, initialRetryDelayMs: 20, maxRetryDelayMs: 200, lifecycle: null });
      cleanups.push(() => pulse.dispose());
      const statuses = new EventQueue<ConnectionStatus>();
      const events = new EventQueue<ActivityEvent>();
      pulse.live.onStatus(statuses.push);
      pulse.live.onEvent(events.push);

      pulse.live.start();
      await statuses.waitFor((s) => s.kind === 'connected', 5_000, 'the first connection');
      const writer = recordContinuously(server, 'sse-user');
      for (let expiry = 1; expiry <= EXPIRIES; expiry++) {
        await statuses.waitFor((s) => s.kind === 'reconnecting', 6_000, `the drop at expiry ${expiry}`);
        await statuses.waitFor((s) => s.kind === 'connected', 6_000, `the reconnect after expiry ${expiry}`);
      }
      const recorded = await writer.stop();
      const last = recorded.at(-1);
      await waitUntil(() => resumedCount(events.seen) >= EXPIRIES, 5_000, { what: `a Resumed on each of the ${EXPIRIES} new connections` });
      await events.waitFor((event) => event.__typename === 'SessionStarted' && event.session.id === last, 5_000, `the last session, ${last}`);

      expect(statuses.seen.filter((s) => s.kind === 'failed')).toEqual([]);
      expect(token.calls).toBeGreaterThanOrEqual(EXPIRIES + 1);
      expect(resumedCount(events.seen)).toBeGreaterThanOrEqual(EXPIRIES);
      expectNoGapNoDuplicate(events.seen as readonly SeenEvent[], recorded);
    },
    30_000,
  );

  it('over graphql-ws with the official client: each 4403 at expiry is retried with fresh connectionParams, resuming from the last cursor', async () => {
    const server = await serve();
    const token = tokens(server);
    const closes = new EventQueue<number>();
    const connects = new EventQueue<true>();
    const client = createClient({
      url: server.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: async () => ({ authorization: `Bearer ${await token.next()}` }),
      retryAttempts: 100,
      retryWait: () => delay(20),
      on: { closed: (event) => closes.push((event as { code: number }).code), connected: () => connects.push(true) },
    });
    // Disposing while a reconnect is under way rejects with that attempt's failure, which is no longer news.
    cleanups.push(() => void Promise.resolve(client.dispose()).catch(() => undefined));
    // graphql-ws sends this very object again on every retry: the cursor set here is what it resumes after.
    const variables: { since?: string } = {};
    const events = new EventQueue<SeenEvent>();
    const failures: unknown[] = [];
    client.subscribe<{ activityChanged: SeenEvent }>(
      { query: RESUMABLE, variables },
      {
        next: (result) => {
          const event = result.data?.activityChanged;
          if (event === undefined) return void failures.push(result.errors);
          variables.since = event.cursor;
          events.push(event);
        },
        error: (error) => failures.push(error),
        complete: () => failures.push('completed'),
      },
    );
    expect((await events.next()).__typename).toBe('Snapshot');
    const writer = recordContinuously(server, 'ws-user');
    await connects.next();
    for (let expiry = 1; expiry <= EXPIRIES; expiry++) {
      expect(await closes.next(6_000)).toBe(4403);
      await connects.next(6_000);
    }
    const recorded = await writer.stop();
    const last = recorded.at(-1);
    // The last session may have been recorded before the last drop (the writer pauses 50 ms between writes), so its
    // arrival does not mean the last connection has resumed yet: wait for that too.
    await waitUntil(() => resumedCount(events.seen) >= EXPIRIES, 5_000, { what: `a Resumed on each of the ${EXPIRIES} new connections` });
    await events.waitFor((event) => event.__typename === 'SessionStarted' && event.session?.id === last, 5_000, `the last session, ${last}`);

    expect(failures).toEqual([]);
    expect(token.calls).toBeGreaterThanOrEqual(EXPIRIES + 1);
    expect(resumedCount(events.seen)).toBeGreaterThanOrEqual(EXPIRIES);
    expectNoGapNoDuplicate(events.seen, recorded);
  }, 30_000);
});

const RESUMABLE = /* GraphQL */ `
  subscription Resumable($since: Cursor) {
    activityChanged(since: $since) {
      __typename
      cursor
      ... on SessionStarted { session { id } }
    }
  }
`;
