import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IpMode } from '../../server/config/index.js';
import { pseudonymize } from '../../server/privacy/pseudonym.js';
import { dateOf, dayOf } from '../../server/privacy/salts/types.js';
import { redisKeys } from '../../server/redis/keys.js';
import { errorExtensions, startInProcessPulse, type InProcessPulse } from '../support/in-process.js';
import { activity, RECORD, RECORD_MANY } from '../support/operations.js';
import { BACKENDS, type BackendKind } from '../support/pulse.js';
import { connectTestRedis, uniquePrefix } from '../support/redis.js';
import { findInRedis } from '../support/redis-scan.js';

/**
 * `IP_MODE` end to end in process (`yoga.fetch`), on each engine: what the
 * write answers, what is stored, what subscribers get live and on a replay,
 * and that the raw address reaches no Redis key, log line or metric.
 */

/** One person's address in the spellings a client may send. */
const SENT = {
  v4: '198.51.100.77',
  v6: '2001:0db8:85a3:0000:0000:8a2e:0370:7334',
  mapped: '::ffff:198.51.100.77',
} as const;

/** Every way the raw address could appear if it leaked. */
const RAW = [SENT.v4, SENT.v6, '2001:db8:85a3::8a2e:370:7334', '8a2e:370:7334', '8a2e:0370:7334'];

/** What each mode stores for each spelling; `hash` under the day's salt. */
function expectedFor(mode: IpMode, salt: Uint8Array): Record<keyof typeof SENT, string | null> {
  switch (mode) {
    case 'full':
      return { ...SENT };
    case 'truncate':
      return { v4: '198.51.100.0', v6: '2001:db8:85a3::', mapped: '198.51.100.0' };
    case 'hash': {
      const v4 = pseudonymize('198.51.100.77', salt);
      return { v4, v6: pseudonymize('2001:db8:85a3::8a2e:370:7334', salt), mapped: v4 };
    }
    case 'drop':
      return { v4: null, v6: null, mapped: null };
  }
}

const MODES: readonly IpMode[] = ['full', 'truncate', 'hash', 'drop'];

const FEED = /* GraphQL */ `
  subscription Feed($since: Cursor) {
    activityChanged(since: $since, first: 10) {
      __typename
      cursor
      ... on SessionStarted { session { id ipAddress } }
    }
  }
`;

const SESSIONS_OF = /* GraphQL */ `
  query Sessions($user: ID!) {
    activeUsers(first: 1, filter: { userId: $user }) { edges { node { sessions(first: 10) { id ipAddress } } } }
  }
`;

const PRIVACY = 'query { privacy { ipMode historyMaxAgeMs } }';

/** An `activityChanged` event as read here. */
interface FeedEvent {
  readonly __typename: string;
  readonly cursor: string;
  readonly session?: { readonly id: string; readonly ipAddress: string | null };
}

/** A distinct-mode subscription over `yoga.fetch`, read event by event. */
async function openFeed(app: InProcessPulse, token: string, since?: string) {
  const response = await app.fetch('/graphql', {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query: FEED, variables: { since } }),
  });
  const reader = response.body?.getReader();
  if (!reader) throw new Error('the subscription has no body');
  const decoder = new TextDecoder();
  const events: FeedEvent[] = [];
  let text = '';
  const readMore = async (): Promise<void> => {
    const chunk = await reader.read();
    if (chunk.done) throw new Error(`the stream ended; read so far: ${text.slice(-500)}`);
    text += decoder.decode(chunk.value, { stream: true });
    for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n')) {
      const data = /^data: (.*)$/m.exec(text.slice(0, end))?.[1];
      text = text.slice(end + 2);
      if (data === undefined) continue;
      const result = JSON.parse(data) as { data?: { activityChanged: FeedEvent }; errors?: unknown };
      if (!result.data) throw new Error(`the stream answered ${data}`);
      events.push(result.data.activityChanged);
    }
  };
  return {
    /** Reads until an event matches; resolves with it. */
    async until(match: (event: FeedEvent) => boolean): Promise<FeedEvent> {
      for (;;) {
        const found = events.find(match);
        if (found) return found;
        await readMore();
      }
    },
    close: () => reader.cancel(),
  };
}

