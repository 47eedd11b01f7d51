import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ActivityChange, StatsRecord } from '../../../server/domain/activity.js';
import type { Position } from '../../../server/domain/cursor.js';
import type { SnapshotEvent } from '../../../server/domain/events.js';
import { FanoutGroup } from '../../../server/live/fanout/fanout-group.js';
import { Member } from '../../../server/live/fanout/member.js';
import type { MemberOutput } from '../../../server/live/fanout/member-output.js';
import type { ResultBatch } from '../../../server/live/fanout/result-sink.js';

/**
 * Fan-out over a partitioned change log: every event a member gets carries
 * its whole position (one cursor per partition), members whose snapshots
 * differ share the group's executed bytes once their positions meet, and no
 * change is delivered twice or skipped at the seam. Driven with changes of
 * several partitions in the orders a feed can deliver them.
 */

const EPOCH = 'epoch-a';
const STATS: StatsRecord = { activeUsers: 0, activeSessions: 0, eventsLastMinute: 0, eventsPerSecond: [], eventsPerMinute: [], topPaths: [], at: 0 };

interface Received {
  readonly type: string;
  readonly cursor: { readonly epoch: string; readonly seqs: readonly number[] };
  /** A change's own partition and cursor (absent on first events and figures). */
  readonly own?: { readonly partition: number; readonly cursor: number };
}

/** A member's transport: what it was sent, and the batch objects, to see which bytes were shared. */
class Collected implements MemberOutput {
  readonly events: Received[] = [];
  readonly batches: ResultBatch[] = [];
  readonly open = true;

  write(json: () => string): boolean {
    this.events.push(JSON.parse(json()) as Received);
    return true;
  }

  writeBatch(batch: ResultBatch): boolean {
    this.batches.push(batch);
    for (const text of batch.results) this.events.push(JSON.parse(text) as Received);
    return true;
  }
}

/** The executor stands in for GraphQL: it writes the event's type, wire cursor and own change position. */
function newGroup(): FanoutGroup {
  return new FanoutGroup('key', null, (item) => {
    const event = item as { type: string; cursor: unknown; session?: unknown };
    return JSON.stringify({ type: event.type, cursor: event.cursor, ...ownOf(item) });
  }, () => {});
}

/** Changes carry their own partition and cursor through `changeToWire` only as the wire cursor; the test keeps them beside it. */
const owns = new Map<string, { partition: number; cursor: number }>();
function ownOf(item: unknown): { own?: { partition: number; cursor: number } } {
  const key = (item as { key?: string }).key;
  const own = key === undefined ? undefined : owns.get(key);
  return own ? { own } : {};
}

function change(partition: number, cursor: number, path = '/a'): ActivityChange {
  const key = `${partition}/${cursor}`;
  owns.set(key, { partition, cursor });
  const session = { id: `s${partition}`, userId: `u${partition}`, userName: null, ipAddress: null, path, userAgent: null, startedAt: 1, lastSeen: cursor, eventCount: cursor };
  return { type: 'SessionUpdated', cursor, partition, at: cursor, session, previousPath: null, key } as ActivityChange;
}

function join(group: FanoutGroup): { member: Member; output: Collected } {
  const output = new Collected();
  const member = new Member(group, output, { subscriberBufferSize: 10_000, subscriberBufferBytes: 1e9 }, {
    onBug: (error) => {
      throw error;
    },
    onTooSlow: () => {
      throw new Error('too slow');
    },
  });
  group.add(member);
  return { member, output };
}

function snapshotAt(cursor: Position): SnapshotEvent {
  return { type: 'Snapshot', cursor, at: 0, stats: STATS, page: { edges: [], hasNextPage: false, endCursor: null }, resume: 'FRESH' };
}

/** Lets the group's batch of this turn go out. */
const flushed = (): Promise<void> => new Promise((resolve) => queueMicrotask(resolve));

