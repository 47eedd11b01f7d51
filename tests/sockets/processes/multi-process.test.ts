import { randomBytes, randomUUID } from 'node:crypto';
import type { ExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../../server/auth/authenticator.js';
import { postGraphQL, subscribe, type Subscription } from '../../support/clients.js';
import { ACTIVITY, RECORD, activity } from '../../support/operations.js';
import { spawnPulse, type PulseProcess } from '../../support/pulse-process.js';
import { testRedisUrl, uniquePrefix } from '../../support/redis.js';
import { probeSse } from '../../support/refusal.js';
import { waitUntil } from '../../support/wait.js';

type Event = { __typename: string; cursor: string; session?: { id: string }; user?: { id: string } };
const eventOf = (result: ExecutionResult<Record<string, unknown>>): Event => result.data?.activityChanged as Event;

describe('two Pulse processes on one Redis', () => {
  const secret = randomBytes(32).toString('base64url');
  const token = (sub: string, role: 'admin' | 'ingest') => mintToken({ secret, sub, roles: [role] });
  let a: PulseProcess;
  let b: PulseProcess;
  const opened: Subscription[] = [];

  let env: Record<string, string>;

  beforeAll(async () => {
    env = {
      REDIS_URL: testRedisUrl(),
      REDIS_PREFIX: uniquePrefix('multi'),
      JWT_SECRET: secret,
      IDLE_TIMEOUT_MS: '1500',
      SWEEP_INTERVAL_MS: '50',
      MAX_SUBSCRIPTIONS_PER_ADMIN: '2',
    };
    [a, b] = await Promise.all([spawnPulse(env), spawnPulse(env)]);
  });
  afterAll(async () => {
    opened.forEach((sub) => sub.dispose());
    await Promise.all([a?.stop(), b?.stop()]);
  });

  const open = async (on: PulseProcess, admin: string, variables?: Record<string, unknown>): Promise<Subscription> => {
    const sub = subscribe('sse-distinct', { graphqlUrl: `${on.url}/graphql`, token: await token(admin, 'admin') }, ACTIVITY, variables);
    opened.push(sub);
    return sub;
  };

  it('delivers a change recorded on one process to a subscriber on the other, exactly once', async () => {
    const user = `u-${randomUUID()}`;
    const sub = await open(b, `watcher-${user}`, { filter: { userId: user } });
    expect(eventOf(await sub.results.next()).__typename).toBe('Snapshot');
    const { body } = await postGraphQL(`${a.url}/graphql`, await token('app', 'ingest'), RECORD, { input: activity(`${user}-s`, user) });
    expect(body.errors).toBeUndefined();
    const started = await sub.results.waitFor((r) => eventOf(r).__typename === 'SessionStarted');
    expect(eventOf(started).session?.id).toBe(`${user}-s`);
  });

  it('holds the per-admin limit across both processes', async () => {
    const admin = `admin-${randomUUID()}`;
    const onA = await open(a, admin);
    const onB = await open(b, admin);
    expect(eventOf(await onA.results.next()).__typename).toBe('Snapshot');
    expect(eventOf(await onB.results.next()).__typename).toBe('Snapshot');
    for (const target of [a, b]) {
      expect(await probeSse(`${target.url}/graphql`, await token(admin, 'admin'), ACTIVITY)).toEqual({ status: 429, code: 'TOO_MANY_SUBSCRIPTIONS' });
    }
  });

  it('frees the slots of a process killed with SIGKILL within the lease time', async () => {
    const doomed = await spawnPulse({ ...env, LEASE_TTL_MS: '1000' });
    const admin = `admin-${randomUUID()}`;
    const onDoomed = [await open(doomed, admin), await open(doomed, admin)];
    for (const sub of onDoomed) expect(eventOf(await sub.results.next()).__typename).toBe('Snapshot');
    expect(await probeSse(`${b.url}/graphql`, await token(admin, 'admin'), ACTIVITY)).toMatchObject({ status: 429 });

    doomed.child.kill('SIGKILL');
    const killedAt = Date.now();
    await waitUntil(async () => (await probeSse(`${b.url}/graphql`, await token(admin, 'admin'), ACTIVITY)).status === 200, 5_000, {
      what: "the dead process's leases lapse",
    });
    expect(Date.now() - killedAt).toBeLessThan(3_000);
  });

  it('publishes each idle expiry once although both processes sweep', async () => {
    const user = `u-${randomUUID()}`;
    const watchers = [await open(a, `w1-${user}`, { filter: { userId: user } }), await open(b, `w2-${user}`, { filter: { userId: user } })];
    for (const watcher of watchers) expect(eventOf(await watcher.results.next()).__typename).toBe('Snapshot');
    const ingest = await token('app', 'ingest');
    const sessions = [0, 1, 2].map((i) => `${user}-s${i}`);
    for (const session of sessions) await postGraphQL(`${a.url}/graphql`, ingest, RECORD, { input: activity(session, user) });

    for (const watcher of watchers) await watcher.results.waitFor((r) => eventOf(r).__typename === 'UserLeft', 10_000, 'UserLeft');
    // A duplicate would be published right with the original; a later marker event proves none is still on its way.
    await postGraphQL(`${b.url}/graphql`, ingest, RECORD, { input: activity(`${user}-marker`, user) });
    for (const watcher of watchers) {
      await watcher.results.waitFor((r) => eventOf(r).session?.id === `${user}-marker`, 5_000, 'the marker');
      const events = watcher.results.seen.map(eventOf);
      const beforeMarker = events.slice(0, events.findIndex((e) => e.session?.id === `${user}-marker`));
      const ended = beforeMarker.filter((e) => e.__typename === 'SessionEnded').map((e) => e.session?.id);
      expect(ended.sort()).toEqual([...sessions].sort());
      expect(beforeMarker.filter((e) => e.__typename === 'UserLeft')).toHaveLength(1);
    }
  });
});
