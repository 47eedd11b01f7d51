import { createHash } from 'node:crypto';
import type { GraphiQLOptions, Plugin } from 'graphql-yoga';

/** What GraphiQL's headers editor shows outside dev mode: a hint, never a credential. */
export const TOKEN_PLACEHOLDER = '<paste an admin token>';

/**
 * GraphiQL's settings: subscriptions over SSE (distinct connections, on
 * `/graphql` itself), a default document to try, and the `Authorization`
 * header prefilled with `token` (dev mode only; the placeholder otherwise).
 * Headers are never persisted, so a token typed in does not outlive the tab
 * in `localStorage`.
 * @param token - the dev admin token; pass it only in dev mode
 */
export function graphiqlOptions(token: string | undefined): GraphiQLOptions {
  return {
    title: 'Pulse',
    subscriptionsProtocol: 'SSE',
    headers: JSON.stringify({ Authorization: `Bearer ${token ?? TOKEN_PLACEHOLDER}` }),
    shouldPersistHeaders: false,
    defaultQuery: DEFAULT_QUERY,
  };
}

/** Options of {@link createGraphiQL}. */
export interface GraphiQLSetup {
  /** Where GraphiQL is served: the GraphQL endpoint, e.g. `/graphql`. */
  readonly path: string;
  /** The dev admin token to prefill; pass it only in dev mode. */
  readonly token: string | undefined;
}

/** What `createYoga` takes to serve GraphiQL: its `graphiql` and `renderGraphiQL` options, and a plugin for the page's headers. */
export interface PulseGraphiQL {
  readonly options: GraphiQLOptions;
  readonly render: (options: GraphiQLOptions) => Promise<Uint8Array<ArrayBuffer>>;
  readonly plugin: Plugin;
}

/**
 * GraphiQL rendered by Pulse itself: `@graphql-yoga/render-graphiql`
 * inlines GraphiQL, Monaco and their workers (blob URLs) into one page, so
 * it loads nothing from any other host (Yoga's default pulls its scripts
 * from a CDN and, offline, never gets past "Loading"). The page is about
 * 9 MB and depends only on its options, so it is rendered once into one
 * buffer that every response shares: a client that asks for it and never
 * reads holds a reference, not a 9 MB copy (a string body is encoded anew
 * for each response). Served with the headers of {@link useGraphiQLHeaders}.
 *
 * The renderer is imported when the page is first asked for: its module
 * holds GraphiQL as JavaScript strings, about 30 MB of heap (its source
 * and the string it exports) that a process nobody explores with would
 * carry for its whole life, and that makes every heap limit V8 derives
 * from the live size larger.
 */
export function createGraphiQL({ path, token }: GraphiQLSetup): PulseGraphiQL {
  const options = graphiqlOptions(token);
  let cached: { key: string; page: Promise<Uint8Array<ArrayBuffer>> } | undefined;
  // The policy of the page last rendered: a response only reaches the plugin once its render is done.
  let csp = graphiqlCsp('');
  const render = (given: GraphiQLOptions): Promise<Uint8Array<ArrayBuffer>> => {
    const key = JSON.stringify(given);
    if (cached?.key !== key) {
      const page = renderPage(given).then((html) => {
        csp = graphiqlCsp(html);
        return Buffer.from(html, 'utf8');
      });
      cached = { key, page };
      // A failed render is tried again by the next request, not remembered.
      page.catch(() => {
        if (cached?.page === page) cached = undefined;
      });
    }
    return cached.page;
  };
  return { options, render, plugin: useGraphiQLHeaders(path, () => csp) };
}

async function renderPage(options: GraphiQLOptions): Promise<string> {
  const { renderGraphiQL } = await import('@graphql-yoga/render-graphiql');
  return renderGraphiQL(options);
}

/**
 * The page's one inline script, as a CSP hash source, so that no other
 * inline script (an injection) runs. `undefined` when the page does not
 * have exactly one, which the caller treats as "allow none".
 */
export function inlineScriptHash(page: string): string | undefined {
  const scripts = [...page.matchAll(/<script>([\s\S]*?)<\/script>/g)];
  const body = scripts.length === 1 ? scripts[0]?.[1] : undefined;
  return body === undefined ? undefined : `'sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}'`;
}

/**
 * The Content-Security-Policy of the GraphiQL page. It may hold an admin
 * token (dev mode), so: its own inline script only (by hash), Monaco's
 * workers from the blob URLs that script creates, inline styles (Monaco
 * injects them), data: images and fonts, requests to this origin only
 * (`connect-src 'self'`: a token cannot be sent elsewhere), no framing.
 */
export function graphiqlCsp(page: string): string {
  const script = inlineScriptHash(page) ?? "'none'";
  return [
    "default-src 'none'",
    `script-src ${script}`,
    'worker-src blob:',
    "style-src 'unsafe-inline'",
    'img-src data:',
    'font-src data:',
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * Adds to the GraphiQL page (Yoga answers it, HTML to a browser's `GET`
 * on `path`) its CSP, `no-store` (the page may carry a token), no referrer
 * and no MIME sniffing.
 * @param csp - the page's policy, see {@link graphiqlCsp}
 */
export function useGraphiQLHeaders(path: string, csp: () => string): Plugin {
  return {
    onResponse({ request, response }) {
      if (request.method !== 'GET' || new URL(request.url).pathname !== path) return;
      if (!(response.headers.get('content-type') ?? '').startsWith('text/html')) return;
      response.headers.set('content-security-policy', csp());
      response.headers.set('cache-control', 'no-store');
      response.headers.set('referrer-policy', 'no-referrer');
      response.headers.set('x-content-type-options', 'nosniff');
      response.headers.set('content-type', 'text/html; charset=utf-8');
    },
  };
}

const DEFAULT_QUERY = `# Pulse: live activity. Try the query, then the subscription.
query Now {
  stats { activeUsers activeSessions eventsLastMinute topPaths(limit: 5) { path sessions } at }
  activeUsers(first: 10) { edges { node { id name lastSeen sessions { id path ipAddress } } } pageInfo { hasNextPage endCursor } }
}

subscription Live {
  activityChanged {
    __typename cursor at
    ... on SessionStarted { session { id userId path } }
    ... on SessionEnded { reason session { id } }
    ... on StatsChanged { stats { activeUsers activeSessions eventsLastMinute } }
  }
}

mutation Record {
  recordActivity(input: { sessionId: "s1", userId: "alice", userName: "Alice", path: "/home" }) { id lastSeen eventCount }
}
`;
