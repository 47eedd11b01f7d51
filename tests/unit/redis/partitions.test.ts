import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CLUSTER_SLOTS, DEFAULT_PARTITIONS, MAX_PARTITIONS, partitionOfUser, partitionTags, slotOfTag } from '../../../server/redis/partitions.js';
import { masterSlotRanges, partitionsPerMaster } from '../../support/cluster-slots.js';

/** Partition tags and users' partitions: balanced over the masters, whatever their number. */
describe('partition tags', () => {
  it.each([1, 3, 6, 9, DEFAULT_PARTITIONS, 36, MAX_PARTITIONS])('gives each of %i partitions a tag of its own, in its own slot range', (count) => {
    const tags = partitionTags(count);
    expect(tags).toHaveLength(count);
    expect(new Set(tags).size).toBe(count);
    const width = CLUSTER_SLOTS / count;
    tags.forEach((tag, partition) => {
      const slot = slotOfTag(tag);
      expect(slot).toBeGreaterThanOrEqual(partition * width);
      expect(slot).toBeLessThan((partition + 1) * width);
    });
  });

  it('is the same list on every call (every process computes it alike)', () => {
    expect(partitionTags(DEFAULT_PARTITIONS)).toEqual(partitionTags(DEFAULT_PARTITIONS));
  });

  it.each([3, 6, 9])('puts the default partitions evenly on %i masters as redis-cli --cluster create splits the slots', (masters) => {
    const counts = partitionsPerMaster(partitionTags(DEFAULT_PARTITIONS), masterSlotRanges(masters));
    expect(counts).toEqual(Array.from({ length: masters }, () => DEFAULT_PARTITIONS / masters));
  });

  it.each([2, 4, 5, 7, 8, 10])('keeps the busiest of %i masters within 1.5 times the mean', (masters) => {
    const counts = partitionsPerMaster(partitionTags(DEFAULT_PARTITIONS), masterSlotRanges(masters));
    expect(Math.max(...counts) / (DEFAULT_PARTITIONS / masters)).toBeLessThanOrEqual(1.5);
  });

  it('where plain tags would not: p0 to p17 leave masters of a 3-master cluster unevenly loaded', () => {
    const plain = Array.from({ length: DEFAULT_PARTITIONS }, (_, i) => `p${i}`);
    const counts = partitionsPerMaster(plain, masterSlotRanges(3));
    expect(counts).not.toEqual([6, 6, 6]);
  });

  it.each([0, -1, 1.5, MAX_PARTITIONS + 1])('refuses %s partitions', (count) => {
    expect(() => partitionTags(count)).toThrow(RangeError);
  });
});

describe('partitionOfUser', () => {
  it('is stable, in range, and spreads users evenly', () => {
    const counts = new Array<number>(DEFAULT_PARTITIONS).fill(0);
    for (let i = 0; i < 18_000; i++) {
      const id = `user-${randomUUID()}`;
      const partition = partitionOfUser(id, DEFAULT_PARTITIONS);
      expect(partitionOfUser(id, DEFAULT_PARTITIONS)).toBe(partition);
      counts[partition] = (counts[partition] ?? 0) + 1;
    }
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
  });

  it('maps everyone to partition 0 when there is one partition', () => {
    expect(partitionOfUser('anyone', 1)).toBe(0);
  });
});
