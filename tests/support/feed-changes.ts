/** What the change-feed suites publish and read: numbered changes, the partition channels, a listener's queue. */
import type { ChangeFeed } from '../../server/bus/types.js';
import type { ActivityChange } from '../../server/domain/activity.js';
import { changeChannels } from '../../server/redis/keys.js';
import { DEFAULT_PARTITIONS } from '../../server/redis/partitions.js';
import { EventQueue } from './event-queue.js';
import { uniquePrefix } from './redis.js';

/** A `SessionStarted` whose cursor (and session id and time) is `cursor`, so that what arrives tells what was sent. */
export function started(cursor: number): ActivityChange {
  const at = 1_700_000_000_000 + cursor;
  return {
    type: 'SessionStarted',
    cursor,
    at,
    session: { id: `s${cursor}`, userId: 'u1', userName: 'Ann', ipAddress: null, path: '/home', userAgent: null, startedAt: at, lastSeen: at, eventCount: 1 },
  };
}

/** The integers from `from` to `to`, both included. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** The default partitions' change channels, under a prefix of their own (`label` names it). */
export function partitionChannels(label: string): string[] {
  return changeChannels(uniquePrefix(label), DEFAULT_PARTITIONS, 'SPUBLISH');
}

/** Subscribes a queue to `feed`; resolves once the feed says it is live. */
export async function listen(feed: ChangeFeed): Promise<EventQueue<ActivityChange>> {
  const queue = new EventQueue<ActivityChange>();
  await feed.subscribe(queue.push);
  return queue;
}

/** The cursors of the next `n` changes. */
export async function take(queue: EventQueue<ActivityChange>, n: number): Promise<number[]> {
  const cursors: number[] = [];
  while (cursors.length < n) cursors.push((await queue.next(5_000, `change ${cursors.length + 1} of ${n}`)).cursor);
  return cursors;
}
