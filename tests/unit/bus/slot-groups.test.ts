import calculateSlot from 'cluster-key-slot';
import { describe, expect, it } from 'vitest';
import { groupBySlot } from '../../../server/bus/slot-groups.js';

describe('groupBySlot', () => {
  it('puts channels of one hash tag in one group, in first-seen order, each channel once', () => {
    const channels = ['a:{p1.0}', 'b:{p2.0}', 'c:{p1.0}', 'a:{p1.0}'];
    expect(groupBySlot(channels)).toEqual([
      { slot: calculateSlot('{p1.0}'), channels: ['a:{p1.0}', 'c:{p1.0}'] },
      { slot: calculateSlot('{p2.0}'), channels: ['b:{p2.0}'] },
    ]);
  });
});
