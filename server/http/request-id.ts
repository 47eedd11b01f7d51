import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from '../observability/logger.js';

/** The header a request id arrives in (from a proxy or a caller) and is echoed in. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** What an incoming id may look like: short and harmless in a log line or a header. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The id of one request: the caller's `x-request-id` when it is a sane token
 * (1 to 64 of `A-Z a-z 0-9 . _ -`), so one id follows a request through
 * proxies and services; otherwise a fresh one, since an arbitrary header
 * could forge or garble log lines.
 * @param generate - makes a fresh id @defaultValue crypto.randomUUID
 */
export function requestIdFrom(incoming: string | readonly string[] | null | undefined, generate: () => string = randomUUID): string {
  return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : generate();
}

/** The id of a WebSocket upgrade request (Node's headers), chosen by {@link requestIdFrom}. */
export function upgradeRequestId(headers: IncomingHttpHeaders): string {
  return requestIdFrom(headers[REQUEST_ID_HEADER]);
}

/** Request ids of in-flight HTTP requests, each chosen once however often it is asked for. */
export interface RequestIds {
  of(request: Request): string;
}

/** Creates an empty {@link RequestIds}; entries go with their requests (a WeakMap). */
export function createRequestIds(): RequestIds {
  const ids = new WeakMap<Request, string>();
  return {
    of(request) {
      let id = ids.get(request);
      if (id === undefined) {
        id = requestIdFrom(request.headers.get(REQUEST_ID_HEADER));
        ids.set(request, id);
      }
      return id;
    },
  };
}

/** Options of {@link createRequestLog}. */
export interface RequestLogOptions {
  readonly logger: Logger;
  readonly ids: RequestIds;
  /** Paths polled by machines (probes, scrapes), logged at `debug` so they do not drown the rest. */
  readonly quietPaths: readonly string[];
  /** The level of every other request's line: `debug` in dev mode, where a person reads the terminal. @defaultValue 'info' */
  readonly level?: 'info' | 'debug';
  /** Whether a proxy's `x-forwarded-for` may appear on debug lines: only when `IP_MODE` keeps addresses in full. @defaultValue true */
  readonly logAddresses?: boolean;
}

/**
 * Only these request headers are logged: a credential in any other header
 * (a proxy's API key, a cookie) never reaches a log line, and the logger's
 * redaction stays a second line of defence rather than the only one.
 */
const LOGGED_HEADERS = ['accept', 'content-type', 'content-length'] as const;

/**
 * Headers that carry personal data (a person's address, their browser's
 * user agent): logged only on lines at `debug`, never above it; and a
 * proxy's `x-forwarded-for` only when addresses are kept in full anyway
 * (`IP_MODE=full`), as for beacon traffic it is the visitor's own address.
 */
const PERSONAL_HEADERS = ['user-agent'] as const;
const ADDRESS_HEADERS = ['x-forwarded-for'] as const;

/** One request's log line, as {@link RequestLog.write} takes it from whoever answered the request. */
export interface RequestLogEntry {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  /** A request header's value, or null. */
  header(name: string): string | null;
  readonly statusCode: number;
  /** Time from the request's arrival to its response's start, when known. */
  readonly ms?: number;
}

/** The request log of one server: the Yoga plugin, and the same line for a transport that answers before Yoga. */
export interface RequestLog {
  readonly plugin: Plugin;
  /** Writes one request's line, exactly as the plugin writes it for the requests Yoga answers. */
  write(entry: RequestLogEntry): void;
}

/**
 * Gives every HTTP request an id, echoes it in the `x-request-id` response
 * header and writes one log line per request when its response starts
 * (for an event stream that is when it opens, not when it ends).
 */
export function createRequestLog({ logger, ids, quietPaths, level = 'info', logAddresses = true }: RequestLogOptions): RequestLog {
  const started = new WeakMap<Request, number>();
  const write = ({ requestId, method, path, header, statusCode, ms }: RequestLogEntry): void => {
    const lineLevel = quietPaths.includes(path) ? 'debug' : level;
    // Most deployments log above this level: then the line is not even built.
    if (!logger.isLevelEnabled(lineLevel)) return;
    const line = {
      requestId,
      req: { method, path, headers: loggedHeaders(header, lineLevel === 'debug', logAddresses) },
      res: { statusCode },
      ...(ms === undefined ? {} : { ms: Math.round(ms) }),
    };
    logger[lineLevel](line, 'http request');
  };
  return {
    plugin: {
      onRequest({ request }) {
        started.set(request, performance.now());
      },
      onResponse({ request, response }) {
        const requestId = ids.of(request);
        response.headers.set(REQUEST_ID_HEADER, requestId);
        const start = started.get(request);
        write({
          requestId,
          method: request.method,
          path: new URL(request.url).pathname,
          header: (name) => request.headers.get(name),
          statusCode: response.status,
          ...(start === undefined ? {} : { ms: performance.now() - start }),
        });
      },
    },
    write,
  };
}

function loggedHeaders(header: (name: string) => string | null, personal: boolean, addresses: boolean): Record<string, string> {
  const logged: Record<string, string> = {};
  const names: readonly string[] = personal ? [...LOGGED_HEADERS, ...PERSONAL_HEADERS, ...(addresses ? ADDRESS_HEADERS : [])] : LOGGED_HEADERS;
  for (const name of names) {
    const value = header(name);
    if (value !== null) logged[name] = value;
  }
  return logged;
}
