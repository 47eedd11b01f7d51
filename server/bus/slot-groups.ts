import calculateSlot from 'cluster-key-slot';

/** Channels that hash to one Redis Cluster slot, and so to one master. */
export interface SlotGroup {
  readonly slot: number;
  readonly channels: readonly string[];
}

/**
 * Groups channels by their slot, in the order each slot first appears. One
 * SSUBSCRIBE may only name channels of one slot (ioredis refuses the others
 * with a CROSSSLOT error), so a sharded feed subscribes group by group.
 * Channels named twice are subscribed once.
 */
export function groupBySlot(channels: readonly string[]): SlotGroup[] {
  const bySlot = new Map<number, Set<string>>();
  for (const channel of channels) {
    const slot = calculateSlot(channel);
    const group = bySlot.get(slot) ?? new Set<string>();
    bySlot.set(slot, group.add(channel));
  }
  return [...bySlot].map(([slot, group]) => ({ slot, channels: [...group] }));
}
