import { checkMetricsToken, checkOrigins, splitOrigins } from './checks.js';
import { HIDDEN, integer, oneOf, setting, text, type Parsed, yesNo } from './setting.js';

/** Log levels pino knows, plus `silent` to turn logging off. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

function origins(raw: string): Parsed<readonly string[]> {
  const expected = checkOrigins(raw);
  return expected === undefined ? { ok: true, value: splitOrigins(raw) } : { ok: false, expected };
}

/**
 * What one client, request or connection may make Pulse hold, and how Pulse
 * is operated: the second half of the settings table.
 */
export const LIMIT_SETTINGS = {
  maxDocumentBytes: setting({
    env: 'MAX_DOCUMENT_BYTES',
    flag: 'value',
    parse: integer({ min: 64, max: 1_048_576 }),
    fallback: 16_384,
    defaultDoc: '`16384`',
    doc: 'Longest GraphQL document (UTF-8 bytes), checked before parsing; longer is `BAD_USER_INPUT` on every transport.',
  }),
  maxDocumentTokens: setting({
    env: 'MAX_DOCUMENT_TOKENS',
    flag: 'value',
    parse: integer({ min: 10, max: 100_000 }),
    fallback: 2000,
    defaultDoc: '`2000`',
    doc: "Most tokens the parser reads (graphql's `maxTokens`); more is `BAD_USER_INPUT`.",
  }),
  maxQueryDepth: setting({
    env: 'MAX_QUERY_DEPTH',
    flag: 'value',
    parse: integer({ min: 2, max: 1000 }),
    fallback: 12,
    defaultDoc: '`12`',
    doc: 'Deepest field nesting, fragments expanded (introspection may go to 15, for GraphiQL); deeper is `BAD_USER_INPUT`.',
  }),
  maxQueryFields: setting({
    env: 'MAX_QUERY_FIELDS',
    flag: 'value',
    parse: integer({ min: 10, max: 100_000 }),
    fallback: 500,
    defaultDoc: '`500`',
    doc: 'Most fields of one operation, fragments expanded (aliases count); more is `BAD_USER_INPUT`.',
  }),
  maxRequestBodyBytes: setting({
    env: 'MAX_REQUEST_BODY_BYTES',
    flag: 'value',
    parse: integer({ min: 1024, max: 104_857_600 }),
    fallback: 1_048_576,
    defaultDoc: '`1048576`',
    doc: 'Largest request body (by `Content-Length`, or counted for a chunked body) and graphql-ws message; over it: HTTP 413 `PAYLOAD_TOO_LARGE`, WebSocket close 1009.',
  }),
  sseReservationTtlMs: setting({
    env: 'SSE_RESERVATION_TTL_MS',
    flag: 'value',
    parse: integer({ min: 100, max: 600_000, unit: 'ms' }),
    fallback: 30_000,
    defaultDoc: '`30000`',
    doc: 'A single-connection reservation (`PUT /graphql/stream`) whose stream has not connected within this is dropped with its operations; its token then gets 404.',
  }),
  maxSseReservationsPerAdmin: setting({
    env: 'MAX_SSE_RESERVATIONS_PER_ADMIN',
    flag: 'value',
    parse: integer({ min: 1, max: 1000 }),
    fallback: 5,
    defaultDoc: '`5`',
    doc: 'Reservations one admin may hold that are not connected yet, across all processes; one more is 429 `TOO_MANY_SUBSCRIPTIONS`.',
  }),
  maxSseStreamsPerAdmin: setting({
    env: 'MAX_SSE_STREAMS_PER_ADMIN',
    flag: 'value',
    parse: integer({ min: 1, max: 1000 }),
    fallback: 5,
    defaultDoc: '`5`',
    doc: 'Single-connection event streams one token subject may hold connected at once, across all processes; one more is 429 `TOO_MANY_SUBSCRIPTIONS`.',
  }),
  maxOperationsPerConnection: setting({
    env: 'MAX_OPERATIONS_PER_CONNECTION',
    flag: 'value',
    parse: integer({ min: 1, max: 10_000 }),
    fallback: 100,
    defaultDoc: '`100`',
    doc: 'Operations (queries, mutations, subscriptions) one graphql-ws socket or single-connection stream may have running at once; one more drops the connection as a slow consumer.',
  }),
  corsOrigins: setting({
    env: 'CORS_ORIGINS',
    flag: 'value',
    parse: origins,
    fallback: [],
    defaultDoc: '(none)',
    doc: 'Comma-separated exact origins (`https://dash.example.com`) that browsers may call Pulse from; any other origin gets no `Access-Control-Allow-Origin`. `/metrics` never answers CORS.',
    summary: (list) => `corsOrigins=${list.join(',') || 'none'}`,
  }),
  sseKeepAliveMs: setting({
    env: 'SSE_KEEPALIVE_MS',
    flag: 'value',
    parse: integer({ min: 100, max: 600_000, unit: 'ms' }),
    fallback: 12_000,
    defaultDoc: '`12000`',
    doc: 'Time between keep-alive comments on an idle event stream (both graphql-sse modes); written locally, never a backend call.',
  }),
  subscriberBufferBytes: setting({
    env: 'SUBSCRIBER_BUFFER_BYTES',
    flag: 'value',
    parse: integer({ min: 1024, max: 1_073_741_824 }),
    fallback: 1_048_576,
    defaultDoc: '`1048576`',
    doc: "Estimated bytes (each event's JSON length) queued for one subscriber, or one connection's results, before the connection is dropped as too slow, 1024 to 1073741824. Keep it above the largest burst one write can cause (`MAX_BATCH_SIZE` sessions × two changes × their size), or a reader that keeps up is dropped too.",
  }),
  shutdownGraceMs: setting({
    env: 'SHUTDOWN_GRACE_MS',
    flag: 'value',
    parse: integer({ min: 100, max: 600_000, unit: 'ms' }),
    fallback: 10_000,
    defaultDoc: '`10000`',
    doc: 'On SIGTERM/SIGINT, the longest Pulse takes to drop its streams, release its leases and exit 0; past it, it exits 1 anyway. 100 to 600000.',
  }),
  metricsToken: setting<string | undefined>({
    env: 'METRICS_TOKEN',
    flag: 'secret',
    parse: text(checkMetricsToken),
    fallback: undefined,
    show: HIDDEN,
    defaultDoc: '(none)',
    doc: 'When set (16+ characters, no whitespace), `/metrics` needs `Authorization: Bearer <METRICS_TOKEN>`. Without it, `/metrics` is open on a loopback `HOST` and answers 404 on any other. Environment only, never a flag.',
  }),
  logLevel: setting({
    env: 'LOG_LEVEL',
    flag: 'value',
    parse: oneOf(LOG_LEVELS),
    fallback: 'info' as LogLevel,
    defaultDoc: '`info`',
    doc: 'pino level (`silent` to turn logs off). Logs are JSON on stdout.',
  }),
  demo: setting({
    env: 'DEMO',
    flag: 'switch',
    parse: yesNo,
    fallback: false,
    emptyIsUnset: true,
    defaultDoc: '`0`',
    doc: '`1` feeds simulated visitors (flag: bare `--demo`); see [Dashboard](#dashboard). Never on for a real deployment: the simulated sessions mix with real ones.',
    summary: (on) => (on ? 'demo=on' : null),
  }),
} as const;
