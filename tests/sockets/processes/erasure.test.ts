import { randomBytes, randomUUID } from 'node:crypto';
import type { ExecutionResult } from 'graphql';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../../server/auth/authenticator.js';
import { errorCode, postGraphQL, subscribe, type Subscription, type Transport } from '../../support/clients.js';
import { RECORD, activity } from '../../support/operations.js';
import { spawnPulse, type PulseProcess } from '../../support/pulse-process.js';
import { connectTestRedis, uniquePrefix } from '../../support/redis.js';
import { REDIS_DEPLOYMENTS, startRedisDeployment, type RedisDeployment } from '../../support/redis-cluster.js';
import { findInRedis, type ScanHit } from '../../support/redis-scan.js';

/**
 * `eraseUser` on a deployment of two processes on one Redis and on a
 * 3-master Redis Cluster, seen from outside: subscribers on both processes
 * and all three transports, racing erasures, a client resuming across one,
 * and a scan of every key and stream entry afterwards (of every master, on
 * the cluster).
 */

const SESSION_FIELDS = 'id userId userName ipAddress path userAgent';
const ACTIVITY_SINCE = /* GraphQL */ `
  subscription Activity($filter: ActivityFilter, $since: Cursor) {
    activityChanged(filter: $filter, since: $since) {
      __typename
      cursor
      ... on SessionStarted { session { ${SESSION_FIELDS} } }
      ... on SessionUpdated { session { ${SESSION_FIELDS} } }
      ... on SessionEnded { session { ${SESSION_FIELDS} } reason }
      ... on UserJoined { user { id name } }
      ... on UserLeft { user { id name } }
    }
  }
`;
const ERASE = /* GraphQL */ `
  mutation Erase($userId: ID!) { eraseUser(userId: $userId) { userId endedSessions historyEntriesRemoved } }
`;

interface SessionView {
  readonly id: string;
  readonly userId: string;
  readonly userName: string | null;
  readonly ipAddress: string | null;
  readonly path: string | null;
  readonly userAgent: string | null;
}
interface Event {
  readonly __typename: string;
  readonly cursor: string;
  readonly session?: SessionView;
  readonly reason?: string;
  readonly user?: { readonly id: string; readonly name: string | null };
}
interface ErasureReport {
  readonly userId: string;
  readonly endedSessions: string[];
  readonly historyEntriesRemoved: number;
}

const eventOf = (result: ExecutionResult<Record<string, unknown>>): Event => {
  if (result.errors?.length) throw new Error(`unexpected errors: ${JSON.stringify(result.errors)}`);
  return result.data?.activityChanged as Event;
};

/** A person with personal fields no other test uses, so a scan can look for each. */
function person(label: string) {
  const tag = randomUUID();
  return {
    id: `${label}-${tag}`,
    name: `Name ${tag}`,
    ipAddress: `2001:db8:${tag.slice(0, 4)}::77`,
    userAgent: `Agent/${tag}`,
    path: `/shop/${tag}`,
  };
}
type Person = ReturnType<typeof person>;

