/**
 * Counts deliveries from SSE text with as little parsing as possible: at
 * 100k+ events per second a JSON.parse per event would make the generator,
 * not the server, the thing being measured.
 */
import { LatencyHistogram } from './stats.js';

const TYPENAME = '"__typename":"';
const AT = '"at":"';
const CHAR_S = 'S'.charCodeAt(0);
const CHAR_E = 'e'.charCodeAt(0);
const CHAR_U = 'U'.charCodeAt(0);
const QUOTE = '"'.charCodeAt(0);
const MAX_ERRORS_KEPT = 5;

/**
 * Tallies the change events of every subscription against one measuring
 * window. An event counts when its `at` (stamped by the generator when it
 * published) lies inside the window, so late events of an earlier step or
 * of the warm-up never inflate a step's figures.
 */
export class DeliveryCounter {
  readonly latency = new LatencyHistogram();
  /** Deliveries inside the window. */
  received = 0;
  /** Deliveries stamped outside the window (warm-up, earlier steps). */
  outside = 0;
  streamErrors = 0;
  /** Every change event seen, never reset: lets a step wait until the previous one's stragglers stop. */
  total = 0;
  readonly errors: string[] = [];
  private lastAtText = '\u0000';
  private lastAt = Number.NaN;
  private windowStart = Number.POSITIVE_INFINITY;
  private windowEnd = Number.POSITIVE_INFINITY;

  /** Starts a new window `[start, end)` of `at` values (epoch ms) and forgets the counts. */
  reset(start: number, end: number): void {
    this.windowStart = start;
    this.windowEnd = end;
    this.latency.reset();
    this.received = this.outside = this.streamErrors = 0;
    this.errors.length = 0;
  }

  /**
   * Reads complete SSE frames received at `now`. Only change events count
   * (`Session*`, `User*`): a `Snapshot`, `Resumed` or `StatsChanged` is not a
   * delivery, and keep-alive comments carry no `__typename` at all.
   */
  scan(text: string, now: number): void {
    let i = text.indexOf(TYPENAME);
    while (i !== -1) {
      const first = text.charCodeAt(i + TYPENAME.length);
      if ((first === CHAR_S && text.charCodeAt(i + TYPENAME.length + 1) === CHAR_E) || first === CHAR_U) this.delivered(text, i, now);
      i = text.indexOf(TYPENAME, i + TYPENAME.length);
    }
    if (text.includes('"errors"')) this.streamError(text.slice(0, 300));
  }

  /** Records a stream that failed (an error result, an unexpected end). */
  streamError(message: string): void {
    this.streamErrors += 1;
    if (this.errors.length < MAX_ERRORS_KEPT) this.errors.push(message);
  }

  private delivered(text: string, from: number, now: number): void {
    this.total += 1;
    const start = text.indexOf(AT, from) + AT.length;
    // Every event of one publishing tick carries the same `at`: compare in place before slicing and parsing again.
    if (!text.startsWith(this.lastAtText, start) || text.charCodeAt(start + this.lastAtText.length) !== QUOTE) {
      this.lastAtText = text.slice(start, text.indexOf('"', start));
      this.lastAt = Date.parse(this.lastAtText);
    }
    const at = this.lastAt;
    if (!(at >= this.windowStart && at < this.windowEnd)) {
      this.outside += 1;
      return;
    }
    this.received += 1;
    this.latency.add(now - at);
  }
}
