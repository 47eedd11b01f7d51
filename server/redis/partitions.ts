import calculateSlot from 'cluster-key-slot';

/**
 * How Pulse's state splits into partitions on Redis Cluster (issue 12): each
 * partition's keys share one hash tag, so its Lua scripts stay within one
 * slot, and the tags are chosen so that partitions spread evenly over the
 * masters. Users map to partitions by their id, so one user's sessions stay
 * together.
 */

/** Hash slots of a Redis Cluster. */
export const CLUSTER_SLOTS = 16_384;

/**
 * The default number of partitions: a multiple of 3, 6 and 9, so that a
 * cluster of that many masters (whose slots `redis-cli --cluster create`
 * splits into equal ranges) holds the same number of partitions on each.
 */
export const DEFAULT_PARTITIONS = 18;

/** Most partitions: each one costs every process a sweep call and every read a script call. */
export const MAX_PARTITIONS = 256;

/**
 * The hash tag of each of `count` partitions, in partition order. Tags are
 * chosen, not derived: partition `i`'s tag is the first `p<i>.<n>` whose
 * slot lies in the middle half of the `i`-th of `count` equal slot ranges.
 * Plain tags like `p0`, `p1` fall where CRC16 puts them, and a few of them
 * may land on one master while another gets none (the skew that left half
 * of a cluster idle in centrifuge#554); chosen ones follow the ranges that
 * masters own, and keeping to the middle leaves room for the rounding of
 * master boundaries. One partition is the exception: its tag is `pulse`,
 * the tag every key had before partitions, so that a deployment that keeps
 * one partition keeps its keys where they are (one slot either way).
 * @throws RangeError when `count` is not 1 to {@link MAX_PARTITIONS}
 */
export function partitionTags(count: number): string[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_PARTITIONS) throw new RangeError(`partitions must be 1 to ${MAX_PARTITIONS}, got ${count}`);
  if (count === 1) return [SINGLE_PARTITION_TAG];
  const width = CLUSTER_SLOTS / count;
  return Array.from({ length: count }, (_, partition) => {
    const low = partition * width + width / 4;
    const high = partition * width + (3 * width) / 4;
    for (let n = 0; ; n++) {
      const tag = `p${partition}.${n}`;
      const slot = calculateSlot(tag);
      if (slot >= low && slot < high) return tag;
    }
  });
}

/** The tag of the one partition: that of every key before partitions (see `redisKeys`). */
export const SINGLE_PARTITION_TAG = 'pulse';

/**
 * The partition of a user: their id's slot (CRC16, as Redis computes it)
 * modulo the partition count, so every process agrees without asking, and
 * one user's sessions share a partition.
 */
export function partitionOfUser(userId: string, count: number): number {
  return calculateSlot(userId) % count;
}

/** The slot of a hash tag, as Redis Cluster places keys that carry it. */
export function slotOfTag(tag: string): number {
  return calculateSlot(tag);
}
