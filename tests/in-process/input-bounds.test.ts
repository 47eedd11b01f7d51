import { isIP } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LENGTH } from '../../server/resolvers/activity-input.js';
import { MAX_PAGE_CURSOR_LENGTH } from '../../server/resolvers/bounds.js';
import { MAX_CURSOR_LENGTH } from '../../server/domain/cursor.js';
import { MAX_DATE_TIME_LENGTH } from '../../server/resolvers/scalars.js';
import { anyText, dateTimeForms, hostileString, nearBound } from '../support/hostile-strings.js';
import { BACKENDS, startTestPulse, type TestPulse } from '../support/pulse.js';
import { readStreamUntil } from '../support/read-stream.js';

/**
 * Every input string Pulse takes, fuzzed with fast-check in process
 * (`yoga.fetch`, the whole pipeline without sockets) on each engine, so that
 * an accepted value also makes the storage round trip. The property, field
 * by field: accepted ⇒ within its bound and stored and sent back unchanged;
 * refused ⇒ one `BAD_USER_INPUT` naming the field; never anything else.
 */

const RUNS = 80;
const IDLE_TIMEOUT_MS = 900_000;
const CLOCK_SKEW_MS = 5_000;

const RECORD = `mutation ($input: ActivityInput!) {
  recordActivity(input: $input) { id userId userName ipAddress path userAgent lastSeen }
}`;
const USERS = `query ($first: Int, $after: String, $filter: ActivityFilter, $sessions: Int) {
  activeUsers(first: $first, after: $after, filter: $filter) {
    edges { node { id sessionCount sessions(first: $sessions) { id userId userName ipAddress path userAgent lastSeen } } }
  }
}`;
const END = 'mutation ($id: ID!) { endSession(sessionId: $id) }';
const SINCE = 'subscription ($since: Cursor) { activityChanged(since: $since, first: 1) { __typename } }';

type Session = Record<'id' | 'userId' | 'userName' | 'ipAddress' | 'path' | 'userAgent' | 'lastSeen', string | null>;
interface Answer {
  readonly data?: Record<string, unknown> | null;
  readonly errors?: readonly { readonly message: string; readonly extensions?: Record<string, unknown> }[];
}

/** What every refusal must be: exactly one error, `BAD_USER_INPUT`, naming `field`. */
function expectRefusal(answer: Answer, field: string): void {
  expect(answer.errors?.map((e) => [e.extensions?.code, e.extensions?.field])).toEqual([['BAD_USER_INPUT', field]]);
}

function withinBound(value: string, bound: number): boolean {
  return value.length <= bound && value.isWellFormed();
}

type Outcome = 'accepted' | 'refused';

/** Runs the property, and checks that both outcomes happened: a fuzzer that only ever hits one side proves nothing. */
async function fuzz<T>(arbitrary: fc.Arbitrary<T>, check: (value: T) => Promise<Outcome>, numRuns = RUNS): Promise<void> {
  const seen: Record<Outcome, number> = { accepted: 0, refused: 0 };
  await fc.assert(
    fc.asyncProperty(arbitrary, async (value) => {
      seen[await check(value)] += 1;
    }),
    { numRuns },
  );
  expect(seen.accepted).toBeGreaterThan(0);
  expect(seen.refused).toBeGreaterThan(0);
}

/** Checks a refusal (exactly one error, `BAD_USER_INPUT`, naming `field`), or says there was none. */
function refusal(answer: Answer, field: string): Outcome | null {
  if (!answer.errors) return null;
  expectRefusal(answer, field);
  return 'refused';
}

