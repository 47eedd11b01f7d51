import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpResult } from '../support/clients.js';
import { errorExtensions, startInProcessPulse, type InProcessPulse } from '../support/in-process.js';
import { ACTIVE_USERS, END_SESSION, RECORD, RECORD_MANY, STATS, activity } from '../support/operations.js';
import { BACKENDS } from '../support/pulse.js';
import { readStreamUntil } from '../support/read-stream.js';

/**
 * The resolvers on each engine, in process through `yoga.fetch`: each
 * server has a store of its own (memory, or a Redis prefix of its own), so
 * every figure below is exact.
 */

const SESSIONS_OF = `query ($user: ID!, $first: Int) {
  activeUsers(first: 1, filter: { userId: $user }) { edges { node { id sessionCount sessions(first: $first) { id } } } }
}`;

interface Page {
  readonly activeUsers: { readonly edges: readonly { readonly node: { readonly id: string } }[]; readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string | null } };
}

describe.each(BACKENDS)('the resolvers, in process: %s', (backend) => {
  let app: InProcessPulse;
  let admin: string;
  let ingest: string;

  beforeAll(async () => {
    app = await startInProcessPulse({ backend, env: { MAX_BATCH_SIZE: '3' } });
    [admin, ingest] = await Promise.all([app.token('resolver-admin', ['admin']), app.token('resolver-shop', ['ingest'])]);
  });
  afterAll(() => app.close());

  const activeSessions = async (): Promise<number> => ((await app.graphql<{ stats: { activeSessions: number } }>(admin, STATS)).body.data?.stats.activeSessions ?? -1);

  it('records an event and answers with the session as stored', async () => {
    const at = new Date(Date.now() - 1_000).toISOString();
    const input = activity('rec-s', 'rec-u', { userName: 'Ada', ipAddress: '192.0.2.1', path: '/rec', userAgent: 'curl/8', at });
    const { body } = await app.graphql(ingest, RECORD, { input });
    expect(body.data?.recordActivity).toEqual({ id: 'rec-s', userId: 'rec-u', userName: 'Ada', ipAddress: '192.0.2.1', path: '/rec', userAgent: 'curl/8', startedAt: at, lastSeen: at, eventCount: 1 });
    const again = await app.graphql(ingest, RECORD, { input: activity('rec-s', 'rec-u', { path: '/rec/2' }) });
    expect(again.body.data?.recordActivity).toMatchObject({ path: '/rec/2', userName: 'Ada', startedAt: at, eventCount: 2 });
  });

  it('refuses invalid input with BAD_USER_INPUT naming the field, and records nothing', async () => {
    const before = await activeSessions();
    for (const [input, field] of [
      [activity('', 'bad-u'), 'sessionId'],
      [activity('bad-s', 'u'.repeat(129)), 'userId'],
      [activity('bad-s', 'bad-u', { ipAddress: 'fe80::1%eth0' }), 'ipAddress'],
      [activity('bad-s', 'bad-u', { at: new Date(Date.now() + 3_600_000).toISOString() }), 'at'],
    ] as const) {
      const result = await app.graphql(ingest, RECORD, { input });
      expect(errorExtensions(result)).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field })]);
    }
    expect(await activeSessions()).toBe(before);
  });

  it('records a batch as a whole: all of it, or nothing when one event is bad or the batch is too large', async () => {
    const before = await activeSessions();
    const refused = await app.graphql(ingest, RECORD_MANY, { inputs: [activity('batch-s1', 'batch-u'), activity('batch-s2', '')] });
    expect(errorExtensions(refused)).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'userId', index: 1 })]);
    const tooMany = await app.graphql(ingest, RECORD_MANY, { inputs: ['a', 'b', 'c', 'd'].map((id) => activity(`batch-${id}`, 'batch-u')) });
    expect(errorExtensions(tooMany)).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT' })]);
    expect(await activeSessions()).toBe(before);
    const recorded = await app.graphql(ingest, RECORD_MANY, { inputs: [activity('batch-s1', 'batch-u'), activity('batch-s2', 'batch-u'), activity('batch-s1', 'batch-u')] });
    expect(recorded.body.data?.recordActivities).toEqual({
      recorded: 3,
      // Each session as the whole batch left it.
      sessions: [{ id: 'batch-s1', eventCount: 2 }, { id: 'batch-s2', eventCount: 1 }, { id: 'batch-s1', eventCount: 2 }],
    });
    expect(await activeSessions()).toBe(before + 2);
  });

  it('answers a batch’s sessions when they are selected, under an alias or in a fragment, and records the same when only `recorded` is', async () => {
    const inputs = [activity('sel-s', 'sel-u', { path: '/a' }), activity('sel-s', 'sel-u', { path: '/b' })];
    const batch = (selection: string, fragments = ''): string => `mutation ($inputs: [ActivityInput!]!) { recordActivities(inputs: $inputs) { ${selection} } } ${fragments}`;
    expect((await app.graphql(ingest, batch('recorded'), { inputs })).body).toEqual({ data: { recordActivities: { recorded: 2 } } });
    // Each answer counts the events recorded before it: the batch that selected no session was recorded all the same.
    const aliased = await app.graphql(ingest, batch('recorded s: sessions { id eventCount path }'), { inputs });
    expect(aliased.body.data?.recordActivities).toEqual({ recorded: 2, s: [{ id: 'sel-s', eventCount: 4, path: '/b' }, { id: 'sel-s', eventCount: 4, path: '/b' }] });
    const inline = await app.graphql(ingest, batch('... on RecordActivitiesPayload { sessions { eventCount } }'), { inputs });
    expect(inline.body.data?.recordActivities).toEqual({ sessions: [{ eventCount: 6 }, { eventCount: 6 }] });
    const spread = await app.graphql(ingest, batch('...Counts', 'fragment Counts on RecordActivitiesPayload { sessions { eventCount } }'), { inputs });
    expect(spread.body.data?.recordActivities).toEqual({ sessions: [{ eventCount: 8 }, { eventCount: 8 }] });
  });

  it('refuses a batch that reuses a session of another user (SESSION_USER_MISMATCH), recording none of it', async () => {
    await app.graphql(ingest, RECORD, { input: activity('owned-s', 'owner') });
    const before = await activeSessions();
    const result = await app.graphql(ingest, RECORD_MANY, { inputs: [activity('owned-new', 'thief'), activity('owned-s', 'thief')] });
    expect(errorExtensions(result)).toEqual([expect.objectContaining({ code: 'SESSION_USER_MISMATCH' })]);
    expect(await activeSessions()).toBe(before);
  });

  it('pages through active users with cursors, most recent first, each user once', async () => {
    const now = Date.now();
    const users = ['page-a', 'page-b', 'page-c', 'page-d', 'page-e'];
    // Oldest first, so the expected order is the reverse.
    for (const [i, user] of users.entries()) await app.graphql(ingest, RECORD, { input: activity(`${user}-s`, user, { path: '/paging', at: new Date(now - 10_000 + i * 1_000).toISOString() }) });
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 5; pages++) {
      const answer: HttpResult<Page> = await app.graphql<Page>(admin, ACTIVE_USERS, { first: 2, after, filter: { pathPrefix: '/paging' } });
      const page = answer.body.data?.activeUsers;
      seen.push(...(page?.edges.map((edge) => edge.node.id) ?? []));
      after = page?.pageInfo.endCursor ?? null;
      if (!page?.pageInfo.hasNextPage) break;
    }
    expect(seen).toEqual([...users].reverse());
    const forged = await app.graphql(admin, ACTIVE_USERS, { first: 2, after: 'not-a-cursor' });
    expect(errorExtensions(forged)).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'after' })]);
    for (const first of [0, 101]) expect(errorExtensions(await app.graphql(admin, ACTIVE_USERS, { first }))).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'first' })]);
  });

  it('lists a user’s sessions up to sessions(first), counts them all in sessionCount, and bounds first to 1..50', async () => {
    await app.graphql(ingest, RECORD_MANY, { inputs: ['1', '2', '3'].map((n) => activity(`many-s${n}`, 'many-u')) });
    const { body } = await app.graphql(admin, SESSIONS_OF, { user: 'many-u', first: 2 });
    expect(body.data?.activeUsers).toMatchObject({ edges: [{ node: { id: 'many-u', sessionCount: 3, sessions: [{ id: expect.any(String) }, { id: expect.any(String) }] } }] });
    for (const first of [0, 51]) {
      expect(errorExtensions(await app.graphql(admin, SESSIONS_OF, { user: 'many-u', first }))).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'first' })]);
    }
  });

  it('serves stats with top paths, and bounds topPaths(limit)', async () => {
    await app.graphql(ingest, RECORD_MANY, { inputs: [activity('top-s1', 'top-u1', { path: '/top' }), activity('top-s2', 'top-u2', { path: '/top' })] });
    const { body } = await app.graphql<{ stats: { topPaths: { path: string; sessions: number }[]; at: string } }>(admin, STATS, { limit: 50 });
    expect(body.data?.stats.topPaths).toContainEqual({ path: '/top', sessions: 2 });
    expect(Date.parse(body.data?.stats.at ?? '')).not.toBeNaN();
    expect(errorExtensions(await app.graphql(admin, STATS, { limit: 1_000 }))).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'limit' })]);
  });

  it('ends a session once: true, then false; and refuses an empty id', async () => {
    await app.graphql(ingest, RECORD, { input: activity('end-s', 'end-u') });
    const before = await activeSessions();
    expect((await app.graphql(ingest, END_SESSION, { id: 'end-s' })).body.data).toEqual({ endSession: true });
    expect((await app.graphql(ingest, END_SESSION, { id: 'end-s' })).body.data).toEqual({ endSession: false });
    expect(await activeSessions()).toBe(before - 1);
    expect(errorExtensions(await app.graphql(ingest, END_SESSION, { id: '' }))).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'sessionId' })]);
  });

  it('starts a subscription with its snapshot, over yoga.fetch as an event stream', async () => {
    await app.graphql(ingest, RECORD, { input: activity('sub-s', 'sub-u', { path: '/sub' }) });
    const response = await app.fetch('/graphql', {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { activityChanged(first: 5, filter: { userId: "sub-u" }) { __typename cursor ... on Snapshot { activeUsers { edges { node { id } } } } } }' }),
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    // A chunk may end inside the data line: it is whole once its newline has come.
    const text = await readStreamUntil(response, (seen) => /^data: .*\n/m.test(seen));
    const first = JSON.parse(/^data: (.*)\n/m.exec(text)?.[1] ?? 'null') as { data?: { activityChanged?: Record<string, unknown> } };
    expect(first.data?.activityChanged).toMatchObject({ __typename: 'Snapshot', cursor: expect.any(String), activeUsers: { edges: [{ node: { id: 'sub-u' } }] } });
  });
});
