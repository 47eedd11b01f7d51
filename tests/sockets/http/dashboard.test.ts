import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSchema, createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useDashboard } from '../../../server/http/dashboard.js';
import { startTestPulse, type TestPulse } from '../../support/pulse.js';

/** A GET (or HEAD) with the path sent exactly as written: fetch would normalise `..` and `%2e` away first. */
function rawRequest(base: string, path: string, { method = 'GET', headers = {} }: { method?: string; headers?: Record<string, string> } = {}) {
  const { hostname, port } = new URL(base);
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = request({ hostname, port, path, method, headers }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A Yoga with only the dashboard plugin, serving `distDir`, on a free port. */
async function serveDist(distDir: string): Promise<{ url: string; close(): Promise<void> }> {
  const yoga = createYoga({ schema: createSchema({ typeDefs: 'type Query { ok: Boolean }', resolvers: { Query: { ok: () => true } } }), plugins: [useDashboard({ distDir })] });
  const server: Server = createServer(yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('serving the dashboard', () => {
  let root: string;
  let built: { url: string; close(): Promise<void> };
  let missing: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'pulse-dist-'));
    const dist = join(root, 'dist');
    await mkdir(join(dist, 'assets'), { recursive: true });
    await writeFile(join(dist, 'index.html'), '<!doctype html><title>Pulse</title><div data-testid="status"></div>');
    await writeFile(join(dist, 'assets', 'index-AbC123_x.js'), 'console.log("dashboard")');
    await writeFile(join(dist, 'assets', 'index-AbC123_x.css'), 'body{}');
    await writeFile(join(root, 'secret.txt'), 'outside dist');
    built = await serveDist(dist);
    missing = await serveDist(join(root, 'not-built'));
  });
  afterAll(async () => {
    await Promise.all([built?.close(), missing?.close()]);
    await rm(root, { recursive: true, force: true });
  });

  it('serves index.html at / for revalidation (no-cache, ETag, 304), with a strict CSP', async () => {
    for (const path of ['/', '/index.html']) {
      const response = await fetch(`${built.url}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(await response.text()).toContain('data-testid="status"');
    }
    const etag = (await fetch(`${built.url}/`)).headers.get('etag');
    expect(etag).toBeTruthy();
    const again = await fetch(`${built.url}/`, { headers: { 'if-none-match': etag ?? '' } });
    expect(again.status).toBe(304);
  });

  it('serves hashed assets as immutable, with their content types', async () => {
    const js = await fetch(`${built.url}/assets/index-AbC123_x.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await js.text()).toBe('console.log("dashboard")');
    const css = await fetch(`${built.url}/assets/index-AbC123_x.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('answers HEAD without a body', async () => {
    const head = await rawRequest(built.url, '/assets/index-AbC123_x.js', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it.each([
    '/assets/nope.js',
    '/assets/index-AbC123_x.exe',
    '/assets/',
    '/assets/../secret.txt',
    '/assets/../../secret.txt',
    '/assets/%2e%2e/secret.txt',
    '/assets/..%2fsecret.txt',
    '/assets/..%5csecret.txt',
    '/assets/.%2e/.%2e/secret.txt',
    '/assets/sub/index-AbC123_x.js',
    '/assets/.hidden.js',
    '/assets//etc/passwd',
  ])('answers 404 for %s and never reads outside assets/', async (path) => {
    const response = await rawRequest(built.url, path);
    expect(response.status).toBe(404);
    expect(response.body).not.toContain('outside dist');
  });

  it('leaves other paths to Yoga', async () => {
    const graphql = await fetch(`${built.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ ok }' }) });
    expect(await graphql.json()).toEqual({ data: { ok: true } });
    expect((await fetch(`${built.url}/favicon.ico`)).status).toBe(404);
    expect((await fetch(`${built.url}/`, { method: 'POST' })).status).not.toBe(200);
  });

  it('says to run npm run build when the dashboard is not built', async () => {
    const response = await fetch(`${missing.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.text()).toContain('npm run build');
    expect((await fetch(`${missing.url}/assets/index-AbC123_x.js`)).status).toBe(404);
  });
});

describe('a Pulse serves the built dashboard', () => {
  let pulse: TestPulse;
  beforeAll(async () => {
    pulse = await startTestPulse();
  });
  afterAll(() => pulse?.close());

  it('at / with its assets, and keeps /graphql, /healthz and /readyz', async () => {
    const html = await (await fetch(`${pulse.url}/`)).text();
    expect(html).toContain('data-testid="users-table"');
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1]);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) {
      const response = await fetch(`${pulse.url}${asset}`);
      expect(response.status, asset).toBe(200);
      expect(response.headers.get('cache-control')).toContain('immutable');
    }
    expect((await fetch(`${pulse.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${pulse.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${pulse.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ stats { activeUsers } }"}' })).status).toBe(401);
  });
});
