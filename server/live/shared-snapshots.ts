import type { ActiveUsersQuery, StoreSnapshot } from '../store/types.js';

/** Reads one snapshot (`ActivityStore.snapshot` with the clock's now). */
export type SnapshotReader = (query: ActiveUsersQuery) => Promise<StoreSnapshot>;

interface Reads {
  /** The read under way, if any. */
  current: Promise<StoreSnapshot> | null;
  /** The read that starts once `current` settles, shared by everyone who asked meanwhile. */
  next: Promise<StoreSnapshot> | null;
}

/**
 * Snapshot reads shared by the subscribers that start together (a
 * dashboard fleet reconnecting after a deploy asks for the same first page
 * thousands of times in a second).
 *
 * A read may serve a subscriber only if it starts after the subscriber's
 * fan-out group holds changes back for it: then every change newer than the
 * snapshot reaches the subscriber, and the seam has no gap. So a caller
 * never joins a read already under way; it gets the next one, which starts
 * at once when none is under way, else as soon as the current one settles,
 * for everyone who asked meanwhile. At most two reads per query are ever
 * pending, however many subscribers arrive.
 */
export class SharedSnapshots {
  readonly #byQuery = new Map<string, Reads>();

  constructor(private readonly readSnapshot: SnapshotReader) {}

  /** A snapshot for `query` whose read starts after this call. */
  read(query: ActiveUsersQuery): Promise<StoreSnapshot> {
    const key = JSON.stringify([query.first, query.filter?.userId ?? null, query.filter?.pathPrefix ?? null]);
    let reads = this.#byQuery.get(key);
    if (reads === undefined) this.#byQuery.set(key, (reads = { current: null, next: null }));
    if (reads.current === null) return this.#start(key, reads, query);
    const after = reads.current.then(
      () => undefined,
      () => undefined,
    );
    reads.next ??= after.then(() => {
      const mine = reads as Reads;
      mine.next = null;
      return this.#start(key, mine, query);
    });
    return reads.next;
  }

  #start(key: string, reads: Reads, query: ActiveUsersQuery): Promise<StoreSnapshot> {
    const current = this.readSnapshot(query);
    reads.current = current;
    const settle = (): void => {
      if (reads.current === current) reads.current = null;
      if (reads.current === null && reads.next === null && this.#byQuery.get(key) === reads) this.#byQuery.delete(key);
    };
    current.then(settle, settle);
    return current;
  }
}
