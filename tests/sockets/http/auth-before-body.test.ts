import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPulse, type TestPulse } from '../../support/pulse.js';
import { rawUpload } from '../../support/raw-http.js';
import { rawRequest } from '../../support/raw-request.js';

const codeOf = (body: string): unknown => (JSON.parse(body) as { errors?: Array<{ extensions?: { code?: unknown } }> }).errors?.[0]?.extensions?.code;

/** The protected requests that carry a body: GraphQL over HTTP, a single-connection operation and reservation. */
const PROTECTED = [
  ['POST', '/graphql'],
  ['POST', '/graphql/stream'],
  ['PUT', '/graphql/stream'],
] as const;

describe('authentication before the body, over raw sockets', () => {
  let pulse: TestPulse;
  let admin: string;

  beforeAll(async () => {
    pulse = await startTestPulse();
    admin = await pulse.token('body-admin', ['admin']);
  });
  afterAll(() => pulse.close());

  describe.each(PROTECTED)('%s %s', (method, path) => {
    const CASES = [
      ['no token', {}],
      ['a forged token', { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtYWxsb3J5In0.forged' }],
    ] as const;

    describe.each(CASES)('with %s', (_what, auth) => {
      it('answers 401 and closes at once when the body declares 50 MB and only 16 bytes ever come', async () => {
        const { socket, reply } = rawRequest(pulse.url, { method, target: path, headers: { ...auth, 'content-type': 'application/json', 'content-length': '50000000' } });
        socket.write('{"query":"{ __ty');
        const { status, headers, body } = await reply;
        expect(status).toBe(401);
        expect(headers.connection).toBe('close');
        expect(codeOf(body)).toBe('UNAUTHENTICATED');
      });

      it('answers 401 and closes at once when a body under the size limit trickles and never ends (slow body)', async () => {
        const { socket, reply } = rawRequest(pulse.url, { method, target: path, headers: { ...auth, 'content-type': 'application/json', 'content-length': '500000' } });
        socket.write('{');
        const { status, headers } = await reply;
        expect(status).toBe(401);
        expect(headers.connection).toBe('close');
      });

      it('answers 401 and closes at once when a chunked body never ends', async () => {
        const { socket, reply } = rawRequest(pulse.url, { method, target: path, headers: { ...auth, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } });
        socket.write('1\r\n{\r\n');
        const { status, headers } = await reply;
        expect(status).toBe(401);
        expect(headers.connection).toBe('close');
      });
    });
  });

  it('answers 401 to an anonymous 50 MB upload sent as fast as possible long before the upload is through', async () => {
    const size = 50_000_000;
    const answer = await rawUpload(`${pulse.url}/graphql`, { headers: { 'content-type': 'application/json' }, size });
    expect(answer.status).toBe(401);
    expect(codeOf(answer.body)).toBe('UNAUTHENTICATED');
    // The server closed without reading: what the client managed to write is what the socket buffers took.
    expect(answer.sent).toBeLessThan(size / 4);
  });

  it('still reads the body of a request with a valid token (control)', async () => {
    const json = JSON.stringify({ query: '{ __typename }' });
    const { socket, reply } = rawRequest(pulse.url, {
      method: 'POST',
      target: '/graphql',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(json)), connection: 'close' },
    });
    socket.write(json);
    const { status, body } = await reply;
    expect(status).toBe(200);
    expect(JSON.parse(body)).toEqual({ data: { __typename: 'Query' } });
  });

  it('keeps GraphiQL public and answers preflights without a token', async () => {
    const page = await fetch(`${pulse.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    await page.body?.cancel();
    const preflight = await fetch(`${pulse.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: 'https://elsewhere.test', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
  });
});
