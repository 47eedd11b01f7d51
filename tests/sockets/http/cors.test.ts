import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPulse, type TestPulse } from '../../support/pulse.js';

const LISTED = 'https://dash.example.com';
const ALSO_LISTED = 'https://admin.example.com:8443';
/** Origins an attacker may send: unlisted, look-alikes, `null` (sandboxed frames, file: pages), and a listed one's variants. */
const HOSTILE = ['https://evil.example', 'null', 'https://dash.example.com.evil.example', 'http://dash.example.com', 'https://dash.example.com:443', `${LISTED}/`, 'HTTPS://DASH.EXAMPLE.COM'];
const STATS = '{ stats { activeUsers } }';

/** The CORS headers of an answer, lower-cased names; `vary` separately. */
function corsOf(response: Response): Record<string, string> {
  const cors: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name.startsWith('access-control-')) cors[name] = value;
  });
  return cors;
}

function preflight(url: string, origin: string, method: string, headers: string): Promise<Response> {
  return fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers } });
}

/** Reads an event stream as it arrives; `close` drops the connection. */
function streamReader(response: Response): { until(done: (text: string) => boolean): Promise<string>; close(): Promise<void> } {
  const reader = response.body?.getReader();
  if (!reader) throw new Error('no body');
  const decoder = new TextDecoder();
  let text = '';
  return {
    until: async (done) => {
      while (!done(text)) {
        const { value, done: ended } = await reader.read();
        if (ended) break;
        text += decoder.decode(value, { stream: true });
      }
      return text;
    },
    close: () => reader.cancel(),
  };
}