describe.each(BACKENDS)('input bounds, fuzzed in process: %s', (backend) => {
  let pulse: TestPulse;
  let admin: string;
  let runs = 0;

  beforeAll(async () => {
    pulse = await startTestPulse({ backend, env: { IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS), CLOCK_SKEW_MS: String(CLOCK_SKEW_MS) } });
    admin = await pulse.token('fuzz-admin', ['admin']);
  });
  afterAll(() => pulse.close());

  async function send(query: string, variables: Record<string, unknown>): Promise<Answer> {
    const response = await pulse.server.yoga.fetch(pulse.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as Answer;
  }

  /** The session as stored, read back through `activeUsers`, then ended so the next run starts clean. */
  async function storedAndEnded(userId: string, sessionId: string): Promise<Session | undefined> {
    const answer = await send(USERS, { first: 1, filter: { userId }, sessions: 50 });
    const edges = (answer.data?.activeUsers as { edges: { node: { sessions: Session[] } }[] }).edges;
    const stored = edges[0]?.node.sessions.find((s) => s.id === sessionId);
    expect(await send(END, { id: sessionId })).toEqual({ data: { endSession: true } });
    return stored;
  }

  const TEXT_FIELDS = ['sessionId', 'userId', 'userName', 'path', 'userAgent', 'ipAddress'] as const;
  type TextField = (typeof TEXT_FIELDS)[number];
  const ECHO: Record<TextField, keyof Session> = { sessionId: 'id', userId: 'userId', userName: 'userName', path: 'path', userAgent: 'userAgent', ipAddress: 'ipAddress' };

  function accepts(field: TextField, value: string): boolean {
    if (!withinBound(value, MAX_LENGTH[field])) return false;
    if ((field === 'sessionId' || field === 'userId') && value.length === 0) return false;
    return field !== 'ipAddress' || (isIP(value) !== 0 && !value.includes('%'));
  }

  it.each(TEXT_FIELDS)('ActivityInput.%s: accepted only within its bound, and stored and sent back unchanged', async (field) => {
    await fuzz(
      hostileString(MAX_LENGTH[field]),
      async (value): Promise<Outcome> => {
        const run = ++runs;
        const input = { sessionId: `s-${run}`, userId: `u-${run}`, ipAddress: '192.0.2.1', [field]: value };
        const answer = await send(RECORD, { input });
        const refused = refusal(answer, field);
        if (refused) return refused;
        expect(accepts(field, value)).toBe(true);
        const echoed = answer.data?.recordActivity as Session;
        expect(echoed[ECHO[field]]).toBe(value);
        const stored = await storedAndEnded(input.userId, input.sessionId);
        expect(stored?.[ECHO[field]]).toBe(value);
        return 'accepted';
      },
    );
  });

  it('ActivityInput.at: a DateTime of at most 35 characters within the time window, stored as the instant it names', async () => {
    await fuzz(
      dateTimeForms(Date.now()),
      async (at): Promise<Outcome> => {
        const run = ++runs;
        const input = { sessionId: `s-${run}`, userId: `u-${run}`, at };
        const answer = await send(RECORD, { input });
        const refused = refusal(answer, 'at');
        if (refused) return refused;
        const instant = Date.parse(at);
        expect(at.length).toBeLessThanOrEqual(MAX_DATE_TIME_LENGTH);
        expect(instant).toBeGreaterThanOrEqual(Date.now() - IDLE_TIMEOUT_MS - 1_000);
        expect(instant).toBeLessThanOrEqual(Date.now() + CLOCK_SKEW_MS);
        expect(Date.parse((answer.data?.recordActivity as Session).lastSeen ?? '')).toBe(instant);
        expect(Date.parse((await storedAndEnded(input.userId, input.sessionId))?.lastSeen ?? '')).toBe(instant);
        return 'accepted';
      },
    );
  });

  it.each([
    ['userId', MAX_LENGTH.userId],
    ['pathPrefix', MAX_LENGTH.path],
  ] as const)('ActivityFilter.%s: accepted only within its bound', async (name, bound) => {
    await fuzz(
      hostileString(bound),
      async (value): Promise<Outcome> => {
        const answer = await send(USERS, { first: 5, filter: { [name]: value } });
        const refused = refusal(answer, `filter.${name}`);
        if (refused) return refused;
        expect(withinBound(value, bound)).toBe(true);
        expect(answer.data?.activeUsers).toEqual({ edges: expect.any(Array) });
        return 'accepted';
      },
    );
  });

  it(`activeUsers(after:): at most ${MAX_PAGE_CURSOR_LENGTH} characters, and only cursors Pulse issued`, async () => {
    const issued = fc
      .tuple(fc.nat(), fc.oneof(anyText, nearBound(MAX_LENGTH.userId)))
      .map(([lastSeen, userId]) => Buffer.from(`${lastSeen}:${userId}`).toString('base64url'));
    await fuzz(
      fc.oneof(hostileString(MAX_PAGE_CURSOR_LENGTH), issued),
      async (after): Promise<Outcome> => {
        const answer = await send(USERS, { first: 2, after });
        const refused = refusal(answer, 'after');
        if (refused) return refused;
        expect(after.length).toBeLessThanOrEqual(MAX_PAGE_CURSOR_LENGTH);
        expect(answer.data?.activeUsers).toEqual({ edges: expect.any(Array) });
        return 'accepted';
      },
    );
  });

  it('endSession(sessionId): accepted only within its bound', async () => {
    await fuzz(
      hostileString(MAX_LENGTH.sessionId),
      async (id): Promise<Outcome> => {
        const answer = await send(END, { id });
        const refused = refusal(answer, 'sessionId');
        if (refused) return refused;
        expect(withinBound(id, MAX_LENGTH.sessionId) && id.length > 0).toBe(true);
        expect(answer.data).toEqual({ endSession: false });
        return 'accepted';
      },
    );
  });

  it(`activityChanged(since:): at most ${MAX_CURSOR_LENGTH} characters; anything else refused before a stream opens`, async () => {
    // Near misses (a stray `:` or `é`, a 17-digit sequence) beside well-formed cursors of any epoch, so both outcomes come up often.
    const cursorLike = fc
      .tuple(fc.string({ unit: fc.constantFrom(...'aZ09_-:é'), maxLength: 40 }), fc.bigInt({ min: 0n, max: 10n ** 18n }))
      .map(([epoch, seq]) => `${epoch}:${seq}`);
    // One seq per partition: a position with more than this store's one is another log's (a snapshot, not a refusal).
    const wellFormed = fc
      .tuple(fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/), fc.array(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), { minLength: 1, maxLength: 4 }))
      .map(([epoch, seqs]) => `${epoch}:${seqs.join('.')}`);
    await fuzz(
      fc.oneof(hostileString(MAX_CURSOR_LENGTH), cursorLike, wellFormed),
      async (since): Promise<Outcome> => {
        const cancel = new AbortController();
        const response = await pulse.server.yoga.fetch(pulse.graphqlUrl, {
          method: 'POST',
          headers: { accept: 'text/event-stream', 'content-type': 'application/json', authorization: `Bearer ${admin}` },
          body: JSON.stringify({ query: SINCE, variables: { since } }),
          signal: cancel.signal,
        });
        // A chunk may end inside the data line: it is whole once its newline has come.
        const text = await readStreamUntil(response, (seen) => /^data: .*\n/m.test(seen));
        cancel.abort();
        const answer = JSON.parse(/^data: (.*)\n/m.exec(text)?.[1] ?? 'null') as Answer;
        const refused = refusal(answer, 'since');
        if (refused) return refused;
        expect(since.length).toBeLessThanOrEqual(MAX_CURSOR_LENGTH);
        expect(['Snapshot', 'Resumed']).toContain((answer.data?.activityChanged as { __typename: string }).__typename);
        return 'accepted';
      },
      30,
    );
  });
});
