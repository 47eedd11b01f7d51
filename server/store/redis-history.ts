import { parseEraseHistoryReply, parseEraseReply, parseTrimReply, type WriteReply } from './redis-replies.js';
import type { StoreScripts } from './redis-scripts.js';

/**
 * The Redis store's multi-call operations: erasing a user and trimming the
 * history. Each loops over bounded script calls (each atomic on its own), so
 * that a heavy user or a long history never holds Redis for long.
 */

/** Sessions one erase call ends at most, so that erasing a heavy user never holds Redis for long (as the sweeper's batches). */
const ERASE_SESSIONS_PER_CALL = 500;
/** History entries one erase call looks at. */
const ERASE_HISTORY_PER_CALL = 1000;
/** History entries one trim call looks at (the common sweep looks at one). */
const TRIM_ENTRIES_PER_CALL = 4096;

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
