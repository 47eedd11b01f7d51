import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorExtensions, startInProcessPulse, type InProcessPulse } from '../support/in-process.js';
import { ACTIVE_USERS, RECORD, STATS, activity } from '../support/operations.js';
import { BACKENDS } from '../support/pulse.js';

/**
 * `eraseUser` through `yoga.fetch` on each engine: who may call it, what it
 * answers, and what the reads show afterwards. The cross-process and
 * subscriber side is in tests/sockets/processes/erasure.test.ts, the store
 * contract in tests/contract/erasure.test.ts.
 */

const ERASE = /* GraphQL */ `
  mutation Erase($userId: ID!) { eraseUser(userId: $userId) { userId endedSessions historyEntriesRemoved } }
`;

interface ErasureReport {
  readonly userId: string;
  readonly endedSessions: readonly string[];
  readonly historyEntriesRemoved: number;
}
interface UsersPage {
  readonly activeUsers: { readonly edges: readonly { readonly node: { readonly id: string } }[] };
}

describe.each(BACKENDS)('eraseUser, in process: %s', (backend) => {
  let app: InProcessPulse;
  let admin: string;
  let ingest: string;

  beforeAll(async () => {
    app = await startInProcessPulse({ backend });
    [admin, ingest] = await Promise.all([app.token('dpo', ['admin']), app.token('shop', ['ingest'])]);
  });
  afterAll(() => app.close());

  const record = async (sessionId: string, userId: string): Promise<void> => {
    const input = activity(sessionId, userId, { userName: 'Grace', ipAddress: '192.0.2.7', path: '/cart', userAgent: 'Browser/1' });
    expect((await app.graphql(ingest, RECORD, { input })).body.errors).toBeUndefined();
  };
  const erase = (token: string, userId: string) => app.graphql<{ eraseUser: ErasureReport }>(token, ERASE, { userId });
  const userIds = async (): Promise<string[]> =>
    ((await app.graphql<UsersPage>(admin, ACTIVE_USERS, { first: 100 })).body.data?.activeUsers.edges ?? []).map((edge) => edge.node.id);

  it('ends the sessions, removes the user from every read, and answers what it removed', async () => {
    const user = `u-${randomUUID()}`;
    const other = `v-${randomUUID()}`;
    await record(`${user}-a`, user);
    await record(`${user}-b`, user);
    await record(`${user}-a`, user);
    await record(`${other}-a`, other);
    const before = (await app.graphql<{ stats: { activeSessions: number } }>(admin, STATS)).body.data?.stats.activeSessions ?? 0;

    const { body } = await erase(admin, user);
    expect(body.errors).toBeUndefined();
    expect(body.data?.eraseUser.userId).toBe(user);
    expect([...(body.data?.eraseUser.endedSessions ?? [])].sort()).toEqual([`${user}-a`, `${user}-b`]);
    // Three events made three SessionStarted/Updated entries and one UserJoined: all about the user.
    expect(body.data?.eraseUser.historyEntriesRemoved).toBe(4);

    expect(await userIds()).not.toContain(user);
    expect(await userIds()).toContain(other);
    expect((await app.graphql<{ stats: { activeSessions: number } }>(admin, STATS)).body.data?.stats.activeSessions).toBe(before - 2);
  });

  it('is idempotent: a user erased already, or never seen, is an empty answer', async () => {
    const user = `u-${randomUUID()}`;
    await record(`${user}-a`, user);
    expect((await erase(admin, user)).body.data?.eraseUser.endedSessions).toEqual([`${user}-a`]);
    expect((await erase(admin, user)).body.data?.eraseUser).toEqual({ userId: user, endedSessions: [], historyEntriesRemoved: 0 });
    expect((await erase(admin, `never-${randomUUID()}`)).body.data?.eraseUser.endedSessions).toEqual([]);
  });

  it('is refused to the ingest role, which may record and end sessions but not erase people', async () => {
    const user = `u-${randomUUID()}`;
    await record(`${user}-a`, user);
    const result = await erase(ingest, user);
    expect(errorExtensions(result)[0]?.code).toBe('FORBIDDEN');
    expect(result.body.data).toBeNull();
    expect(await userIds()).toContain(user);
  });

  it.each([
    ['empty', ''],
    ['longer than 128 characters', 'x'.repeat(129)],
    ['not well-formed Unicode', 'a\ud800b'],
  ])('refuses a user id that is %s, naming the argument', async (_what, userId) => {
    const result = await erase(admin, userId);
    expect(errorExtensions(result)[0]).toMatchObject({ code: 'BAD_USER_INPUT', field: 'userId' });
  });
});
