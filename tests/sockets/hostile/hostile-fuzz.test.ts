import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL } from '../../support/clients.js';
import { inPool, mutateDocument, randomActivityInput, randomJson, randomString, seededRandom, type Random } from '../../support/fuzz.js';
import { ACTIVE_USERS, ACTIVITY, END_SESSION, EVENTS_PER_MINUTE, RECORD, RECORD_MANY, STATS } from '../../support/operations.js';
import { BACKENDS, startTestPulse, type TestPulse } from '../../support/pulse.js';
import { readStreamUntil } from '../../support/read-stream.js';

/** FUZZ_SEED=<n> replays a run; every failure message names its seed. */
const SEED = process.env.FUZZ_SEED === undefined ? randomInt(2 ** 31) : Number(process.env.FUZZ_SEED);
const CASES = 1500;
const CONCURRENCY = 8;
const REQUEST_TIMEOUT_MS = 5000;

const DOCUMENTS = [STATS, ACTIVE_USERS, RECORD, RECORD_MANY, END_SESSION, EVENTS_PER_MINUTE, ACTIVITY, '{ __typename }', '{ __schema { queryType { name } } }'];

/** One request the fuzzer sends. */
interface Case {
  readonly index: number;
  readonly transport: 'http' | 'sse';
  readonly method: 'GET' | 'POST';
  readonly query: string;
  /** The raw POST body, or the GET query string. */
  readonly payload: string;
  readonly authorized: boolean;
}

function randomVariables(random: Random, document: string): unknown {
  if (random.chance(0.1)) return randomJson(random);
  if (document === RECORD) return { input: random.chance(0.8) ? randomActivityInput(random) : randomJson(random) };
  if (document === RECORD_MANY) return { inputs: random.chance(0.8) ? Array.from({ length: random.int(6) }, () => randomActivityInput(random)) : randomJson(random) };
  const names = ['first', 'after', 'filter', 'limit', 'minutes', 'id'];
  return Object.fromEntries(names.filter(() => random.chance(0.4)).map((name) => [name, randomJson(random)]));
}

function randomBody(random: Random, query: string, variables: unknown): string {
  if (random.chance(0.05)) return random.pick(['', 'null', '[]', '{"query":5}', '{"query":"{__typename}","variables":"x"}', '{"query":', randomString(random)]);
  const operationName = random.chance(0.1) ? randomJson(random) : undefined;
  return JSON.stringify({ query, variables, operationName, ...(random.chance(0.05) ? { extensions: randomJson(random) } : {}) });
}

function makeCase(random: Random, index: number): Case {
  const base = random.pick(DOCUMENTS);
  const roll = random.next();
  const query = roll < 0.4 ? base : roll < 0.85 ? mutateDocument(random, base) : randomString(random, 200);
  const variables = randomVariables(random, base);
  const transport = random.chance(0.2) ? 'sse' : 'http';
  const method = transport === 'http' && random.chance(0.15) ? 'GET' : 'POST';
  const payload = method === 'GET' ? new URLSearchParams({ query, variables: JSON.stringify(variables) ?? '' }).toString() : randomBody(random, query, variables);
  return { index, transport, method, query, payload, authorized: !random.chance(0.05) };
}

/**
 * Refusals of the HTTP exchange itself, which carry no GraphQL body: Yoga's
 * 406 for a subscription asked for as plain JSON (GraphQL over HTTP says so)
 * and Node's 431 for a GET whose URL passes its header size limit.
 */
const BODILESS_REFUSALS: ReadonlySet<number> = new Set([406, 431]);

type ErrorLike = { message?: unknown; extensions?: { code?: unknown } };

/** What is wrong with one GraphQL error a client got, or null. */
function errorProblem(error: ErrorLike, status: number): string | null {
  if (typeof error.message !== 'string' || error.message.length === 0) return 'an error without a message';
  if (error.message === 'Unexpected error.') return 'a masked internal error (a bug behind it)';
  if (typeof error.extensions?.code === 'string') return null;
  // The one exception allowed: graphql's own syntax and validation errors, which are requests refused as 400.
  return status === 400 ? null : 'an error without extensions.code';
}

