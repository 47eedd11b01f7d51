import { setTimeout as delay } from 'node:timers/promises';

/** A value `if` accepts. */
export type Truthy<T> = Exclude<T, false | 0 | 0n | '' | null | undefined>;

/** Options of {@link waitUntil}. */
export interface WaitUntilOptions {
  /** Pause between two checks. @defaultValue 10 */
  intervalMs?: number;
  /** Names the condition in the timeout message. @defaultValue 'the condition' */
  what?: string;
}

/**
 * Polls `predicate` until it returns (or resolves to) a truthy value, and
 * resolves with that value. For state that offers no event to wait on: a
 * count in Redis dropping to zero, a lease lapsing. Prefer an event (an
 * `EventQueue`) when there is one.
 *
 * The predicate runs at once, then every `intervalMs`, and once more at the
 * deadline, so a slow machine only makes the wait longer, never flaky below
 * `timeoutMs`. An exception from the predicate propagates at once, so an
 * `expect` inside it asserts an invariant on every check (e.g. "the lease
 * stays counted") rather than being retried.
 *
 * @example
 * ```ts
 * await waitUntil(async () => (await leases.count('alice')) === 0, 5_000, { what: 'the lease to lapse' });
 * ```
 * @throws Error naming `what` when `timeoutMs` passes first
 */
export async function waitUntil<T>(
  predicate: () => T | Promise<T>,
  timeoutMs = 5_000,
  { intervalMs = 10, what = 'the condition' }: WaitUntilOptions = {},
): Promise<Truthy<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    // `if (value)` does not narrow a type parameter, hence the assertion.
    if (value) return value as Truthy<T>;
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(Math.min(intervalMs, left));
  }
}
