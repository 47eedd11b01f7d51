import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpResult } from '../support/clients.js';
import { startInProcessPulse, type InProcessPulse } from '../support/in-process.js';
import { activity } from '../support/operations.js';
import { dateOf, dayOf } from '../../server/privacy/salts/types.js';
import { redisKeys } from '../../server/redis/keys.js';
import { BACKENDS } from '../support/pulse.js';
import { connectTestRedis, uniquePrefix } from '../support/redis.js';

/**
 * `recordActivities(inputs: $inputs) { recorded }` skips GraphQL's variable
 * coercion (server/http/plain-ingest.ts). Every case below is sent twice:
 * as that plain document, and with `@include(if: true)` on `recorded`,
 * which GraphQL executes as always. Both must answer alike (error
 * locations aside, since the two texts differ) and record alike; the
 * metric tells which way each went.
 */

const PLAIN = 'mutation Plain($inputs: [ActivityInput!]!) { recordActivities(inputs: $inputs) { recorded } }';
const GENERAL = 'mutation General($inputs: [ActivityInput!]!) { recordActivities(inputs: $inputs) { recorded @include(if: true) } }';
const STATS = '{ stats { activeSessions activeUsers } }';

/** An integer session id of a tag's own (`p7` and `g7` differ). */
const numericId = (tag: string): number => Number(tag.slice(1)) * 10 + (tag.startsWith('p') ? 1 : 2);

type Way = 'plain' | 'coerced_by_graphql' | 'not plain';

/** A result without its error locations, which depend on where the field sits in the text. */
function withoutLocations(result: HttpResult): unknown {
  const { errors, ...rest } = result.body;
  const located = errors as ReadonlyArray<Record<string, unknown>> | undefined;
  return { status: result.status, ...rest, ...(located ? { errors: located.map(({ locations: _locations, ...error }) => error) } : {}) };
}

