import { randomBytes } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { saltExpiry, type Day, type SaltStore } from './types.js';

/** The memory engine of {@link SaltStore}: one process's salts, each deleted at its expiry by one timer for all. */
export class MemorySaltStore implements SaltStore {
  readonly #clock: Clock;
  readonly #salts = new Map<Day, Uint8Array>();
  #timer: NodeJS.Timeout | undefined;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** {@inheritDoc SaltStore.saltOf} */
  saltOf(day: Day): Promise<Uint8Array> {
    this.#dropExpired();
    let salt = this.#salts.get(day);
    if (salt === undefined && saltExpiry(day) > this.#clock.now()) {
      salt = randomBytes(32);
      this.#salts.set(day, salt);
      this.#armTimer();
    }
    // A day whose salt would already be deleted gets a throwaway one: nothing keeps it.
    return Promise.resolve(salt ?? randomBytes(32));
  }

  /** Days whose salt is held now, for tests. */
  get days(): readonly Day[] {
    return [...this.#salts.keys()];
  }

  /** {@inheritDoc SaltStore.close} */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #dropExpired(): void {
    const now = this.#clock.now();
    for (const day of this.#salts.keys()) if (saltExpiry(day) <= now) this.#salts.delete(day);
  }

  #armTimer(): void {
    clearTimeout(this.#timer);
    const next = Math.min(...[...this.#salts.keys()].map(saltExpiry));
    if (!Number.isFinite(next)) return;
    // Unref'd: a salt's deletion must not keep an idle process alive; clamp to what a timer can wait.
    this.#timer = setTimeout(() => this.#onTimer(), Math.min(Math.max(0, next - this.#clock.now()), 2_147_483_647)).unref();
  }

  #onTimer(): void {
    this.#dropExpired();
    this.#armTimer();
  }
}

/** {@link SaltStore} in memory, checked against the interface. */
export function createMemorySaltStore(clock: Clock): SaltStore & { readonly days: readonly Day[] } {
  return new MemorySaltStore(clock) satisfies SaltStore;
}
