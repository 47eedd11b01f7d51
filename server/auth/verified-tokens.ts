import type { Viewer } from './viewer.js';

interface Entry {
  readonly viewer: Viewer;
  /** When the token stops being accepted (its `exp` plus the clock tolerance), in ms. */
  readonly acceptedUntil: number;
}

/**
 * Tokens verified recently, by their exact text, until they expire. HMAC
 * verification through WebCrypto costs about half a millisecond, paid again
 * by every stream a dashboard opens with the same token and by every
 * reconnect after an outage; a hit costs a map lookup. Only the very bytes
 * that were verified hit, under the same key and rules (one cache per
 * authenticator), and never past their expiry. Bounded: the least recently
 * used entry goes first.
 */
export class VerifiedTokens {
  readonly #entries = new Map<string, Entry>();

  constructor(private readonly capacity = 1000) {}

  /** The viewer of a token verified before, if it is still accepted at `nowMs`. */
  get(token: string, nowMs: number): Viewer | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    this.#entries.delete(token);
    if (nowMs >= entry.acceptedUntil) return undefined;
    // Re-inserted last: Map order is the recency order.
    this.#entries.set(token, entry);
    return entry.viewer;
  }

  /** Remembers a verified token until `acceptedUntil` (ms). */
  set(token: string, viewer: Viewer, acceptedUntil: number): void {
    this.#entries.delete(token);
    this.#entries.set(token, { viewer, acceptedUntil });
    if (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}
