import { CLUSTER_SLOTS, slotOfTag } from '../../server/redis/partitions.js';

/** One master's slots, inclusive. */
export type SlotRange = readonly [first: number, last: number];

/**
 * The slot ranges `redis-cli --cluster create` gives `masters` masters:
 * equal shares of the 16384 slots, each boundary rounded (its own
 * `lround(cursor + slots_per_node - 1)`, the last master taking the rest).
 */
export function masterSlotRanges(masters: number): SlotRange[] {
  const perNode = CLUSTER_SLOTS / masters;
  const ranges: SlotRange[] = [];
  let first = 0;
  let cursor = 0;
  for (let i = 0; i < masters; i++) {
    const last = i === masters - 1 ? CLUSTER_SLOTS - 1 : Math.min(CLUSTER_SLOTS - 1, Math.round(cursor + perNode - 1));
    ranges.push([first, last]);
    first = last + 1;
    cursor += perNode;
  }
  return ranges;
}

/** How many of `tags` land on each master. */
export function partitionsPerMaster(tags: readonly string[], ranges: readonly SlotRange[]): number[] {
  const counts = ranges.map(() => 0);
  for (const tag of tags) {
    const slot = slotOfTag(tag);
    const master = ranges.findIndex(([first, last]) => slot >= first && slot <= last);
    counts[master] = (counts[master] ?? 0) + 1;
  }
  return counts;
}
