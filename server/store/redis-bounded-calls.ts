import { parseEraseHistoryReply, parseEraseReply, parseExpireReply, parseTrimReply, type WriteReply } from './redis-replies.js';
import type { StoreScripts } from './redis-scripts.js';

/**
 * The Redis store's multi-call operations: idle expiry, erasing a user and
 * trimming the history. Each loops over bounded script calls (each atomic on
 * its own), so that a long expiry index, a heavy user or a long history
 * never holds Redis for long.
 */

/**
 * Index entries one expiry call may repair (see expire.lua) before it gives
 * up the turn: a few rounds of the sweeper's batch, a few milliseconds of Redis.
 */
const EXPIRY_REPAIRS_PER_CALL = 2000;

/** Sessions one erase call ends at most, so that erasing a heavy user never holds Redis for long (as the sweeper's batches). */
const ERASE_SESSIONS_PER_CALL = 500;
/** History entries one erase call looks at. */
const ERASE_HISTORY_PER_CALL = 1000;
/** History entries one trim call looks at (the common sweep looks at one). */
const TRIM_ENTRIES_PER_CALL = 4096;

/**
 * `expireIdle`: expire.lua calls until one ends sessions or finds none idle.
 * A call that stops at its repair bound has moved that many active sessions
 * above the cutoff and ended none, so the next call starts from fresher
 * candidates; each entry is repaired at most once per period its session
 * stays active, so the loop ends.
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

/**
 * Ends every session of the user, a bounded call at a time, until a call
 * ends fewer than its bound: that call saw the user with none left. Racing
 * erasures each end what their own calls found (ZREM decides).
 * @param published - reports each call's published changes (the store's `onPublished`) and unwraps its value
 * @returns the sessions ended, and the newest cursor after the last call (the history walk stops there)
 */
export async function endSessionsOf(
  scripts: StoreScripts,
  published: <T>(reply: WriteReply<T>) => T,
  userId: string,
  now: number,
): Promise<{ ended: string[]; cursor: number }> {
  const ended: string[] = [];
  for (;;) {
    const reply = published(parseEraseReply(await scripts.erase(userId, now, ERASE_SESSIONS_PER_CALL)));
    ended.push(...reply.ended);
    if (reply.ended.length < ERASE_SESSIONS_PER_CALL) return { ended, cursor: reply.cursor };
  }
}

/** Deletes the user's history entries up to `through`, a bounded range at a time; how many it deleted. */
export async function eraseHistoryOf(scripts: StoreScripts, userId: string, through: number): Promise<number> {
  let removed = 0;
  for (let from: number | null = 0; from !== null; ) {
    const reply = parseEraseHistoryReply(await scripts.eraseHistory(userId, from, through, ERASE_HISTORY_PER_CALL));
    removed += reply.removed;
    from = reply.next;
  }
  return removed;
}

/** Trims the history to `cutoff`, a bounded walk at a time; how many entries it deleted. */
export async function trimAll(scripts: StoreScripts, cutoff: number): Promise<number> {
  let trimmed = 0;
  for (let more = true; more; ) {
    const reply = parseTrimReply(await scripts.trimHistory(cutoff, TRIM_ENTRIES_PER_CALL));
    trimmed += reply.trimmed;
    more = reply.more;
  }
  return trimmed;
}
