import { parseExpireReply, type WriteReply } from './redis-replies.js';
import type { StoreScripts } from './redis-scripts.js';

/**
 * Index entries one expiry call may repair (see expire.lua) before it gives
 * up the turn: a few rounds of the sweeper's batch, a few milliseconds of Redis.
 */
const EXPIRY_REPAIRS_PER_CALL = 2000;

/**
 * `expireIdle` on one Redis store: expire.lua calls until one ends sessions
 * or finds none idle. A call that stops at its repair bound has moved that
 * many active sessions above the cutoff and ended none, so the next call
 * starts from fresher candidates; each entry is repaired at most once per
 * period its session stays active, so the loop ends.
 * @param published - reports each call's published changes (the store's `onPublished`) and unwraps its value
 * @returns the sessions ended: `limit` unless no idle session is left
 */
export async function expireIdleOf(
  scripts: StoreScripts,
  published: <T>(reply: WriteReply<T>) => T,
  cutoff: number,
  now: number,
  limit: number,
): Promise<number> {
  if (limit <= 0) return 0;
  for (;;) {
    const step = published(parseExpireReply(await scripts.expireIdle(cutoff, now, limit, EXPIRY_REPAIRS_PER_CALL)));
    if (!step.more) return step.ended;
  }
}