describe.each(BACKENDS)('plain ingest (%s)', (backend) => {
  let app: InProcessPulse;
  let admin: string;
  let ingest: string;
  /** Numbers each case's session ids. */
  let cases = 0;

  beforeAll(async () => {
    app = await startInProcessPulse({ backend, env: { MAX_BATCH_SIZE: '4' } });
    [admin, ingest] = await Promise.all([app.token('plain-admin', ['admin']), app.token('plain-shop', ['ingest'])]);
  });
  afterAll(() => app.close());

  const ways = async (): Promise<Record<string, number>> => {
    const { values } = await app.pulse.services.metrics.plainIngest.get();
    return Object.fromEntries(values.map(({ labels, value }) => [String(labels.inputs), value]));
  };
  const active = async (): Promise<{ activeSessions: number; activeUsers: number }> =>
    (await app.graphql<{ stats: { activeSessions: number; activeUsers: number } }>(admin, STATS)).body.data!.stats;

  /** Sends `query` with `variables`, and tells which way it went. */
  async function send(query: string, variables: Record<string, unknown>, token = ingest): Promise<{ result: HttpResult; way: Way }> {
    const before = await ways();
    const result = await app.graphql(token, query, variables);
    const after = await ways();
    const grew = (key: string): boolean => (after[key] ?? 0) > (before[key] ?? 0);
    return { result, way: grew('plain') ? 'plain' : grew('coerced_by_graphql') ? 'coerced_by_graphql' : 'not plain' };
  }

  /**
   * Sends `inputs(tag)` plainly and generally (each with its own tag, so that
   * both find the same state), and expects the same answer and the same
   * change in what is active.
   */
  async function expectAlike(inputs: (tag: string) => unknown, expected: Way): Promise<HttpResult> {
    const runs = [];
    cases += 1;
    for (const [query, tag] of [
      [PLAIN, `p${cases}`],
      [GENERAL, `g${cases}`],
    ] as const) {
      const before = await active();
      const sent = await send(query, { inputs: inputs(tag) });
      const after = await active();
      runs.push({ ...sent, grew: { sessions: after.activeSessions - before.activeSessions, users: after.activeUsers - before.activeUsers } });
    }
    const [plain, general] = runs as [(typeof runs)[0], (typeof runs)[0]];
    expect(plain.way).toBe(expected);
    expect(general.way).toBe('not plain');
    // Refusals may quote the values sent, tags included.
    const untagged = (result: HttpResult, tag: string): unknown => JSON.parse(JSON.stringify(withoutLocations(result)).replaceAll(tag, 'TAG'));
    expect(untagged(plain.result, `p${cases}`)).toEqual(untagged(general.result, `g${cases}`));
    expect(plain.grew).toEqual(general.grew);
    return plain.result;
  }

  it('records a plain batch without GraphQL coercion, answering as GraphQL would', async () => {
    const at = new Date(Date.now() - 1_000).toISOString();
    const result = await expectAlike(
      (tag) => [
        activity(`${tag}-s1`, `${tag}-u`, { userName: 'Ada', ipAddress: '192.0.2.1', path: '/a', userAgent: 'curl/8', at }),
        activity(`${tag}-s2`, `${tag}-u`, { userName: null, path: null }),
        { sessionId: `${tag}-s1`, userId: `${tag}-u` },
      ],
      'plain',
    );
    expect(result.body).toEqual({ data: { recordActivities: { recorded: 3 } } });
  });

  it('answers aliases and __typename as GraphQL does', async () => {
    const query = 'mutation ($events: [ActivityInput!]!) { done: recordActivities(inputs: $events) { n: recorded __typename recorded } }';
    const { result, way } = await send(query, { events: [activity('alias-s', 'alias-u')] });
    expect(way).toBe('plain');
    expect(result.body).toEqual({ data: { done: { n: 1, __typename: 'RecordActivitiesPayload', recorded: 1 } } });
  });

  it('words a refusal exactly as the resolver does, located at the field, and records nothing', async () => {
    const refused = await expectAlike((tag) => [activity(`${tag}-ok`, `${tag}-u`), activity(`${tag}-bad`, '')], 'plain');
    expect(refused.body.data).toBeNull();
    expect(refused.body.errors).toEqual([
      expect.objectContaining({ path: ['recordActivities'], locations: [{ line: 1, column: 46 }], extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'userId', index: 1 }) }),
    ]);
    const late = await expectAlike((tag) => [activity(`${tag}-late`, `${tag}-u`, { at: new Date(Date.now() + 3_600_000).toISOString() })], 'plain');
    expect(late.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'at' });
  });

  it('refuses a batch over MAX_BATCH_SIZE and a session reused for another user alike', async () => {
    const tooMany = await expectAlike((tag) => ['a', 'b', 'c', 'd', 'e'].map((n) => activity(`${tag}-${n}`, `${tag}-u`)), 'plain');
    expect(tooMany.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'inputs', maxBatchSize: 4 });
    const mismatch = await expectAlike((tag) => [activity(`${tag}-s`, `${tag}-u1`), activity(`${tag}-s`, `${tag}-u2`)], 'plain');
    expect(mismatch.body.errors?.[0]?.extensions).toMatchObject({ code: 'SESSION_USER_MISMATCH' });
    expect(await expectAlike(() => [], 'plain')).toMatchObject({ body: { data: { recordActivities: { recorded: 0 } } } });
  });

  it('leaves to GraphQL the variables it has a word about, and the coercions only it makes', async () => {
    for (const [inputs, recorded] of [
      // Not an ActivityInput: unknown field, wrong types, a bad DateTime, null in the list.
      [(tag: string) => [{ ...activity(`${tag}-s`, `${tag}-u`), extra: 1 }], null],
      [(tag: string) => [activity(`${tag}-s`, `${tag}-u`, { userName: 7 as unknown as string })], null],
      [(tag: string) => [activity(`${tag}-s`, `${tag}-u`, { at: 'yesterday' })], null],
      [(tag: string) => [{ sessionId: `${tag}-s` }], null],
      [() => [null], null],
      [() => 'not a list', null],
      // What GraphQL coerces and this does not: an integer ID, one object for a list of one.
      [(tag: string) => [{ sessionId: numericId(tag), userId: `${tag}-u` }], 1],
      [(tag: string) => activity(`${tag}-s`, `${tag}-u`), 1],
    ] as const) {
      const result = await expectAlike(inputs, 'coerced_by_graphql');
      if (recorded === null) expect(result.body.errors?.length).toBeGreaterThan(0);
      else expect(result.body).toEqual({ data: { recordActivities: { recorded } } });
    }
  });

  it('executes every other shape as always, and checks the role before either', async () => {
    const shapes = [
      'mutation ($inputs: [ActivityInput!]!) { recordActivities(inputs: $inputs) { recorded sessions { id } } }',
      'mutation ($inputs: [ActivityInput!]!) { recordActivities(inputs: $inputs) { ...F } } fragment F on RecordActivitiesPayload { recorded }',
      'mutation ($inputs: [ActivityInput!]!) { recordActivities(inputs: $inputs) { recorded } endSession(sessionId: "none") }',
      'mutation ($inputs: [ActivityInput!]! = []) { recordActivities(inputs: $inputs) { recorded } }',
    ];
    for (const query of shapes) {
      const { result, way } = await send(query, { inputs: [activity(`shape-${shapes.indexOf(query)}`, 'shape-u')] });
      expect(way).toBe('not plain');
      expect(result.body.data).toMatchObject({ recordActivities: { recorded: 1 } });
    }
    const inline = await send('mutation { recordActivities(inputs: [{ sessionId: "inline-s", userId: "inline-u" }]) { recorded } }', {});
    expect(inline).toMatchObject({ way: 'not plain', result: { body: { data: { recordActivities: { recorded: 1 } } } } });
    const reader = await app.token('plain-reader', []);
    const forbidden = await send(PLAIN, { inputs: [activity('forbidden-s', 'forbidden-u')] }, reader);
    expect(forbidden.way).toBe('not plain');
    expect(forbidden.result.body.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
  });
});

describe('plain ingest when the backend fails (redis)', () => {
  it('answers SERVICE_UNAVAILABLE as the resolver does, located at the field, and stores nothing', async () => {
    const prefix = uniquePrefix('plain-ingest-salt');
    const app = await startInProcessPulse({ backend: 'redis', redisPrefix: prefix, env: { IP_MODE: 'hash' } });
    const redis = connectTestRedis();
    try {
      // Today's salt key holding a list: `SET … NX GET` answers WRONGTYPE, so the write fails inside its backend call.
      await redis.rpush(redisKeys(prefix).ipSalt(dateOf(dayOf(Date.now()))), 'not a salt');
      const ingest = await app.token('plain-salt-shop', ['ingest']);
      const inputs = [activity('salt-s', 'salt-u', { ipAddress: '192.0.2.7' })];
      const [plain, general] = [await app.graphql(ingest, PLAIN, { inputs }), await app.graphql(ingest, GENERAL, { inputs })];
      expect(plain.body).toEqual({
        data: null,
        errors: [expect.objectContaining({ path: ['recordActivities'], locations: [{ line: 1, column: 46 }], extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE' }) })],
      });
      expect(withoutLocations(plain)).toEqual(withoutLocations(general));
      expect(await redis.keys(`${prefix}*session*`)).toEqual([]);
    } finally {
      await redis.quit();
      await app.close();
    }
  });
});