/** Log lines written at every level, down to trace. */
function capturedLog() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, destination), lines };
}

const hitsOf = (text: string): string[] => RAW.filter((raw) => text.includes(raw));

/**
 * Records one session per spelling for `user` (`<user>-v4` through
 * `recordActivity`, the others in one `recordActivities`); resolves with
 * what `recordActivity` answered and what each session should hold.
 */
async function recordSpellings(app: InProcessPulse, ingest: string, mode: IpMode, user: string) {
  const at = Date.now();
  const one = await app.graphql(ingest, RECORD, { input: activity(`${user}-v4`, user, { ipAddress: SENT.v4, userAgent: 'Agent/1' }) });
  const many = await app.graphql(ingest, RECORD_MANY, {
    inputs: [activity(`${user}-v6`, user, { ipAddress: SENT.v6 }), activity(`${user}-mapped`, user, { ipAddress: SENT.mapped })],
  });
  expect([one.body.errors, many.body.errors]).toEqual([undefined, undefined]);
  const expected = expectedFor(mode, await app.pulse.backends.salts.saltOf(dayOf(at)));
  const want: Record<string, string | null> = { [`${user}-v4`]: expected.v4, [`${user}-v6`]: expected.v6, [`${user}-mapped`]: expected.mapped };
  return { answered: (one.body.data?.recordActivity as { ipAddress: unknown } | undefined)?.ipAddress, want };
}

describe.each(BACKENDS)('IP_MODE in process: %s', (backend: BackendKind) => {
  describe.each(MODES)('IP_MODE=%s', (mode) => {
    const log = capturedLog();
    let app: InProcessPulse;
    let admin: string;
    let ingest: string;

    beforeAll(async () => {
      app = await startInProcessPulse({ backend, logger: log.logger, env: { IP_MODE: mode, MAX_SUBSCRIPTIONS_PER_ADMIN: '10' } });
      [admin, ingest] = await Promise.all([app.token(`ip-admin-${mode}`, ['admin']), app.token(`ip-shop-${mode}`, ['ingest'])]);
    });
    afterAll(() => app.close());

    it('says which mode is on in Query.privacy', async () => {
      const { body } = await app.graphql(admin, PRIVACY);
      expect(body.data).toEqual({ privacy: { ipMode: mode.toUpperCase(), historyMaxAgeMs: 600_000 } });
    });

    it('answers, stores, publishes and replays the address as the mode keeps it', async () => {
      const live = await openFeed(app, admin);
      const snapshot = await live.until((event) => event.__typename === 'Snapshot');
      const user = `ip-user-${mode}`;
      const { answered, want } = await recordSpellings(app, ingest, mode, user);
      expect(answered).toBe(want[`${user}-v4`]);
      const stored = await app.graphql<{ activeUsers: { edges: { node: { sessions: { id: string; ipAddress: string | null }[] } }[] } }>(admin, SESSIONS_OF, { user });
      const sessions = stored.body.data?.activeUsers.edges[0]?.node.sessions ?? [];
      expect(Object.fromEntries(sessions.map((s) => [s.id, s.ipAddress]))).toEqual(want);

      const started = async (feed: Awaited<ReturnType<typeof openFeed>>): Promise<Record<string, string | null>> => {
        const seen: Record<string, string | null> = {};
        for (const id of Object.keys(want)) {
          const event = await feed.until((e) => e.__typename === 'SessionStarted' && e.session?.id === id);
          seen[id] = event.session?.ipAddress ?? null;
        }
        return seen;
      };
      expect(await started(live)).toEqual(want);
      await live.close();

      const replay = await openFeed(app, admin, snapshot.cursor);
      await replay.until((event) => event.__typename === 'Resumed');
      expect(await started(replay)).toEqual(want);
      await replay.close();
    });

    it('keeps the raw address out of every log line (trace included) and out of /metrics', async () => {
      // The previous test recorded through every path; logging really was on, down to trace.
      expect(log.lines.some((line) => (JSON.parse(line) as { level: number }).level <= 20)).toBe(true);
      const metrics = await (await app.fetch('/metrics')).text();
      expect(metrics).toContain('pulse_events_published_total');
      // Not even `full`, which stores the address, logs it or counts by it.
      expect(hitsOf(log.lines.join('\n'))).toEqual([]);
      expect(hitsOf(metrics)).toEqual([]);
    });
  });
});

