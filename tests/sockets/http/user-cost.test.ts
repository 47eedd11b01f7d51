import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL, subscribe, TRANSPORTS, type Subscription } from '../../support/clients.js';
import { BACKENDS, startTestPulse, type TestPulse } from '../../support/pulse.js';

/**
 * One user's cost is bounded (issue 8, item 10), tried over real sockets by
 * a hostile ingest client: it gives one user 400 sessions, and an admin's
 * `activeUsers(first: 1)`, or a live feed's snapshot, must stay small.
 */

const SESSIONS = 400;
/** What one user's answer may weigh with ten sessions of these fields (3.2 KB measured); all 400 would be about 120 KB. */
const ONE_USER_BYTES = 4_000;

const USERS = `query ($first: Int, $sessions: Int) {
  activeUsers(first: $first) {
    edges { node { id sessionCount sessions(first: $sessions) { id userId userName ipAddress path userAgent startedAt lastSeen eventCount } } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const FEED = `subscription {
  activityChanged(first: 1) {
    __typename
    ... on Snapshot { activeUsers { edges { node { id sessionCount sessions { id } } } } }
  }
}`;

interface Node {
  readonly id: string;
  readonly sessionCount: number;
  readonly sessions: readonly { readonly id: string; readonly lastSeen: string }[];
}
type UsersAnswer = { activeUsers: { edges: { node: Node }[] } };

describe.each(BACKENDS)(`one user with ${SESSIONS} sessions, over real HTTP: %s`, (backend) => {
  let pulse: TestPulse;
  let admin: string;
  const opened: Subscription[] = [];

  beforeAll(async () => {
    pulse = await startTestPulse({ backend });
    admin = await pulse.token('admin', ['admin']);
    const ingest = await pulse.token('hostile-app', ['ingest']);
    const start = Date.now() - 60_000;
    // Each session a millisecond apart, and a long user agent so that each one weighs: the hostile shape.
    const inputs = Array.from({ length: SESSIONS }, (_, i) => ({
      sessionId: `hog-${String(i).padStart(3, '0')}`,
      userId: 'hog',
      userName: 'Hog',
      ipAddress: '2001:db8::1',
      path: `/page/${i}`,
      userAgent: 'x'.repeat(100),
      at: new Date(start + i).toISOString(),
    }));
    const { body } = await postGraphQL(pulse.graphqlUrl, ingest, 'mutation ($i: [ActivityInput!]!) { recordActivities(inputs: $i) { recorded } }', { i: inputs });
    expect(body).toEqual({ data: { recordActivities: { recorded: SESSIONS } } });
  });
  afterAll(async () => {
    opened.forEach((sub) => sub.dispose());
    await pulse.close();
  });

  const users = (variables: Record<string, unknown>) => postGraphQL<UsersAnswer>(pulse.graphqlUrl, admin, USERS, variables);
  const newestFirst = (count: number): string[] => Array.from({ length: count }, (_, i) => `hog-${String(SESSIONS - 1 - i).padStart(3, '0')}`);

  it(`answers activeUsers(first: 1) in under ${ONE_USER_BYTES} bytes: the 10 most recent sessions, and sessionCount ${SESSIONS}`, async () => {
    const response = await fetch(pulse.graphqlUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: USERS, variables: { first: 1 } }),
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.length).toBeLessThan(ONE_USER_BYTES);
    const node = (JSON.parse(bytes.toString('utf8')) as { data: UsersAnswer }).data.activeUsers.edges[0]?.node;
    expect([node?.sessionCount, node?.sessions.map((s) => s.id)]).toEqual([SESSIONS, newestFirst(10)]);
  });

  it('serves sessions(first: 50) newest first, and refuses 51 and 0 with BAD_USER_INPUT naming first', async () => {
    const { body } = await users({ first: 1, sessions: 50 });
    expect(body.data?.activeUsers.edges[0]?.node.sessions.map((s) => s.id)).toEqual(newestFirst(50));
    for (const sessions of [51, 0, -1, 2 ** 31 - 1]) {
      const refused = await users({ first: 1, sessions });
      expect(refused.status).toBe(400);
      expect(refused.body.errors?.map((e) => [e.extensions?.code, e.extensions?.field])).toEqual([['BAD_USER_INPUT', 'first']]);
    }
  });

  it('loads enough for the largest first asked for, through aliases, fragments and variables', async () => {
    const query = `query ($n: Int) {
      activeUsers(first: 1) { edges { node { few: sessions(first: 2) { id } ...More } } }
    }
    fragment More on ActiveUser { ... on ActiveUser { many: sessions(first: $n) { id } } }`;
    const { body } = await postGraphQL<{ activeUsers: { edges: { node: { few: unknown[]; many: unknown[] } }[] } }>(pulse.graphqlUrl, admin, query, { n: 40 });
    const node = body.data?.activeUsers.edges[0]?.node;
    expect([node?.few.length, node?.many.length]).toEqual([2, 40]);
  });

  it.each(TRANSPORTS)('sends a snapshot over %s with the same bounded user', async (transport) => {
    const sub = subscribe(transport, { graphqlUrl: pulse.graphqlUrl, token: admin }, FEED);
    opened.push(sub);
    const snapshot = await sub.results.next(5_000, 'the snapshot');
    const edges = (snapshot.data?.activityChanged as { activeUsers: { edges: { node: Node }[] } }).activeUsers.edges;
    expect(edges.map((e) => [e.node.id, e.node.sessionCount, e.node.sessions.length])).toEqual([['hog', SESSIONS, 10]]);
    expect(Buffer.byteLength(JSON.stringify(snapshot))).toBeLessThan(ONE_USER_BYTES);
    sub.dispose();
  });
});
