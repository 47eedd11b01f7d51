import { describe, expect, it } from 'vitest';
import type { ActiveUsersQuery, StoreSnapshot } from '../../../server/store/types.js';
import { SharedSnapshots } from '../../../server/live/shared-snapshots.js';

/** A reader whose reads the test settles by hand, in order. */
function manualReader() {
  const reads: Array<{ query: ActiveUsersQuery; settle: (ok: boolean) => void; snapshot: StoreSnapshot }> = [];
  const reader = (query: ActiveUsersQuery): Promise<StoreSnapshot> =>
    new Promise((resolve, reject) => {
      const snapshot = { cursor: reads.length, epoch: 'e' } as unknown as StoreSnapshot;
      reads.push({ query, snapshot, settle: (ok) => (ok ? resolve(snapshot) : reject(new Error(`read ${snapshot.cursor} failed`))) });
    });
  return { reads, reader };
}

const PAGE = { first: 20, filter: null };
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('SharedSnapshots', () => {
  it('never hands out a read that started before the call: who asks during a read shares the next one', async () => {
    const { reads, reader } = manualReader();
    const snapshots = new SharedSnapshots(reader);
    const first = snapshots.read(PAGE);
    expect(reads).toHaveLength(1);
    const during = [snapshots.read(PAGE), snapshots.read(PAGE), snapshots.read(PAGE)];
    // The next read waits for the current one.
    expect(reads).toHaveLength(1);
    reads[0]?.settle(true);
    expect((await first).cursor).toBe(0);
    await tick();
    expect(reads).toHaveLength(2);
    reads[1]?.settle(true);
    const shared = await Promise.all(during);
    expect(new Set(shared)).toEqual(new Set([reads[1]?.snapshot]));
    // Nothing under way: the next caller starts its own read at once.
    void snapshots.read(PAGE);
    expect(reads).toHaveLength(3);
  });

  it('reads each query on its own', async () => {
    const { reads, reader } = manualReader();
    const snapshots = new SharedSnapshots(reader);
    void snapshots.read(PAGE);
    void snapshots.read({ first: 20, filter: { userId: 'u1', pathPrefix: null } });
    void snapshots.read({ first: 5, filter: null });
    expect(reads.map((read) => read.query.first)).toEqual([20, 20, 5]);
  });

  it('fails only the callers of a failed read, and the next read still starts', async () => {
    const { reads, reader } = manualReader();
    const snapshots = new SharedSnapshots(reader);
    const failing = snapshots.read(PAGE);
    const waiting = snapshots.read(PAGE);
    reads[0]?.settle(false);
    await expect(failing).rejects.toThrow('read 0 failed');
    await tick();
    reads[1]?.settle(true);
    await expect(waiting).resolves.toBe(reads[1]?.snapshot);
  });
});
