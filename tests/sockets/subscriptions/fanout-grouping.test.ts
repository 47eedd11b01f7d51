import { randomUUID } from 'node:crypto';
import { stringifyDocument } from '@urql/core';
import type { ExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActivityChangedSubscription } from '../../../client/lib/operations.js';
import { postGraphQL, subscribe, TRANSPORTS, type Subscription, type Transport } from '../../support/clients.js';
import { seqOf } from '../../support/cursors.js';
import { eventOf } from '../../support/events.js';
import { END_SESSION, RECORD, RECORD_MANY, activity } from '../../support/operations.js';
import { ALIASED_WITH_ERRORS, FULL } from '../../support/fanout-documents.js';
import { BACKENDS, startTestPulse, type TestPulse } from '../../support/pulse.js';
import { readStreamUntil } from '../../support/read-stream.js';
import { waitUntil } from '../../support/wait.js';

/** Every document selects the session id of `SessionStarted`, so each stream can tell when it got the final marker. */
const MARKER = 'fan-marker';

const MINIMAL = /* GraphQL */ `
  subscription Minimal { activityChanged { __typename cursor ... on SessionStarted { session { id } } } }
`;

/** One subscription as many clients may ask for it: same document, variables and roles. */
interface Spec {
  readonly name: string;
  readonly query: string;
  readonly variables?: Record<string, unknown>;
  /** Which token subscribes: an admin, or an admin that may also ingest (another authorisation scope). */
  readonly scope: 'admin' | 'admin+ingest';
}

const SPECS: readonly Spec[] = [
  { name: 'minimal', query: MINIMAL, scope: 'admin' },
  { name: 'minimal, other scope', query: MINIMAL, scope: 'admin+ingest' },
  { name: 'full, one user', query: FULL, variables: { filter: { userId: 'fan-u1' }, first: 5, limit: 2 }, scope: 'admin' },
  { name: 'full, a path prefix', query: FULL, variables: { filter: { pathPrefix: '/shop' }, limit: 3 }, scope: 'admin' },
  { name: 'full, user and prefix', query: FULL, variables: { filter: { userId: 'fan-u1', pathPrefix: '/shop' }, first: 1, limit: 10 }, scope: 'admin' },
  { name: 'full, no filter', query: FULL, variables: {}, scope: 'admin' },
  { name: 'full, no filter, other scope', query: FULL, variables: {}, scope: 'admin+ingest' },
  { name: 'aliased, with errors', query: ALIASED_WITH_ERRORS, variables: { limit: 99 }, scope: 'admin' },
];

/** The grouped copies of each spec: several members per group, over every transport. */
const COPIES: readonly Transport[] = ['sse-distinct', 'sse-distinct', 'ws', 'sse-single'];

type Result = ExecutionResult<Record<string, unknown>>;

function isMarker(result: Result): boolean {
  return JSON.stringify(result).includes(`"${MARKER}"`);
}

/** Results up to and including the marker; the first one's times (when each snapshot was read) may differ. */
function comparable(results: readonly Result[]): unknown[] {
  const end = results.findIndex(isMarker);
  const [first, ...rest] = results.slice(0, end + 1);
  return [JSON.parse(JSON.stringify(first ?? null, (key, value: unknown) => (key === 'at' ? '<snapshot time>' : value))), ...rest];
}

/** The `next` payloads of an event stream's text. */
function parseEventStream(text: string): Result[] {
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event: next\n'))
    .map((block) => JSON.parse(block.slice(block.indexOf('data: ') + 'data: '.length)) as Result);
}

/** The client library's own operation: what a resuming client sends. */
const LIVE = stringifyDocument(ActivityChangedSubscription);

function mentions(result: Result, text: string): boolean {
  return JSON.stringify(result).includes(`"${text}"`);
}

/**
 * The next change results of a stream (figures come by time, not by
 * cause, so they are skipped), up to and including the one that mentions
 * `marker`.
 */
async function changesUntil(sub: Subscription, marker: string, what: string): Promise<Result[]> {
  const changes: Result[] = [];
  for (;;) {
    const result = await sub.results.next(10_000, `${what}: the change that mentions ${marker}`);
    if (eventOf(result).__typename === 'StatsChanged') continue;
    changes.push(result);
    if (mentions(result, marker)) return changes;
  }
}