describe('CORS by allow-list (CORS_ORIGINS), over real sockets', () => {
  let pulse: TestPulse;
  let admin: string;
  const json = (origin: string, token: string | null, body: unknown, extra: Record<string, string> = {}): RequestInit => ({
    method: 'POST',
    headers: { origin, 'content-type': 'application/json', ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...extra },
    body: JSON.stringify(body),
  });

  beforeAll(async () => {
    pulse = await startTestPulse({ env: { CORS_ORIGINS: `${LISTED},${ALSO_LISTED}` } });
    admin = await pulse.token('cors-admin', ['admin']);
  });
  afterAll(() => pulse.close());

  it.each([
    ['/graphql', 'POST', 'authorization, content-type'],
    ['/graphql', 'GET', 'authorization'],
    ['/graphql/stream', 'PUT', 'authorization'],
    ['/graphql/stream', 'GET', 'authorization, x-graphql-event-stream-token'],
    ['/graphql/stream', 'POST', 'authorization, content-type, x-graphql-event-stream-token'],
    ['/graphql/stream', 'DELETE', 'authorization, x-graphql-event-stream-token'],
  ])('answers a listed origin’s preflight to %s %s, before any auth', async (path, method, headers) => {
    for (const origin of [LISTED, ALSO_LISTED]) {
      const response = await preflight(`${pulse.url}${path}`, origin, method, headers);
      expect(response.status).toBe(204);
      const cors = corsOf(response);
      expect(cors['access-control-allow-origin']).toBe(origin);
      expect(cors['access-control-allow-methods']?.split(/,\s*/)).toContain(method);
      for (const header of headers.split(', ')) expect(cors['access-control-allow-headers']?.split(/,\s*/)).toContain(header);
      expect(cors['access-control-allow-credentials']).toBeUndefined();
      expect(response.headers.get('vary')).toMatch(/Origin/);
    }
  });

  it('gives any other origin’s preflight no permission at all', async () => {
    for (const origin of HOSTILE) {
      for (const path of ['/graphql', '/graphql/stream']) {
        const response = await preflight(`${pulse.url}${path}`, origin, 'POST', 'authorization, content-type');
        expect(corsOf(response), `${origin} ${path}`).toEqual({});
        expect(response.headers.get('vary')).toMatch(/Origin/);
      }
    }
  });

  it('lets a listed origin read GraphQL over HTTP (POST and GET), refusals included, and exposes x-request-id', async () => {
    const posted = await fetch(`${pulse.url}/graphql`, json(LISTED, admin, { query: STATS }));
    expect(posted.status).toBe(200);
    expect(corsOf(posted)).toEqual({ 'access-control-allow-origin': LISTED, 'access-control-expose-headers': 'x-request-id' });
    expect(posted.headers.get('x-request-id')).toBeTruthy();
    const got = await fetch(`${pulse.url}/graphql?query=${encodeURIComponent(STATS)}`, { headers: { origin: ALSO_LISTED, authorization: `Bearer ${admin}` } });
    expect(got.status).toBe(200);
    expect(corsOf(got)['access-control-allow-origin']).toBe(ALSO_LISTED);
    // An early refusal (the auth plugin answers in onRequest) carries CORS too, so the page can tell a 401 from a network error.
    const refused = await fetch(`${pulse.url}/graphql`, json(LISTED, null, { query: STATS }));
    expect(refused.status).toBe(401);
    expect(corsOf(refused)['access-control-allow-origin']).toBe(LISTED);
  });

  it('never reflects another origin, on success or refusal', async () => {
    for (const origin of HOSTILE) {
      const posted = await fetch(`${pulse.url}/graphql`, json(origin, admin, { query: STATS }));
      expect(posted.status).toBe(200);
      expect(corsOf(posted), origin).toEqual({});
      expect(posted.headers.get('vary')).toMatch(/Origin/);
      const refused = await fetch(`${pulse.url}/graphql`, json(origin, null, { query: STATS }));
      expect(corsOf(refused), origin).toEqual({});
    }
  });

  it('lets a listed origin open a distinct-mode SSE stream', async () => {
    const stream = await fetch(`${pulse.url}/graphql`, json(LISTED, admin, { query: 'subscription { activityChanged { __typename } }' }, { accept: 'text/event-stream' }));
    expect(stream.status).toBe(200);
    expect(corsOf(stream)['access-control-allow-origin']).toBe(LISTED);
    const events = streamReader(stream);
    expect(await events.until((text) => text.includes('Snapshot'))).toContain('Snapshot');
    await events.close();
    const other = await fetch(`${pulse.url}/graphql`, json(HOSTILE[0] ?? '', admin, { query: 'subscription { activityChanged { __typename } }' }, { accept: 'text/event-stream' }));
    expect(corsOf(other)).toEqual({});
    await other.body?.cancel();
  });

  it('lets a listed origin use single connection mode: PUT, GET stream, POST, DELETE, and its early answers', async () => {
    const auth = { origin: LISTED, authorization: `Bearer ${admin}` };
    const reserved = await fetch(`${pulse.url}/graphql/stream`, { method: 'PUT', headers: auth });
    expect(reserved.status).toBe(201);
    expect(corsOf(reserved)['access-control-allow-origin']).toBe(LISTED);
    const token = await reserved.text();
    const withToken = { ...auth, 'x-graphql-event-stream-token': token };

    const stream = await fetch(`${pulse.url}/graphql/stream`, { headers: { ...withToken, accept: 'text/event-stream' } });
    expect(stream.status).toBe(200);
    expect(corsOf(stream)['access-control-allow-origin']).toBe(LISTED);
    const run = await fetch(`${pulse.url}/graphql/stream`, {
      method: 'POST',
      headers: { ...withToken, 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'subscription { activityChanged { __typename } }', extensions: { operationId: 'op1' } }),
    });
    expect(run.status).toBe(202);
    expect(corsOf(run)['access-control-allow-origin']).toBe(LISTED);
    const events = streamReader(stream);
    expect(await events.until((text) => text.includes('Snapshot'))).toContain('op1');
    const stopped = await fetch(`${pulse.url}/graphql/stream?operationId=op1`, { method: 'DELETE', headers: withToken });
    expect(stopped.status).toBe(200);
    expect(corsOf(stopped)['access-control-allow-origin']).toBe(LISTED);
    await events.close();

    // The plugin's own early answers: 404 for an unknown stream, 401 without a token.
    const unknown = await fetch(`${pulse.url}/graphql/stream`, { headers: { ...auth, 'x-graphql-event-stream-token': 'nope', accept: 'text/event-stream' } });
    expect(unknown.status).toBe(404);
    expect(corsOf(unknown)['access-control-allow-origin']).toBe(LISTED);
    const anonymous = await fetch(`${pulse.url}/graphql/stream`, { method: 'PUT', headers: { origin: LISTED } });
    expect(anonymous.status).toBe(401);
    expect(corsOf(anonymous)['access-control-allow-origin']).toBe(LISTED);
    const stranger = await fetch(`${pulse.url}/graphql/stream`, { method: 'PUT', headers: { ...auth, origin: 'https://evil.example' } });
    expect(corsOf(stranger)).toEqual({});
    await stranger.body?.cancel();
  });

  it('never answers CORS on /metrics (nor the other non-API paths), even to a listed origin', async () => {
    for (const path of ['/metrics', '/healthz', '/readyz', '/']) {
      const got = await fetch(`${pulse.url}${path}`, { headers: { origin: LISTED } });
      await got.body?.cancel();
      expect(corsOf(got), `GET ${path}`).toEqual({});
      const options = await preflight(`${pulse.url}${path}`, LISTED, 'GET', 'authorization');
      await options.body?.cancel();
      expect(corsOf(options), `OPTIONS ${path}`).toEqual({});
    }
  });
});

describe('CORS with no CORS_ORIGINS (the default) or a single origin', () => {
  it('answers no origin by default, and with one listed origin never sends it to another', async () => {
    for (const origins of [undefined, LISTED]) {
      const pulse = await startTestPulse({ env: origins === undefined ? {} : { CORS_ORIGINS: origins } });
      try {
        const admin = await pulse.token('cors-admin', ['admin']);
        const body = JSON.stringify({ query: STATS });
        const headers = { 'content-type': 'application/json', authorization: `Bearer ${admin}` };
        const other = await fetch(pulse.graphqlUrl, { method: 'POST', headers: { ...headers, origin: 'https://evil.example' }, body });
        expect(corsOf(other)).toEqual({});
        const listed = await fetch(pulse.graphqlUrl, { method: 'POST', headers: { ...headers, origin: LISTED }, body });
        expect(corsOf(listed)['access-control-allow-origin']).toBe(origins === undefined ? undefined : LISTED);
        const pre = await preflight(pulse.graphqlUrl, 'https://evil.example', 'POST', 'authorization');
        expect(corsOf(pre)).toEqual({});
      } finally {
        await pulse.close();
      }
    }
  });
});
