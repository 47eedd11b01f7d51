import type { ActivityChange } from '../domain/activity.js';
import { combinedEpoch } from '../domain/cursor.js';
import type { PartitionReplayReply } from './redis-replies.js';
import type { ReplayQuery, ReplayResult } from './types.js';

/**
 * Merging the replays of several partitions. Each partition replayed after
 * its own entry of the position, whatever its epoch (each atomically with
 * its own cursor); the merge checks the epochs all at once, since the
 * cursor names their combination (`combinedEpoch`): one partition that
 * started afresh (flushed, or a master restarted empty) makes the whole
 * position another log's.
 *
 * - Any epoch differs, or any partition never reached its position: `OTHER_EPOCH`.
 * - Else any partition too old, or more than `limit` changes missed in all: `CURSOR_TOO_OLD`.
 * - Else every change, tagged with its `partition`, each partition's in its
 *   cursor order, the partitions interleaved by time (then partition).
 */
export function mergeReplays(replies: readonly PartitionReplayReply[], { epoch, since, limit }: ReplayQuery): ReplayResult {
  if (combinedEpoch(replies.map((reply) => reply.epoch)) !== epoch) return { recovered: false, reason: 'OTHER_EPOCH' };
  const results = replies.map((reply) => reply.result);
  if (results.some((r) => !r.recovered && r.reason === 'OTHER_EPOCH')) return { recovered: false, reason: 'OTHER_EPOCH' };
  const cursors: number[] = [];
  const logs: ActivityChange[][] = [];
  for (const [partition, result] of results.entries()) {
    if (!result.recovered) return { recovered: false, reason: 'CURSOR_TOO_OLD' };
    cursors.push(result.cursor[0] as number);
    logs.push(result.changes.map((change) => ({ ...change, partition })));
  }
  const missed = cursors.reduce((total, cursor, i) => total + cursor - (since[i] as number), 0);
  if (missed > limit) return { recovered: false, reason: 'CURSOR_TOO_OLD' };
  return { recovered: true, changes: interleave(logs), cursor: cursors };
}

/**
 * One list of the partitions' logs, each kept in its order: repeatedly the
 * head written earliest (`at`), ties to the lower partition. O(n × P), P small.
 */
function interleave(logs: readonly ActivityChange[][]): ActivityChange[] {
  const heads = logs.map(() => 0);
  const out: ActivityChange[] = [];
  for (;;) {
    let best = -1;
    for (const [i, log] of logs.entries()) {
      const head = log[heads[i] as number];
      if (head && (best < 0 || head.at < (logs[best]?.[heads[best] as number] as ActivityChange).at)) best = i;
    }
    if (best < 0) return out;
    out.push(logs[best]?.[heads[best] as number] as ActivityChange);
    heads[best] = (heads[best] as number) + 1;
  }
}