describe.each(BACKENDS)('fan-out groups on the %s backend', (backend) => {
  let pulse: TestPulse;
  let tokens: Record<Spec['scope'], string>;
  let ingest: string;

  beforeAll(async () => {
    pulse = await startTestPulse({ backend, env: { MAX_SUBSCRIPTIONS_PER_ADMIN: '100', MAX_SSE_STREAMS_PER_ADMIN: '100', STATS_INTERVAL_MS: '50' } });
    tokens = { admin: await pulse.token('fan-admin', ['admin']), 'admin+ingest': await pulse.token('fan-both', ['admin', 'ingest']) };
    ingest = await pulse.token('fan-app', ['ingest']);
  });
  afterAll(() => pulse.close());

  /**
   * The reference: the same subscription in process, alone in a group of its own (the same query in
   * another text parses to another document, hence another group), so its one member's results come
   * from a separate execution, snapshot seam and stats ticks.
   */
  function reference(spec: Spec): { results: Promise<Result[]>; cancel: AbortController } {
    const cancel = new AbortController();
    const response = pulse.server.yoga.fetch(pulse.graphqlUrl, {
      method: 'POST',
      headers: { accept: 'text/event-stream', 'content-type': 'application/json', authorization: `Bearer ${tokens[spec.scope]}` },
      body: JSON.stringify({ query: `${spec.query}\n# reference`, variables: spec.variables }),
      signal: cancel.signal,
    });
    const results = Promise.resolve(response).then((r) => readStreamUntil(r, (text) => text.includes(`"${MARKER}"`))).then(parseEventStream);
    return { results, cancel };
  }

  // That each event's execution is graphql-js's own for one subscriber is checked in tests/unit/live/event-executor.test.ts.
  it('gives every member of every group, over every transport, exactly what a separate execution gives, and closes groups with their last member', { timeout: 30_000 }, async () => {
    const record = async (query: string, variables: Record<string, unknown>): Promise<void> => {
      const { body } = await postGraphQL(pulse.graphqlUrl, ingest, query, variables);
      expect(body.errors).toBeUndefined();
    };
    const grouped: Array<{ spec: Spec; transport: Transport; sub: Subscription }> = [];
    const references = SPECS.map((spec) => ({ spec, ...reference(spec) }));
    for (const spec of SPECS) {
      for (const transport of COPIES) {
        grouped.push({ spec, transport, sub: subscribe(transport, { graphqlUrl: pulse.graphqlUrl, token: tokens[spec.scope] }, spec.query, spec.variables) });
      }
    }
    // Every stream has its first event before anything changes, so all snapshots show the same state.
    await Promise.all(grouped.map(({ sub }) => sub.results.next(10_000, 'the first event')));
    await waitUntil(() => pulse.services.openStreams.count === grouped.length + references.length, 10_000, { what: 'every reference stream is open' });
    // One group per spec for the grouped members, one per spec for the references (texts of their own).
    expect(pulse.services.fanout.groupCount).toBe(2 * SPECS.length);

    const run = randomUUID().slice(0, 8);
    const at = (ms: number): string => new Date(Date.now() - ms).toISOString();
    await record(RECORD, { input: activity(`${run}-a`, 'fan-u1', { userName: 'Ann', path: '/shop/a', ipAddress: '10.0.0.1' }) });
    await record(RECORD, { input: activity(`${run}-b`, 'fan-u2', { path: '/blog/x' }) });
    await record(RECORD_MANY, {
      inputs: [
        activity(`${run}-a`, 'fan-u1', { path: '/shop/b' }),
        activity(`${run}-c`, 'fan-u3', { path: '/shop/a', at: at(2000) }),
        activity(`${run}-b`, 'fan-u2', { path: '/shop/b' }),
      ],
    });
    await record(RECORD, { input: activity(`${run}-a`, 'fan-u1', { path: '/home', userName: 'Ann B.' }) });
    await record(END_SESSION, { id: `${run}-b` });
    await record(RECORD, { input: activity(`${run}-d`, 'fan-u1', { path: '/shop/c' }) });
    await record(END_SESSION, { id: `${run}-c` });
    for (let i = 0; i < 10; i++) await record(RECORD, { input: activity(`${run}-e${i % 3}`, `fan-u${(i % 3) + 1}`, { path: i % 2 ? '/shop/x' : '/blog/y' }) });
    // Matches every spec's filter: the last change each stream compares.
    await record(RECORD, { input: activity(MARKER, 'fan-u1', { path: '/shop/end' }) });

    const expected = await Promise.all(references.map(({ results }) => results));
    for (const { spec, transport, sub } of grouped) {
      await sub.results.waitFor(isMarker, 10_000, `the marker on ${spec.name} over ${transport}`);
      const reference = expected[SPECS.indexOf(spec)] ?? [];
      expect(comparable(sub.results.seen), `${spec.name} over ${transport}`).toEqual(comparable(reference));
    }
    // The comparison means something only if the streams carried changes, figures and errors.
    const all = JSON.stringify(expected);
    for (const fragment of ['"SessionUpdated"', '"StatsChanged"', '"SessionEnded"', '"BAD_USER_INPUT"']) expect(all).toContain(fragment);

    for (const { sub } of grouped) sub.dispose();
    for (const { cancel } of references) cancel.abort();
    await waitUntil(() => pulse.services.fanout.groupCount === 0 && pulse.services.openStreams.count === 0, 10_000, { what: 'every group closes with its last member' });
  });

  it('puts resumers with different cursors in the group of a fresh subscriber: each catches up alone, then gets the same live changes', { timeout: 30_000 }, async () => {
    const run = randomUUID().slice(0, 8);
    const user = `res-${run}`;
    const variables = { filter: { userId: user }, first: 5 };
    const endpoint = { graphqlUrl: pulse.graphqlUrl, token: tokens.admin };
    const record = async (query: string, recorded: Record<string, unknown>): Promise<void> => {
      const { body } = await postGraphQL(pulse.graphqlUrl, ingest, query, recorded);
      expect(body.errors).toBeUndefined();
    };

    // The history: a watcher sees each change as it is made, and its cursors are the ones resumers come back with.
    const watcher = subscribe('ws', endpoint, LIVE, variables);
    const start = eventOf(await watcher.results.next(10_000, "the watcher's snapshot"));
    const historyEnd = `${run}-history-end`;
    await record(RECORD, { input: activity(`${run}-1`, user, { userName: 'Ann', path: '/a' }) });
    await record(RECORD, { input: activity(`${run}-1`, user, { path: '/b' }) });
    await record(RECORD, { input: activity(`${run}-2`, user, { path: '/c' }) });
    await record(END_SESSION, { id: `${run}-1` });
    await record(RECORD, { input: activity(`${run}-2`, user, { path: '/d' }) });
    await record(RECORD, { input: activity(historyEnd, user, { path: '/e' }) });
    const history = await changesUntil(watcher, historyEnd, 'the watcher');
    watcher.dispose();
    await waitUntil(() => pulse.services.fanout.groupCount === 0, 10_000, { what: "the watcher's group to close" });
    // Every position a client may have stopped at: before any change, after each one, after the last.
    const cursors = [start.cursor, ...history.map((result) => eventOf(result).cursor)];
    expect(cursors.length).toBeGreaterThanOrEqual(7);

    // Variables in every key order, so that the order cannot be what groups them.
    const resumerVariables = (since: string, i: number): Record<string, unknown> => (i % 2 ? { since, ...variables } : { first: variables.first, since, filter: variables.filter });
    const open = (i: number, vars: Record<string, unknown>): Subscription => subscribe(TRANSPORTS[i % TRANSPORTS.length] as Transport, endpoint, LIVE, vars);
    // A resumer opens the group, so the group's one executor carries a resumer's cursor.
    const opener = open(0, resumerVariables(cursors[0] as string, 0));
    const resumers = [opener];
    const firstEvents = [opener.results.next(10_000, 'resumer 0')];
    await firstEvents[0];
    for (let i = 1; i < cursors.length; i++) {
      const resumer = open(i, resumerVariables(cursors[i] as string, i));
      resumers.push(resumer);
      firstEvents.push(resumer.results.next(10_000, `resumer ${i}`));
    }
    const fresh = subscribe('sse-distinct', endpoint, LIVE, variables);
    const freshWithNull = subscribe('ws', endpoint, LIVE, { ...variables, since: null });

    const heads = (await Promise.all(firstEvents)).map(eventOf);
    heads.forEach((head, i) => expect(head, `resumer ${i}`).toMatchObject({ __typename: 'Resumed', cursor: cursors[i] }));
    for (const sub of [fresh, freshWithNull]) expect(eventOf(await sub.results.next(10_000, 'a fresh snapshot'))).toMatchObject({ __typename: 'Snapshot', resume: 'FRESH' });
    // Each resumer gets exactly the changes after its own cursor: no gap, no repeat.
    for (const [i, resumer] of resumers.entries()) {
      const since = seqOf(cursors[i] as string);
      const missed = history.filter((result) => seqOf(eventOf(result).cursor) > since);
      const replayed = missed.length === 0 ? [] : await changesUntil(resumer, historyEnd, `resumer ${i}`);
      expect(replayed, `the replay of resumer ${i}`).toEqual(missed);
    }
    await waitUntil(() => pulse.services.openStreams.count === resumers.length + 2, 10_000, { what: 'every stream is open' });
    expect(pulse.services.fanout.groupCount).toBe(1);

    const liveEnd = `${run}-live-end`;
    await record(RECORD, { input: activity(`${run}-2`, user, { path: '/f' }) });
    await record(RECORD, { input: activity(`${run}-3`, user, { path: '/g' }) });
    await record(END_SESSION, { id: `${run}-2` });
    await record(RECORD, { input: activity(liveEnd, user, { path: '/h' }) });
    const live = await changesUntil(fresh, liveEnd, 'the fresh subscriber');
    expect(live.map((result) => eventOf(result).__typename)).toEqual(['SessionUpdated', 'SessionStarted', 'SessionEnded', 'SessionStarted']);
    expect(await changesUntil(freshWithNull, liveEnd, 'the fresh subscriber with since null')).toEqual(live);
    for (const [i, resumer] of resumers.entries()) expect(await changesUntil(resumer, liveEnd, `resumer ${i}`), `the live changes of resumer ${i}`).toEqual(live);
    expect(pulse.services.fanout.groupCount).toBe(1);

    for (const sub of [...resumers, fresh, freshWithNull]) sub.dispose();
    await waitUntil(() => pulse.services.fanout.groupCount === 0 && pulse.services.openStreams.count === 0, 10_000, { what: 'the group closes with its last member' });
  });
});
