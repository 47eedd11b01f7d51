import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode } from '../support/clients.js';
import { startInProcessPulse, type InProcessPulse } from '../support/in-process.js';
import { ACTIVE_USERS, END_SESSION, EVENTS_PER_MINUTE, RECORD, RECORD_MANY, STATS, activity } from '../support/operations.js';
import { BACKENDS } from '../support/pulse.js';

const minutesAgo = (minutes: number): string => new Date(Date.now() - minutes * 60_000).toISOString();
const minuteOf = (ms: number): number => Math.floor(ms / 60_000);

type MinuteCount = { minute: string; events: number };

describe.each(BACKENDS)('GraphQL over HTTP on the %s backend, in process', (backend) => {
  let pulse: InProcessPulse;
  let admin: string;
  let ingest: string;

  beforeAll(async () => {
    pulse = await startInProcessPulse({ backend, env: { MAX_BATCH_SIZE: '5' } });
    admin = await pulse.token('alice', ['admin']);
    ingest = await pulse.token('shop', ['ingest']);
  });
  afterAll(() => pulse.close());

  const asIngest = (query: string, variables?: Record<string, unknown>) => pulse.graphql(ingest, query, variables);
  const asAdmin = (query: string, variables?: Record<string, unknown>) => pulse.graphql(admin, query, variables);

  it('records activity and serves it in activeUsers and stats', async () => {
    const user = `u-${randomUUID()}`;
    const at = new Date(Date.now() - 1_000).toISOString();
    const input = activity(`${user}-s`, user, { userName: 'Ada', ipAddress: '2001:db8::1', path: `/p/${user}`, userAgent: 'curl/8', at });
    const recorded = await asIngest(RECORD, { input });
    expect(recorded.status).toBe(200);
    expect(recorded.body.data?.recordActivity).toEqual({
      id: `${user}-s`,
      userId: user,
      userName: 'Ada',
      ipAddress: '2001:db8::1',
      path: `/p/${user}`,
      userAgent: 'curl/8',
      startedAt: at,
      lastSeen: at,
      eventCount: 1,
    });
    const page = await asAdmin(ACTIVE_USERS, { first: 1, filter: { userId: user } });
    expect(page.body.data?.activeUsers).toMatchObject({
      edges: [{ node: { id: user, name: 'Ada', lastSeen: at, sessions: [{ id: `${user}-s`, eventCount: 1 }] } }],
      pageInfo: { hasNextPage: false },
    });
    const stats = await asAdmin(STATS, { limit: 50 });
    expect(stats.body.data?.stats).toMatchObject({ activeUsers: expect.any(Number), eventsLastMinute: expect.any(Number) });
    const { topPaths } = stats.body.data?.stats as { topPaths: Array<{ path: string; sessions: number }> };
    expect(topPaths).toContainEqual({ path: `/p/${user}`, sessions: 1 });
  });

  it('serves events per minute: the asked-for minutes, consecutive, oldest first, the current one last', async () => {
    // Recorded and read within one minute, so the event belongs to the last entry; a second
    // try is only needed when a minute began in between, and two in a row cannot straddle one.
    for (let attempt = 0; attempt < 2; attempt++) {
      const startedIn = minuteOf(Date.now());
      const user = `u-${randomUUID()}`;
      await asIngest(RECORD, { input: activity(`${user}-s`, user) });
      const result = await asAdmin(EVENTS_PER_MINUTE, { minutes: 5 });
      if (minuteOf(Date.now()) !== startedIn) continue;
      const history = (result.body.data?.stats as { eventsPerMinute: MinuteCount[] }).eventsPerMinute;
      expect(history).toHaveLength(5);
      expect(history.at(-1)?.events).toBeGreaterThanOrEqual(1);
      expect(history.map((entry) => Date.parse(entry.minute))).toEqual([4, 3, 2, 1, 0].map((back) => (startedIn - back) * 60_000));
      return;
    }
    throw new Error('two attempts in a row straddled a minute');
  });

  it('updates name and IP from a later event of the same session', async () => {
    const user = `u-${randomUUID()}`;
    await asIngest(RECORD, { input: activity(`${user}-s`, user, { userName: 'Old', ipAddress: '10.0.0.1' }) });
    const later = await asIngest(RECORD, { input: activity(`${user}-s`, user, { userName: 'New', ipAddress: '10.0.0.2' }) });
    expect(later.body.data?.recordActivity).toMatchObject({ userName: 'New', ipAddress: '10.0.0.2', eventCount: 2 });
  });

  it('records a batch, and ends a session by logout', async () => {
    const user = `u-${randomUUID()}`;
    const inputs = [activity(`${user}-a`, user), activity(`${user}-b`, user), activity(`${user}-a`, user)];
    const batch = await asIngest(RECORD_MANY, { inputs });
    expect(batch.body.data?.recordActivities).toEqual({
      recorded: 3,
      sessions: [
        // Each event's session as the whole batch left it.
        { id: `${user}-a`, eventCount: 2 },
        { id: `${user}-b`, eventCount: 1 },
        { id: `${user}-a`, eventCount: 2 },
      ],
    });
    expect((await asIngest(END_SESSION, { id: `${user}-a` })).body.data).toEqual({ endSession: true });
    expect((await asIngest(END_SESSION, { id: `${user}-a` })).body.data).toEqual({ endSession: false });
    const page = await asAdmin(ACTIVE_USERS, { filter: { userId: user } });
    expect(page.body.data?.activeUsers).toMatchObject({ edges: [{ node: { sessions: [{ id: `${user}-b` }] } }] });
  });

  it('pages through active users, most recent first', async () => {
    const tag = `/page/${randomUUID()}`;
    const base = Date.now() - 10_000;
    const inputs = [0, 1, 2, 3, 4].map((i) => activity(`${tag}-s${i}`, `${tag}-u${i}`, { path: tag, at: new Date(base + i * 1000).toISOString() }));
    expect(errorCode((await asIngest(RECORD_MANY, { inputs })).body)).toBeUndefined();
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 5; pages++) {
      const result = await asAdmin(ACTIVE_USERS, { first: 2, after, filter: { pathPrefix: tag } });
      const connection = result.body.data?.activeUsers as { edges: Array<{ node: { id: string } }>; pageInfo: { hasNextPage: boolean; endCursor: string } };
      seen.push(...connection.edges.map((e) => e.node.id));
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor;
    }
    expect(seen).toEqual([4, 3, 2, 1, 0].map((i) => `${tag}-u${i}`));
  });

  describe('refuses bad input with BAD_USER_INPUT and records nothing', () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['a malformed IP address', { ipAddress: '999.1.1.1' }, 'ipAddress'],
      ['an IP address with junk', { ipAddress: '10.0.0.1; DROP' }, 'ipAddress'],
      ['a future time beyond the skew', { at: new Date(Date.now() + 3_600_000).toISOString() }, 'at'],
      ['a time older than the idle window', { at: minutesAgo(60) }, 'at'],
      ['an over-long user name', { userName: 'n'.repeat(129) }, 'userName'],
      ['an over-long path', { path: `/${'p'.repeat(2048)}` }, 'path'],
      ['an over-long user agent', { userAgent: 'a'.repeat(513) }, 'userAgent'],
      // JSON carries a lone surrogate as an escape that has no UTF-8 form.
      ['a user name with a lone surrogate', { userName: 'n\ud800x' }, 'userName'],
      ['a path with a lone surrogate', { path: '/\udc00' }, 'path'],
    ];
    it.each(cases)('%s', async (_label, extra, field) => {
      const user = `u-${randomUUID()}`;
      const result = await asIngest(RECORD, { input: activity(`${user}-s`, user, extra) });
      expect(errorCode(result.body)).toBe('BAD_USER_INPUT');
      expect(result.body.errors?.[0]?.extensions?.field).toBe(field);
      const page = await asAdmin(ACTIVE_USERS, { filter: { userId: user } });
      expect(page.body.data?.activeUsers).toMatchObject({ edges: [] });
    });

    it.each([
      ['not a date', 'yesterday'],
      ['a date without a time zone', '2026-11-27T08:00:00'],
      ['an impossible date', '2026-02-31T08:00:00Z'],
    ])('a DateTime that is %s', async (_label, at) => {
      const result = await asIngest(RECORD, { input: activity('s', 'u', { at }) });
      expect(result.status).toBeGreaterThanOrEqual(400);
      expect(errorCode(result.body)).toBe('BAD_USER_INPUT');
    });

    it('over-long and empty ids', async () => {
      expect(errorCode((await asIngest(RECORD, { input: activity('s'.repeat(129), 'u') })).body)).toBe('BAD_USER_INPUT');
      expect(errorCode((await asIngest(RECORD, { input: activity('s', 'u'.repeat(129)) })).body)).toBe('BAD_USER_INPUT');
      expect(errorCode((await asIngest(RECORD, { input: activity('', 'u') })).body)).toBe('BAD_USER_INPUT');
    });

    it('ids and filters with a lone surrogate', async () => {
      const user = `u-${randomUUID()}`;
      const badUser = await asIngest(RECORD_MANY, { inputs: [activity(`${user}-s`, user), activity(`${user}-t`, `${user}\ud800`)] });
      expect(badUser.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', index: 1, field: 'userId' });
      expect((await asAdmin(ACTIVE_USERS, { filter: { userId: user } })).body.data?.activeUsers).toMatchObject({ edges: [] });
      expect(errorCode((await asIngest(RECORD, { input: activity('s\udbff', 'u') })).body)).toBe('BAD_USER_INPUT');
      expect(errorCode((await asIngest(END_SESSION, { id: 's\ud800' })).body)).toBe('BAD_USER_INPUT');
      expect(errorCode((await asAdmin(ACTIVE_USERS, { filter: { pathPrefix: '/\ud800' } })).body)).toBe('BAD_USER_INPUT');
    });

    it('a batch over the maximum, or with one bad event, as a whole', async () => {
      const user = `u-${randomUUID()}`;
      const tooMany = Array.from({ length: 6 }, (_, i) => activity(`${user}-${i}`, user));
      const oversize = await asIngest(RECORD_MANY, { inputs: tooMany });
      expect(errorCode(oversize.body)).toBe('BAD_USER_INPUT');
      expect(oversize.body.errors?.[0]?.extensions?.maxBatchSize).toBe(5);
      const oneBad = [activity(`${user}-ok`, user), activity(`${user}-bad`, user, { ipAddress: 'nope' })];
      const rejected = await asIngest(RECORD_MANY, { inputs: oneBad });
      expect(rejected.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', index: 1, field: 'ipAddress' });
      const page = await asAdmin(ACTIVE_USERS, { filter: { userId: user } });
      expect(page.body.data?.activeUsers).toMatchObject({ edges: [] });
    });

    it('a session id reused by another user (SESSION_USER_MISMATCH)', async () => {
      const session = `s-${randomUUID()}`;
      await asIngest(RECORD, { input: activity(session, 'owner') });
      const result = await asIngest(RECORD, { input: activity(session, 'intruder') });
      expect(errorCode(result.body)).toBe('SESSION_USER_MISMATCH');
    });

    it('page sizes, cursors and topPaths limits out of range', async () => {
      expect(errorCode((await asAdmin(ACTIVE_USERS, { first: 0 })).body)).toBe('BAD_USER_INPUT');
      expect(errorCode((await asAdmin(ACTIVE_USERS, { first: 101 })).body)).toBe('BAD_USER_INPUT');
      expect(errorCode((await asAdmin(ACTIVE_USERS, { after: 'not-a-cursor' })).body)).toBe('BAD_USER_INPUT');
      expect(errorCode((await asAdmin(STATS, { limit: 51 })).body)).toBe('BAD_USER_INPUT');
      for (const minutes of [0, 31]) {
        const refused = await asAdmin(EVENTS_PER_MINUTE, { minutes });
        expect(errorCode(refused.body)).toBe('BAD_USER_INPUT');
        expect(refused.body.errors?.[0]?.extensions?.field).toBe('minutes');
      }
    });
  });

  describe('authentication and roles', () => {
    it('answers 401 UNAUTHENTICATED without a token or with a bad one', async () => {
      for (const token of [null, 'garbage', `${admin}x`]) {
        const result = await pulse.graphql(token, STATS);
        expect(result.status).toBe(401);
        expect(errorCode(result.body)).toBe('UNAUTHENTICATED');
      }
    });

    it('answers 403 FORBIDDEN when an ingest token queries', async () => {
      const result = await asIngest(STATS);
      expect(result.status).toBe(403);
      expect(errorCode(result.body)).toBe('FORBIDDEN');
    });

    it('lets an admin record activity too', async () => {
      const result = await asAdmin(RECORD, { input: activity(`s-${randomUUID()}`, 'admin-user') });
      expect(result.body.errors).toBeUndefined();
    });

    it('serves GraphiQL to a browser without a token', async () => {
      const response = await pulse.fetch('/graphql', { headers: { accept: 'text/html' } });
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('GraphiQL');
    });

    it('answers GET queries like POST ones', async () => {
      const url = `/graphql?query=${encodeURIComponent('{ stats { activeSessions } }')}`;
      const response = await pulse.fetch(url, { headers: { authorization: `Bearer ${admin}`, accept: 'application/json' } });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ data: { stats: { activeSessions: expect.any(Number) } } });
    });
  });

  it('reports health and readiness', async () => {
    expect((await pulse.fetch('/healthz')).status).toBe(200);
    expect((await pulse.fetch('/readyz')).status).toBe(200);
  });
});
