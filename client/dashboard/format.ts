/** Pure formatting: no DOM, so unit tests run it in Node. */

/**
 * How long ago `thenMs` was, as the users table shows it: "12 s ago",
 * "4 min ago", "2 h ago". A time slightly in the future (the server's clock
 * ahead of the browser's) reads "0 s ago" rather than a negative age.
 */
export function formatAgo(thenMs: number, nowMs: number): string {
  const seconds = Math.max(0, Math.floor((nowMs - thenMs) / 1000));
  if (seconds < 60) return `${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  return `${Math.floor(minutes / 60)} h ago`;
}

/** Whole seconds left until `atMs`, rounded up so a countdown reaches 0 only when the time has come. */
export function secondsUntil(atMs: number, nowMs: number): number {
  return Math.max(0, Math.ceil((atMs - nowMs) / 1000));
}

/** A local clock time, "14:05", for chart tooltips and axis labels. */
export function formatClock(ms: number): string {
  const date = new Date(ms);
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}

/**
 * The smallest of 1, 2 and 5 times a power of ten that is at least `value`
 * (and at least `floor`): a chart scale that reads well and changes rarely,
 * so bars do not rescale at every event.
 */
export function niceCeiling(value: number, floor = 5): number {
  const target = Math.max(value, floor);
  const power = 10 ** Math.floor(Math.log10(target));
  const step = [1, 2, 5, 10].find((m) => m * power >= target) ?? 10;
  return step * power;
}

/** An ISO instant as epoch ms, or `undefined` when it does not parse (a malformed event must not produce "NaN s ago"). */
export function parseInstant(iso: string | null | undefined): number | undefined {
  if (typeof iso !== 'string') return undefined;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : undefined;
}
