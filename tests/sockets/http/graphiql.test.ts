import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPulse, type TestPulse } from '../../support/pulse.js';

/** GraphiQL as a browser asks for it. */
function getPage(pulse: TestPulse): Promise<Response> {
  return fetch(pulse.graphqlUrl, { headers: { accept: 'text/html' } });
}

/** Asks for GraphiQL over a raw socket and stops reading once the answer starts arriving: a client that never takes the rest. */
async function stalledReader(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.write(`GET /graphql HTTP/1.1\r\nhost: ${hostname}:${port}\r\naccept: text/html\r\n\r\n`);
  await once(socket, 'data');
  socket.pause();
  return socket;
}

describe('GraphiQL as Pulse serves it', () => {
  let pulse: TestPulse;
  beforeAll(async () => {
    pulse = await startTestPulse();
  });
  afterAll(() => pulse.close());

  it('inlines everything and loads nothing from another host, under a CSP that allows only its own script and this origin', async () => {
    const response = await getPage(pulse);
    expect(response.status).toBe(200);
    const page = await response.text();
    // No script, style or worker from elsewhere (Yoga's default GraphiQL loads them from a CDN).
    expect(page.match(/<script[^>]*\bsrc=/g)).toBeNull();
    expect(page.match(/<link[^>]*\bhref="https?:/g)).toBeNull();
    const csp = response.headers.get('content-security-policy') ?? '';
    const script = /<script>([\s\S]*?)<\/script>/.exec(page)?.[1] ?? '';
    expect(csp).toContain(`script-src 'sha256-${createHash('sha256').update(script).digest('base64')}'`);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  });

  it('prefills only the placeholder outside dev mode, and never persists headers', async () => {
    const page = await (await getPage(pulse)).text();
    // The bundle itself contains "eyJ" by chance: look at the options passed to GraphiQL only.
    expect(page.includes('"headers":"{\\"Authorization\\":\\"Bearer <paste an admin token>\\"}"'), 'placeholder').toBe(true);
    expect(/Bearer eyJ/.test(page), 'a token').toBe(false);
    expect(page.includes('"shouldPersistHeaders":false')).toBe(true);
  });

  it('leaves memory bounded when 200 clients ask for the 9 MB page and never read it', async () => {
    (await getPage(pulse)).body?.cancel();
    const before = process.memoryUsage().arrayBuffers;
    const readers = await Promise.all(Array.from({ length: 200 }, () => stalledReader(pulse.url)));
    try {
      // Every response is written (its head arrived) and stuck behind a client that does not read.
      const grown = process.memoryUsage().arrayBuffers - before;
      // One shared buffer: each stalled answer holds a reference, not its own 9 MB copy (which would be 1.8 GB here).
      expect(grown).toBeLessThan(100 * 1024 * 1024);
    } finally {
      readers.forEach((socket) => socket.destroy());
    }
  });
});
