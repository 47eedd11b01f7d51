/** One activity as the bench's `recordActivities` mutation sends it to a baseline. */
export interface BaselineInput {
  readonly sessionId: string;
  readonly userId: string;
  readonly path?: string | null;
  readonly at?: string | null;
}

/** What a baseline server reads from its environment: its Redis and its channel. */
export interface BaselineSetup {
  readonly redisUrl: string;
  readonly channel: string;
}

/**
 * Reads `REDIS_URL` (required) and `BENCH_CHANNEL` (else `defaultChannel`).
 * @throws Error when `REDIS_URL` is missing
 */
export function baselineSetup(defaultChannel: string): BaselineSetup {
  const redisUrl = process.env.REDIS_URL;
  if (redisUrl === undefined) throw new Error('REDIS_URL is required');
  return { redisUrl, channel: process.env.BENCH_CHANNEL ?? defaultChannel };
}
