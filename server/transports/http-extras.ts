import type { Plugin } from 'graphql-yoga';

/**
 * Headers every SSE response needs behind a proxy: nginx buffers event
 * streams unless told not to, which would hold events back for seconds.
 */
export function useStreamingHeaders(): Plugin {
  return {
    onResponse({ response }) {
      if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
        response.headers.set('x-accel-buffering', 'no');
        response.headers.set('cache-control', 'no-cache, no-transform');
      }
    },
  };
}

const ROOT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pulse</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1f2933}code{background:#f0f4f8;padding:.1rem .3rem;border-radius:4px}</style>
</head><body>
<h1>Pulse</h1>
<p>The live dashboard is not built yet. Meanwhile, explore the API in <a href="/graphql">GraphiQL</a>
with the admin token <code>npm start</code> printed (send it as <code>Authorization: Bearer &lt;token&gt;</code>).</p>
<p>Health: <a href="/healthz">/healthz</a> · Readiness: <a href="/readyz">/readyz</a></p>
</body></html>`;

/** Serves `/` until the dashboard takes it over. */
export function useRootPage(): Plugin {
  return {
    onRequest({ url, request, endResponse }) {
      if (url.pathname !== '/' || request.method !== 'GET') return;
      endResponse(new Response(ROOT_PAGE, { headers: { 'content-type': 'text/html; charset=utf-8' } }));
    },
  };
}
