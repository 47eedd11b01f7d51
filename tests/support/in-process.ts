import type { HttpResult } from './clients.js';
import { startTestPulse, type TestPulse, type TestPulseOptions } from './pulse.js';

/** The origin every in-process request is addressed to; no socket is ever opened to it. */
export const IN_PROCESS_ORIGIN = 'http://pulse.test';

/**
 * Pulse for the in-process tier: the whole pipeline (plugins, auth, limits,
 * masking, resolvers, engines) driven through `yoga.fetch`, with no socket
 * between the test and Yoga. For logic only; transports are tested over
 * real sockets in `tests/sockets/`.
 */
export interface InProcessPulse {
  /** The running Pulse, for its services, metrics and tokens. */
  readonly pulse: TestPulse;
  /** Mints a token for this server's secret. */
  readonly token: TestPulse['token'];
  /** One request to `path` (e.g. `/graphql`), as a browser or client would send it. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** POSTs one operation to `/graphql` with an optional bearer token. */
  graphql<T = Record<string, unknown>>(token: string | null, query: string, variables?: Record<string, unknown>): Promise<HttpResult<T>>;
  close(): Promise<void>;
}

/**
 * Builds Pulse through the same composition root as `npm start`
 * ({@link startTestPulse}), so what is tested here is what ships. The
 * composition root always listens (on port 0 here); nothing connects to it.
 */
export async function startInProcessPulse(options: TestPulseOptions = {}): Promise<InProcessPulse> {
  const pulse = await startTestPulse(options);
  const fetchInProcess = async (path: string, init?: RequestInit): Promise<Response> => pulse.server.yoga.fetch(`${IN_PROCESS_ORIGIN}${path}`, init ?? {});
  return {
    pulse,
    token: pulse.token,
    fetch: fetchInProcess,
    async graphql<T>(token: string | null, query: string, variables?: Record<string, unknown>): Promise<HttpResult<T>> {
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
      if (token !== null) headers.authorization = `Bearer ${token}`;
      const response = await fetchInProcess('/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      return { status: response.status, body: (await response.json()) as HttpResult<T>['body'] };
    },
    close: () => pulse.close(),
  };
}

/** The `extensions` of every error of a result, in order. */
export function errorExtensions(result: HttpResult): readonly (Record<string, unknown> | undefined)[] {
  return result.body.errors?.map((error) => error.extensions) ?? [];
}