describe('IP_MODE on Redis, in process', () => {
  const backend = 'redis';

  it.each(MODES)('IP_MODE=%s leaves the raw address in no key or stream entry of the deployment (only full stores it)', async (mode) => {
    const prefix = uniquePrefix(`ip-mode-scan-${mode}`);
    const app = await startInProcessPulse({ backend, redisPrefix: prefix, env: { IP_MODE: mode } });
    const redis = connectTestRedis();
    try {
      await recordSpellings(app, await app.token('ip-shop', ['ingest']), mode, `scan-${mode}`);
      const hits = await findInRedis(redis, `${prefix}*`, RAW);
      if (mode === 'full') expect(hits.length).toBeGreaterThan(0);
      else expect(hits).toEqual([]);
    } finally {
      await redis.quit();
      await app.close();
    }
  });

  it('gives the same pseudonym on two processes of one deployment, on the same day', async () => {
    const prefix = uniquePrefix('ip-mode-two');
    const [one, two] = await Promise.all([1, 2].map(() => startInProcessPulse({ backend, redisPrefix: prefix, env: { IP_MODE: 'hash' } })));
    try {
      const record = async (app: InProcessPulse, sessionId: string, ipAddress: string): Promise<unknown> => {
        const { body } = await app.graphql(await app.token('ip-shop', ['ingest']), RECORD, { input: activity(sessionId, 'ip-two', { ipAddress }) });
        return (body.data?.recordActivity as { ipAddress: unknown } | undefined)?.ipAddress;
      };
      // At once, so that both make the day's salt together: the first to set it wins for both.
      const [a, b] = await Promise.all([record(one!, 'two-a', SENT.v4), record(two!, 'two-b', SENT.mapped)]);
      expect(a).toMatch(/^[0-9a-f]{16}$/);
      expect(b).toBe(a);
      expect(await record(two!, 'two-c', SENT.v6)).not.toBe(a);
    } finally {
      await Promise.all([one?.close(), two?.close()]);
    }
  });

  it('fails the write with SERVICE_UNAVAILABLE when the salt cannot be had, and stores nothing', async () => {
    const prefix = uniquePrefix('ip-mode-salt');
    const log = capturedLog();
    const app = await startInProcessPulse({ backend, redisPrefix: prefix, logger: log.logger, env: { IP_MODE: 'hash' } });
    const redis = connectTestRedis();
    try {
      // Today's salt key holding a list: `SET … NX GET` answers WRONGTYPE.
      await redis.rpush(redisKeys(prefix).ipSalt(dateOf(dayOf(Date.now()))), 'not a salt');
      const [ingest, admin] = await Promise.all([app.token('ip-shop', ['ingest']), app.token('ip-admin', ['admin'])]);
      const refused = await app.graphql(ingest, RECORD, { input: activity('salt-s', 'salt-u', { ipAddress: SENT.v4 }) });
      expect(errorExtensions(refused)).toEqual([expect.objectContaining({ code: 'SERVICE_UNAVAILABLE' })]);
      const users = await app.graphql<{ activeUsers: { edges: unknown[] } }>(admin, SESSIONS_OF, { user: 'salt-u' });
      expect(users.body.data?.activeUsers.edges).toEqual([]);
      expect(await findInRedis(redis, `${prefix}*`, RAW)).toEqual([]);
      // The failure is logged, with its cause but without the address.
      const failure = log.lines.find((line) => line.includes('backend call failed'));
      expect(failure).toContain('WRONGTYPE');
      expect(hitsOf(log.lines.join('\n'))).toEqual([]);
    } finally {
      await redis.quit();
      await app.close();
    }
  });
});
