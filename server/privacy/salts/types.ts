/** A day number: whole days since the Unix epoch, in UTC. */
export type Day = number;

/** One day in ms. */
export const DAY_MS = 86_400_000;

/** How long a salt is kept after its day ends, then deleted: the previous day's salt lives 48 h more, as Plausible's do. */
export const SALT_KEPT_AFTER_DAY_MS = 48 * 3_600_000;

/** The day `epochMs` falls on. */
export function dayOf(epochMs: number): Day {
  return Math.floor(epochMs / DAY_MS);
}

/** When the salt of `day` is deleted: {@link SALT_KEPT_AFTER_DAY_MS} after the day ends. */
export function saltExpiry(day: Day): number {
  return (day + 1) * DAY_MS + SALT_KEPT_AFTER_DAY_MS;
}

/**
 * Where the daily salts of `IP_MODE=hash` live: in this process's memory, or
 * in Redis, shared by every process. Guarantees, on both engines:
 * - every caller gets the same salt for the same day: the first to ask
 *   creates it (32 random bytes), atomically, so two processes never hash
 *   one address two ways on one day;
 * - a salt is deleted at {@link saltExpiry} of its day, whether or not it
 *   is asked for again (Redis expires the key; memory drops it on a timer).
 */
export interface SaltStore {
  /**
   * The salt of `day`, created on first use.
   * @throws the backend's error when Redis fails (the write that needed it fails with it)
   */
  saltOf(day: Day): Promise<Uint8Array>;
  /** Releases timers; the salts go with the process (memory) or stay in Redis until they expire. */
  close(): void;
}

/** `day` as its UTC date, `2026-12-01`: how a salt's Redis key names its day, readable by an operator. */
export function dateOf(day: Day): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}