describe.each(REDIS_DEPLOYMENTS)('eraseUser across two processes on %s', (kind) => {
  const secret = randomBytes(32).toString('base64url');
  const token = (sub: string, role: 'admin' | 'ingest') => mintToken({ secret, sub, roles: [role] });
  const prefix = uniquePrefix('erasure');
  let a: PulseProcess;
  let b: PulseProcess;
  let deployment: RedisDeployment | undefined;
  /** One connection per master (the one Redis, or each master of the cluster): a scan must look at every one. */
  let masters: Redis[] = [];
  const opened: Subscription[] = [];

  beforeAll(async () => {
    deployment = await startRedisDeployment(kind);
    const env = { ...deployment.env, REDIS_PREFIX: prefix, JWT_SECRET: secret, MAX_SUBSCRIPTIONS_PER_ADMIN: '10' };
    [a, b] = await Promise.all([spawnPulse(env), spawnPulse(env)]);
    masters = deployment.cluster ? deployment.cluster.ports.map((port) => new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 })) : [connectTestRedis()];
  }, 60_000);
  afterAll(async () => {
    opened.forEach((sub) => sub.dispose());
    await Promise.all([a?.stop(), b?.stop()]);
    await Promise.all(masters.map((master) => master.quit()));
    await deployment?.dispose();
  });

  /** Where any of `needles` is in Redis, on every master. */
  const findEverywhere = async (needles: readonly string[]): Promise<ScanHit[]> =>
    (await Promise.all(masters.map((master) => findInRedis(master, `${prefix}*`, needles)))).flat();

  const open = async (on: PulseProcess, transport: Transport, variables: Record<string, unknown> = {}): Promise<Subscription> => {
    const sub = subscribe(transport, { graphqlUrl: `${on.url}/graphql`, token: await token(`watcher-${randomUUID()}`, 'admin') }, ACTIVITY_SINCE, variables);
    opened.push(sub);
    return sub;
  };

  const record = async (on: PulseProcess, who: Person, sessionId: string): Promise<void> => {
    const input = activity(sessionId, who.id, { userName: who.name, ipAddress: who.ipAddress, userAgent: who.userAgent, path: who.path });
    const { body } = await postGraphQL(`${on.url}/graphql`, await token('app', 'ingest'), RECORD, { input });
    expect(body.errors).toBeUndefined();
  };

  const erase = async (on: PulseProcess, userId: string): Promise<ErasureReport> => {
    const { body } = await postGraphQL<{ eraseUser: ErasureReport }>(`${on.url}/graphql`, await token('dpo', 'admin'), ERASE, { userId });
    expect(body.errors).toBeUndefined();
    return body.data!.eraseUser;
  };

  /** Every change the subscriber sees up to and including `user`'s `UserLeft`. */
  const untilUserLeft = async (sub: Subscription, userId: string): Promise<Event[]> => {
    const events: Event[] = [];
    for (;;) {
      const event = eventOf(await sub.results.next(10_000, `${userId} to leave`));
      events.push(event);
      if (event.__typename === 'UserLeft' && event.user?.id === userId) return events;
    }
  };

  it('ends every session once, announces it with ids only on every transport, and leaves nothing in Redis', async () => {
    const erased = person('erased');
    const kept = person('kept');
    const sessions = [0, 1, 2].map((i) => `${erased.id}-s${i}`);
    const watchers = await Promise.all([
      open(a, 'ws'),
      open(b, 'sse-distinct'),
      // A path filter cannot match the erasure's events (they carry no path): they must reach it all the same.
      open(b, 'sse-single', { filter: { pathPrefix: '/shop/' } }),
    ]);
    for (const sub of watchers) expect(eventOf(await sub.results.next(10_000)).__typename).toBe('Snapshot');

    await record(a, erased, sessions[0]!);
    await record(b, erased, sessions[1]!);
    await record(a, erased, sessions[2]!);
    await record(b, kept, `${kept.id}-s`);
    for (const sub of watchers) {
      await sub.results.waitFor((r) => eventOf(r).session?.userId === kept.id, 10_000, 'the last recorded session');
    }
    expect(await findEverywhere([erased.name])).not.toEqual([]);

    // Erasures race on both processes: together they end each session exactly once.
    const reports = await Promise.all([erase(a, erased.id), erase(b, erased.id)]);
    expect(reports.flatMap((report) => report.endedSessions).sort()).toEqual([...sessions].sort());
    expect(reports.reduce((sum, report) => sum + report.historyEntriesRemoved, 0)).toBeGreaterThanOrEqual(sessions.length);

    for (const sub of watchers) {
      const seen = await untilUserLeft(sub, erased.id);
      const ended = seen.filter((event) => event.__typename === 'SessionEnded');
      expect(ended.map((event) => event.session?.id).sort()).toEqual([...sessions].sort());
      for (const event of ended) {
        expect(event.reason).toBe('ERASED');
        expect(event.session).toMatchObject({ userId: erased.id, userName: null, ipAddress: null, path: null, userAgent: null });
      }
      expect(seen.at(-1)?.user).toEqual({ id: erased.id, name: null });
      expect(JSON.stringify(seen)).not.toMatch(new RegExp([erased.name, erased.ipAddress, erased.userAgent, erased.path].join('|')));
    }

    expect(await findEverywhere([erased.name, erased.ipAddress, erased.userAgent, erased.path])).toEqual([]);
    expect(await findEverywhere([kept.name, kept.ipAddress, kept.userAgent])).not.toEqual([]);
    // Erasing again removes nothing more and says so.
    expect(await erase(b, erased.id)).toEqual({ userId: erased.id, endedSessions: [], historyEntriesRemoved: 0 });
  });

  it('lets a client resume across an erasure: the erased changes are simply not replayed', async () => {
    const erased = person('resume-erased');
    const kept = person('resume-kept');
    const first = await open(a, 'sse-distinct');
    const snapshot = eventOf(await first.results.next(10_000));
    expect(snapshot.__typename).toBe('Snapshot');
    first.dispose();

    await record(a, erased, `${erased.id}-s`);
    await record(b, kept, `${kept.id}-s`);
    await erase(b, erased.id);

    const resumed = await open(b, 'ws', { since: snapshot.cursor });
    expect(eventOf(await resumed.results.next(10_000)).__typename).toBe('Resumed');
    const seen = await untilUserLeft(resumed, erased.id);
    expect(seen.filter((event) => event.session?.userId === kept.id || event.user?.id === kept.id).map((event) => event.__typename)).toEqual([
      'SessionStarted',
      'UserJoined',
    ]);
    expect(seen.filter((event) => event.session?.userId === erased.id || event.user?.id === erased.id).map((event) => event.__typename)).toEqual([
      'SessionEnded',
      'UserLeft',
    ]);
    expect(JSON.stringify(seen)).not.toContain(erased.name);
  });

  it('refuses the ingest role and a malformed user id', async () => {
    const asIngest = await postGraphQL(`${a.url}/graphql`, await token('app', 'ingest'), ERASE, { userId: 'someone' });
    expect(errorCode(asIngest.body)).toBe('FORBIDDEN');
    const tooLong = await postGraphQL(`${a.url}/graphql`, await token('dpo', 'admin'), ERASE, { userId: 'x'.repeat(129) });
    expect(errorCode(tooLong.body)).toBe('BAD_USER_INPUT');
    expect(tooLong.body.errors?.[0]?.extensions?.field).toBe('userId');
    const empty = await postGraphQL(`${a.url}/graphql`, await token('dpo', 'admin'), ERASE, { userId: '' });
    expect(errorCode(empty.body)).toBe('BAD_USER_INPUT');
  });
});
