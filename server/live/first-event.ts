import type { ReplayResult } from '../store/types.js';
import type { ActivityStreamRequest } from './activity-stream.js';
import { estimateBytes } from './fanout/event-weight.js';
import type { Member } from './fanout/member.js';
import type { LiveServices } from './live-services.js';

/**
 * A stream's first event: a resume from `since` when the history allows,
 * else a snapshot. One job, apart from the stream's life in ./activity-stream.ts.
 */

/** The most `Stats.topPaths(limit)` may ask for; stats are computed this deep. */
export const TOP_PATHS_MAX = 50;

/**
 * How long a snapshot read may serve subscribers that start after it, while
 * their group hears no change meanwhile (see `FanoutGroup.quietRead`): the
 * figures it carries (`eventsLastMinute`) age without any change.
 */
export const SNAPSHOT_REUSE_MS = 1000;

/**
 * Most changes one resume replays: half the subscriber's queue, so that live
 * changes arriving while it catches up still fit. Further behind than that,
 * a snapshot is the cheaper way back.
 */
export function replayLimit(subscriberBufferSize: number): number {
  return Math.floor(subscriberBufferSize / 2);
}

/**
 * Sends the member's first event, once its group holds changes back for it:
 * `Resumed` and the replayed changes when `since` can be resumed from, else
 * a `Snapshot` that says why not. Snapshot reads are shared: by the
 * subscribers that start together (`SharedSnapshots`), and by those of one
 * group that start while it hears no change (`FanoutGroup.quietRead`).
 */
export async function startMember(services: LiveServices, { since, first, filter }: Pick<ActivityStreamRequest, 'since' | 'first' | 'filter'>, member: Member): Promise<void> {
  const { store, clock, limits } = services;
  const limit = replayLimit(limits.subscriberBufferSize);
  const replay = since ? fitting(await store.replay({ epoch: since.epoch, since: since.seqs, limit }, clock.now()), limits.subscriberBufferBytes) : null;
  if (since && replay?.recovered) {
    const stats = await store.stats(clock.now(), TOP_PATHS_MAX);
    return member.resume({ type: 'Resumed', cursor: since.seqs, at: clock.now(), stats }, since.epoch, replay.changes);
  }
  const shared = await member.group.quietRead(() => services.snapshots.read({ first, filter }), clock.now(), SNAPSHOT_REUSE_MS);
  const { epoch, ...snapshot } = shared;
  // Stamped with when it was read, so subscribers that share a read share its executed bytes too.
  member.goLive({ type: 'Snapshot', at: snapshot.stats.at, ...snapshot, resume: replay?.recovered === false ? replay.reason : 'FRESH' }, epoch, shared);
}

/**
 * A replay that would fill more than half the subscriber's byte bound counts
 * as too old: pushed at once it would cut the subscriber off as slow, and
 * its reconnect would do the same again.
 */
function fitting(replay: ReplayResult, bufferBytes: number): ReplayResult {
  if (!replay.recovered) return replay;
  const bytes = replay.changes.reduce((sum, change) => sum + estimateBytes(change), 0);
  return bytes > bufferBytes / 2 ? { recovered: false, reason: 'CURSOR_TOO_OLD' } : replay;
}
