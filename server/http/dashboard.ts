import { readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'graphql-yoga';

/** Where `npm run build` (Vite, `client/dashboard/vite.config.ts`) writes the dashboard. */
export const DASHBOARD_DIST = fileURLToPath(new URL('../../client/dashboard/dist/', import.meta.url));

/** Options of {@link useDashboard}. */
export interface DashboardOptions {
  /**
   * The built dashboard: `index.html` and `assets/`.
   * @defaultValue {@link DASHBOARD_DIST}
   */
  readonly distDir?: string;
}

const HTML = 'text/html; charset=utf-8';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': HTML,
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/**
 * Only plain file names one level under `/assets/`, as Vite names them
 * (`index-B2xk9_aQ.js`). Matching the raw, undecoded path means `..`,
 * `%2e`, `%2f`, backslashes and nested folders never reach the file system.
 */
export const ASSET_PATH = /^\/assets\/[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/** Vite puts a content hash in every asset name, so a name always means the same bytes. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The page holds an admin token, so it loads nothing from elsewhere and
 * cannot be framed. Styles set through the CSSOM (element.style) are not
 * inline styles in CSP's sense, so `style-src 'self'` suffices.
 */
const INDEX_HEADERS = {
  'content-security-policy':
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pulse</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1f2933}code{background:#f0f4f8;padding:.1rem .3rem;border-radius:4px}</style>
</head><body>
<h1>Pulse</h1>
<p>The dashboard is not built. Run <code>npm run build</code> (<code>npm start</code> does it for you), then reload.</p>
<p>Meanwhile, explore the API in <a href="/graphql">GraphiQL</a>.
Health: <a href="/healthz">/healthz</a> · Readiness: <a href="/readyz">/readyz</a></p>
</body></html>`;

/**
 * Serves the built dashboard: `/` (and `/index.html`) with `no-cache`, so a
 * rebuild is picked up at the next load, and `/assets/<name>` as immutable.
 * Every other path, `/graphql*`, `/healthz` and `/readyz` included, passes
 * through untouched. Files are read per request, so a rebuild needs no
 * restart.
 *
 * When the dashboard is not built, `/` answers a short page saying to run
 * `npm run build`; an unknown asset is a 404.
 */
export function useDashboard({ distDir = DASHBOARD_DIST }: DashboardOptions = {}): Plugin {
  return {
    async onRequest({ url, request, endResponse }) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return;
      const head = request.method === 'HEAD';
      if (url.pathname === '/' || url.pathname === '/index.html') endResponse(await indexResponse(distDir, request, head));
      else if (url.pathname.startsWith('/assets/')) endResponse(await assetResponse(distDir, url.pathname, head));
    },
  };
}

async function indexResponse(distDir: string, request: Request, head: boolean): Promise<Response> {
  const file = join(distDir, 'index.html');
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) return fileResponse(NOT_BUILT_PAGE, 200, { 'content-type': HTML, 'cache-control': 'no-store' }, head);
  // no-cache means "revalidate every time"; the ETag makes that a cheap 304.
  const etag = `W/"${info.size.toString(36)}-${Math.trunc(info.mtimeMs).toString(36)}"`;
  const headers = { 'content-type': HTML, 'cache-control': 'no-cache', etag, ...INDEX_HEADERS };
  if (request.headers.get('if-none-match') === etag) return fileResponse(null, 304, headers, true);
  const body = await readFile(file).catch(() => undefined);
  return body === undefined ? notFound(head) : fileResponse(body, 200, headers, head);
}

async function assetResponse(distDir: string, pathname: string, head: boolean): Promise<Response> {
  const contentType = CONTENT_TYPES[extname(pathname)];
  if (!ASSET_PATH.test(pathname) || contentType === undefined) return notFound(head);
  const body = await readFile(join(distDir, pathname)).catch(() => undefined);
  if (body === undefined) return notFound(head);
  return fileResponse(body, 200, { 'content-type': contentType, 'cache-control': IMMUTABLE }, head);
}

function fileResponse(body: BodyInit | null, status: number, headers: Record<string, string>, head: boolean): Response {
  return new Response(head ? null : body, { status, headers: { 'x-content-type-options': 'nosniff', ...headers } });
}

function notFound(head: boolean): Response {
  return fileResponse('Not found', 404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' }, head);
}