describe('fan-out over partitions', () => {
  it('stamps each change with the whole position and lets a member whose snapshot is ahead share once the group catches up', async () => {
    const group = newGroup();
    const a = join(group);
    a.member.goLive(snapshotAt([5, 3]), EPOCH, {});
    // b's snapshot already holds partition 1's change 4, still on its way to the group.
    const b = join(group);
    b.member.goLive(snapshotAt([5, 4]), EPOCH, {});
    expect([a.member.shared, b.member.shared]).toEqual([true, false]);

    group.onChange(change(0, 6));
    await flushed();
    group.onChange(change(1, 4));
    await flushed();
    group.onChange(change(1, 5));
    group.onChange(change(0, 7));
    await flushed();

    expect(a.output.events.slice(1).map((e) => e.cursor.seqs)).toEqual([[6, 3], [6, 4], [6, 5], [7, 5]]);
    // b skipped the change its snapshot held, and took every later one exactly once.
    expect(b.output.events.slice(1).map((e) => e.cursor.seqs)).toEqual([[6, 4], [6, 5], [7, 5]]);
    expect(b.member.shared).toBe(true);
    // The last tick's bytes were executed once and written by both.
    expect(b.output.batches.at(-1)).toBe(a.output.batches.at(-1));
  });

  it('applies what arrived while a member started, and never delivers a change its snapshot already reflects', async () => {
    const group = newGroup();
    const a = join(group);
    a.member.goLive(snapshotAt([2, 2]), EPOCH, {});
    const late = join(group);
    // Heard while `late` reads its snapshot: held back.
    group.onChange(change(0, 3));
    group.onChange(change(1, 3));
    await flushed();
    // Its snapshot was read between the two.
    late.member.goLive(snapshotAt([3, 2]), EPOCH, {});
    // An old change arriving late (already in everyone's snapshot) goes to no one.
    group.onChange(change(0, 1));
    group.onChange(change(0, 4));
    await flushed();

    expect(late.output.events.map((e) => e.cursor.seqs)).toEqual([[3, 2], [3, 3], [4, 3]]);
    expect(a.output.events.map((e) => e.cursor.seqs)).toEqual([[2, 2], [3, 2], [3, 3], [4, 3]]);
    expect(late.member.shared).toBe(true);
  });

  it('gives figures the position of each member: the group one when shared, its own until then', async () => {
    const group = newGroup();
    const a = join(group);
    a.member.goLive(snapshotAt([1, 1]), EPOCH, {});
    const b = join(group);
    b.member.goLive(snapshotAt([1, 9]), EPOCH, {});
    group.onStats({ ...STATS, activeUsers: 1 });
    expect(a.output.events.at(-1)).toMatchObject({ type: 'StatsChanged', cursor: { epoch: EPOCH, seqs: [1, 1] } });
    expect(b.output.events.at(-1)).toMatchObject({ type: 'StatsChanged', cursor: { epoch: EPOCH, seqs: [1, 9] } });
  });

  it('re-seeds the group position from the next member when no member shares it any more', async () => {
    const group = newGroup();
    const a = join(group);
    a.member.goLive(snapshotAt([4]), EPOCH, {});
    group.delete(a.member);
    const b = join(group);
    b.member.goLive(snapshotAt([2]), 'epoch-b', {});
    expect(b.member.shared).toBe(true);
    group.onChange(change(0, 3));
    await flushed();
    expect(b.output.events.map((e) => e.cursor)).toEqual([
      { epoch: 'epoch-b', seqs: [2] },
      { epoch: 'epoch-b', seqs: [3] },
    ]);
  });

  it('any arrival order and any join points: each member gets every change after its snapshot once, in partition order, under the right position', async () => {
    // Three partitions, each with changes 1..n; the feed interleaves partitions arbitrarily but keeps each one's order.
    const arbitrary = fc.record({
      lengths: fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 })),
      order: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 30, maxLength: 30 }),
      joins: fc.array(fc.record({ at: fc.integer({ min: 0, max: 20 }), lag: fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2)) }), { minLength: 1, maxLength: 4 }),
    });
    await fc.assert(
      fc.asyncProperty(arbitrary, async ({ lengths, order, joins }) => {
        const arrivals: ActivityChange[] = [];
        const next = [1, 1, 1];
        for (const partition of order) {
          if ((next[partition] as number) > (lengths[partition] as number)) continue;
          arrivals.push(change(partition, next[partition] as number));
          next[partition] = (next[partition] as number) + 1;
        }
        // What the feed will have delivered by the end: a snapshot can be ahead of the feed, never of the log.
        const emitted = next.map((seq) => seq - 1);
        const group = newGroup();
        const delivered = [0, 0, 0];
        const members: { output: Collected; snapshot: number[] }[] = [];
        for (let i = 0; i <= arrivals.length; i++) {
          for (const { at, lag } of joins) {
            if (at !== i) continue;
            // A snapshot reflects what was committed: up to what the feed delivered, or a little more still on its way.
            const snapshot = delivered.map((seq, p) => Math.min(seq + (lag[p] as number), emitted[p] as number));
            const joined = join(group);
            joined.member.goLive(snapshotAt(snapshot), EPOCH, {});
            members.push({ output: joined.output, snapshot });
          }
          const arriving = arrivals[i];
          if (arriving === undefined) break;
          group.onChange(arriving);
          delivered[arriving.partition ?? 0] = arriving.cursor;
          if (i % 3 === 0) await flushed();
        }
        await flushed();
        for (const { output, snapshot } of members) {
          const position = [...snapshot];
          for (const event of output.events.slice(1)) {
            const own = event.own as { partition: number; cursor: number };
            expect(own.cursor).toBe((position[own.partition] as number) + 1);
            position[own.partition] = own.cursor;
            expect(event.cursor.seqs).toEqual(position);
          }
          expect(position).toEqual(emitted);
        }
      }),
      { numRuns: 300 },
    );
  });
});
