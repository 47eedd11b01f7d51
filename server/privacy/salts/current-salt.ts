import type { Clock } from '../../core/clock.js';
import { DAY_MS, type Day, type SaltStore } from './types.js';

/**
 * The salt of the current day, held by this process so that a write in
 * `IP_MODE=hash` does not cost a round trip to the salt store: the store is
 * asked once per day (and once more after a failure), however many writes
 * come at once. The salt is forgotten when its day ends, long before the
 * store deletes it, so an idle process does not keep it past its time.
 *
 * A salt is fixed for its day once made (the store's guarantee), so the
 * copy held here stays right; only a salt key removed from Redis by hand
 * during its day would leave this process hashing with the old one while a
 * process that starts afterwards makes a new one.
 */
export class CurrentSalt {
  readonly #store: SaltStore;
  readonly #clock: Clock;
  #held: { readonly day: Day; readonly salt: Uint8Array } | undefined;
  /** The lookup in flight, shared by every write that needs it meanwhile. */
  #asking: { readonly day: Day; readonly salt: Promise<Uint8Array> } | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(store: SaltStore, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  /**
   * The salt of `day`: at once when this process holds it, else a promise of
   * the store's answer.
   * @throws (the promise rejects) with the store's error; the next call asks again
   */
  of(day: Day): Uint8Array | Promise<Uint8Array> {
    if (this.#held?.day === day) return this.#held.salt;
    if (this.#asking?.day === day) return this.#asking.salt;
    const salt = this.#store.saltOf(day).then(
      (found) => {
        this.#settled(day);
        this.#hold(day, found);
        return found;
      },
      (error: unknown) => {
        this.#settled(day);
        throw error;
      },
    );
    this.#asking = { day, salt };
    return salt;
  }

  /** Forgets the held salt and stops its timer. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#held = undefined;
  }

  #settled(day: Day): void {
    if (this.#asking?.day === day) this.#asking = undefined;
  }

  #hold(day: Day, salt: Uint8Array): void {
    // A write received just before midnight may be answered after one received just after: keep the later day.
    if (this.#held !== undefined && this.#held.day > day) return;
    this.#held = { day, salt };
    clearTimeout(this.#timer);
    const untilDayEnds = Math.min(Math.max(0, (day + 1) * DAY_MS - this.#clock.now()), DAY_MS);
    // Unref'd: forgetting a salt must not keep an idle process alive.
    this.#timer = setTimeout(() => this.close(), untilDayEnds).unref();
  }
}
