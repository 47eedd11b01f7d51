import type { Position } from '../../server/domain/cursor.js';
import { partitionOfUser } from '../../server/redis/partitions.js';

/**
 * User ids and positions for the store suites that run on engines of any
 * partition count: cursors count per partition, so a test that expects one
 * order of changes, or numbers them 1, 2, 3…, names users of one partition.
 */

/**
 * A user id in partition 0 of `partitions`: `base` itself when it is there
 * (always, with one partition), else `base` with the first `~<n>` suffix
 * that puts it there.
 */
export function homeUser(base: string, partitions: number): string {
  if (partitionOfUser(base, partitions) === 0) return base;
  for (let n = 1; ; n++) if (partitionOfUser(`${base}~${n}`, partitions) === 0) return `${base}~${n}`;
}

/** A user id in `partition` of `partitions`: `base` with the first `~<n>` suffix (none if `base` is there) that puts it there. */
export function userIn(partition: number, base: string, partitions: number): string {
  if (partitionOfUser(base, partitions) === partition) return base;
  for (let n = 1; ; n++) if (partitionOfUser(`${base}~${n}`, partitions) === partition) return `${base}~${n}`;
}

/** The position `seq` in partition 0 (the home users' changes), every other partition at `rest`. */
export function homePosition(partitions: number, seq: number, rest = 0): Position {
  return Array.from({ length: partitions }, (_, i) => (i === 0 ? seq : rest));
}