/** What is wrong with one answer (body text, possibly an event stream), or null. */
function answerProblem(status: number, contentType: string, text: string): string | null {
  if (status >= 500) return `status ${status}`;
  if (/"stack"\s*:|\n\s+at .+:\d+:\d+/.test(text)) return 'a stack trace in the body';
  const payloads = contentType.includes('event-stream')
    ? [...text.matchAll(/^data: (.*)$/gm)].map((match) => match[1] ?? 'null')
    : text.length > 0 ? [text] : [];
  for (const payload of payloads) {
    let body: { errors?: ErrorLike[] } | null;
    try {
      body = JSON.parse(payload) as { errors?: ErrorLike[] } | null;
    } catch {
      return `a body that is not JSON: ${payload.slice(0, 80)}`;
    }
    for (const error of body?.errors ?? []) {
      const problem = errorProblem(error, status);
      if (problem !== null) return `${problem}: ${JSON.stringify(error).slice(0, 200)}`;
    }
  }
  if (status >= 400 && payloads.length === 0 && !BODILESS_REFUSALS.has(status)) return `status ${status} without a body`;
  return null;
}

/** Reads an event stream until it completes, or up to its first result for a subscription (which never completes). */
function readEvents(response: Response): Promise<string> {
  return readStreamUntil(response, (text) => /^event: complete$/m.test(text) || /^data: .*\n\n/m.test(text));
}

async function send(url: string, token: string, fuzz: Case): Promise<string | null> {
  const headers: Record<string, string> = {
    accept: fuzz.transport === 'sse' ? 'text/event-stream' : 'application/graphql-response+json, application/json',
  };
  if (fuzz.authorized) headers.authorization = `Bearer ${token}`;
  if (fuzz.method === 'POST') headers['content-type'] = 'application/json';
  const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  try {
    const response = fuzz.method === 'GET'
      ? await fetch(`${url}?${fuzz.payload}`, { headers, signal })
      : await fetch(url, { method: 'POST', headers, body: fuzz.payload, signal });
    const contentType = response.headers.get('content-type') ?? '';
    const text = contentType.includes('event-stream') ? await readEvents(response) : await response.text();
    return answerProblem(response.status, contentType, text);
  } catch (error) {
    return signal.aborted ? `no answer within ${REQUEST_TIMEOUT_MS} ms (a hang)` : `the request failed: ${String(error)}`;
  }
}

describe.each(BACKENDS)('fuzzing GraphQL over HTTP and SSE on the %s backend', (backend) => {
  let pulse: TestPulse;
  let token: string;

  beforeAll(async () => {
    pulse = await startTestPulse({ backend, env: { MAX_SUBSCRIPTIONS_PER_ADMIN: '4' } });
    token = await pulse.token('fuzzer', ['admin', 'ingest']);
  });
  afterAll(async () => {
    await pulse.close();
  });

  it(`answers ${CASES} random and mutated requests without a 5xx, a hang, or an error without a code`, { timeout: 60_000 }, async () => {
    const random = seededRandom(SEED);
    const cases = Array.from({ length: CASES }, (_, index) => makeCase(random, index));
    const failures: string[] = [];
    await inPool(cases, CONCURRENCY, async (fuzz) => {
      const problem = await send(pulse.graphqlUrl, token, fuzz);
      if (problem !== null) failures.push(`case ${fuzz.index} (${fuzz.transport} ${fuzz.method} ${JSON.stringify(fuzz.payload.slice(0, 300))}): ${problem}`);
    });
    expect(failures, `FUZZ_SEED=${SEED} reproduces this run; ${failures.length} failures, the first ones:\n${failures.slice(0, 5).join('\n')}`).toEqual([]);
  });

  it('still records and answers correctly afterwards', async () => {
    const userId = `after-fuzz-${SEED}`;
    const recorded = await postGraphQL(pulse.graphqlUrl, token, RECORD, { input: { sessionId: `${userId}-s`, userId, path: '/ok' } });
    expect(recorded.body.errors, `FUZZ_SEED=${SEED}`).toBeUndefined();
    const { body } = await postGraphQL<{ activeUsers: { edges: { node: { id: string; sessions: { path: string }[] } }[] } }>(
      pulse.graphqlUrl,
      token,
      ACTIVE_USERS,
      { filter: { userId } },
    );
    expect(body.data?.activeUsers.edges.map(({ node }) => [node.id, node.sessions.map((s) => s.path)])).toEqual([[userId, ['/ok']]]);
  });
});
