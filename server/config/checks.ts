/**
 * The checks of text settings: each returns what was expected, or
 * `undefined` when the value is fine.
 */

const MIN_SECRET_BYTES = 32;
/** Long enough that guessing it over HTTP is hopeless, short enough for any random generator's output. */
const MIN_METRICS_TOKEN_LENGTH = 16;

/** Any non-empty text. */
export function checkNonEmpty(value: string): string | undefined {
  return value.length > 0 ? undefined : 'a non-empty string (or leave it unset)';
}

/** A host name or address to listen on. */
export function checkHost(value: string): string | undefined {
  return /^\S+$/.test(value) ? undefined : 'a host name or IP address, e.g. 127.0.0.1 or 0.0.0.0';
}

/** A `redis://` or `rediss://` URL with a host. */
export function checkRedisUrl(value: string): string | undefined {
  const expected = 'a redis:// or rediss:// URL with a host, e.g. redis://127.0.0.1:6379';
  if (!URL.canParse(value)) return expected;
  const url = new URL(value);
  return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '' ? undefined : expected;
}

/**
 * Every key already carries the Cluster hash tag `{pulse}`; braces in the
 * prefix could form an empty tag (`{}`) and scatter the keys over slots,
 * which breaks the multi-key Lua scripts.
 */
export function checkRedisPrefix(value: string): string | undefined {
  return value.length > 0 && !/[{}\s]/.test(value) ? undefined : 'a non-empty prefix without braces or spaces, e.g. pulse:';
}

/** HS256 with a shorter secret is open to offline brute force (RFC 7518 §3.2 requires at least the hash size). */
export function checkSecret(value: string): string | undefined {
  return Buffer.byteLength(value, 'utf8') >= MIN_SECRET_BYTES
    ? undefined
    : `at least ${MIN_SECRET_BYTES} bytes for HS256 (or leave it unset for dev mode with a generated secret)`;
}

/** It travels in an `Authorization` header, so no whitespace. */
export function checkMetricsToken(value: string): string | undefined {
  return value.length >= MIN_METRICS_TOKEN_LENGTH && /^\S+$/.test(value)
    ? undefined
    : `at least ${MIN_METRICS_TOKEN_LENGTH} characters without whitespace (or leave it unset for an open /metrics)`;
}

/** `a, b` → `['a', 'b']`; empty items (a trailing comma) are dropped. */
export function splitOrigins(value: string): readonly string[] {
  return value
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin.length > 0);
}

/**
 * Each origin must be exactly what a browser sends in `Origin`: a scheme,
 * a host and an optional port, nothing else (no path, no trailing slash,
 * no wildcard), so that comparing strings is comparing origins.
 */
export function checkOrigins(value: string): string | undefined {
  const bad = splitOrigins(value).find((origin) => !URL.canParse(origin) || new URL(origin).origin !== origin);
  return bad === undefined
    ? undefined
    : `comma-separated exact origins such as https://dash.example.com (no path, slash or wildcard); ${JSON.stringify(bad)} is not one`;
}

/**
 * Replaces the password (or a lone user-info part) of a URL-like string, so
 * Redis credentials stay out of logs and error messages even when the rest
 * of the string is malformed.
 */
export function redactUrlCredentials(value: string): string {
  const schemeEnd = value.indexOf('://');
  const start = schemeEnd === -1 ? 0 : schemeEnd + 3;
  const authorityEnd = value.slice(start).search(/[/?#]/);
  const end = authorityEnd === -1 ? value.length : start + authorityEnd;
  const at = value.lastIndexOf('@', end - 1);
  if (at < start) return value;
  const userInfo = value.slice(start, at);
  const colon = userInfo.indexOf(':');
  const redacted = colon === -1 ? '***' : `${userInfo.slice(0, colon)}:***`;
  return `${value.slice(0, start)}${redacted}${value.slice(at)}`;
}
