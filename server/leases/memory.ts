import { randomUUID } from 'node:crypto';
import { HeldLeases, LeaseManagerClosedError } from './held.js';
import type { Lease, LeaseManager } from './types.js';

/**
 * Lease ids per holder, shared by the managers of one process: the memory
 * counterpart of the Redis ZSETs. A deployment needs one (the default);
 * tests share one between managers to act out several processes.
 */
export class MemoryLeaseTable {
  readonly #byHolder = new Map<string, Set<string>>();

  /** Adds the lease unless the holder already has `limit`; true when added. */
  take(holder: string, id: string, limit: number): boolean {
    const ids = this.#byHolder.get(holder) ?? new Set<string>();
    if (ids.size >= limit) return false;
    ids.add(id);
    this.#byHolder.set(holder, ids);
    return true;
  }

  /** Removes the lease; removing an absent one does nothing. */
  drop(holder: string, id: string): void {
    const ids = this.#byHolder.get(holder);
    ids?.delete(id);
    if (ids?.size === 0) this.#byHolder.delete(holder);
  }

  /** Leases of a holder. */
  count(holder: string): number {
    return this.#byHolder.get(holder)?.size ?? 0;
  }
}

/** Options of {@link createMemoryLeases}. */
export interface MemoryLeasesOptions {
  /** Where leases are counted. @defaultValue a new table of this manager's own */
  table?: MemoryLeaseTable;
  /** Makes lease ids. @defaultValue crypto.randomUUID */
  idFactory?: () => string;
}

/**
 * The embedded lease manager: at most `limit` leases per holder, counted in
 * this process. Leases never expire: they live exactly as long as the
 * process unless released. Never rejects, except `acquire` after `close`.
 */
export function createMemoryLeases({ table = new MemoryLeaseTable(), idFactory = randomUUID }: MemoryLeasesOptions = {}): LeaseManager {
  const held = new HeldLeases();
  let closed = false;
  const release = async (holder: string, id: string): Promise<void> => {
    if (held.delete(holder, id)) table.drop(holder, id);
  };
  return {
    async acquire(holder: string, limit: number) {
      if (closed) throw new LeaseManagerClosedError();
      const id = idFactory();
      if (!table.take(holder, id, limit)) return null;
      held.add(holder, id);
      return { holder, id, release: () => release(holder, id) } satisfies Lease;
    },
    async count(holder: string) {
      return table.count(holder);
    },
    get heldCount() {
      return held.size;
    },
    async close() {
      closed = true;
      for (const [holder, ids] of held.snapshot()) for (const id of ids) await release(holder, id);
    },
  } satisfies LeaseManager;
}
