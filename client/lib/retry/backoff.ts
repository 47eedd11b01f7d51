/** The parameters of {@link nextDelay}. */
export interface BackoffPolicy {
  /** Ceiling of the first delay, in ms. */
  readonly initial: number;
  /** Largest ceiling, in ms: delays stop growing here. */
  readonly max: number;
  /** A uniform random number in [0, 1). */
  readonly random: () => number;
}

/**
 * The delay before retry number `attempt` (0 for the first retry after a
 * success): capped exponential backoff with **equal jitter**. The ceiling is
 * `initial * 2^attempt`, capped at `max`; the delay is drawn uniformly from
 * `[ceiling / 2, ceiling]`.
 *
 * Equal rather than full jitter (`[0, ceiling]`): full jitter may draw a
 * delay near zero and hit a server that is just coming back with everyone at
 * once; equal jitter still spreads clients over half the ceiling, and since
 * the lowest draw of one attempt equals the highest of the attempt before,
 * the delays never shrink until the cap is reached (from then on each is
 * drawn from `[max / 2, max]`).
 *
 * Pure: the same inputs and random draw give the same delay.
 *
 * @example
 * ```ts
 * nextDelay(0, { initial: 1000, max: 30_000, random: Math.random }); // 500..1000
 * nextDelay(3, { initial: 1000, max: 30_000, random: Math.random }); // 4000..8000
 * nextDelay(9, { initial: 1000, max: 30_000, random: Math.random }); // 15000..30000
 * ```
 */
export function nextDelay(attempt: number, { initial, max, random }: BackoffPolicy): number {
  // 2 ** large is Infinity, which `Math.min` caps, so no attempt count overflows.
  const ceiling = Math.min(max, initial * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
