import { HeldLease, HeldLeases, LeaseManagerClosedError, type LeaseOwner } from './held.js';
import type { LeaseManager } from './types.js';

/**
 * Leases per holder, shared by the managers of one process: the memory
 * counterpart of the Redis count HASHes. A deployment needs one (the
 * default); tests share one between managers to act out several processes.
 */
export class MemoryLeaseTable {
  readonly #byHolder = new Map<string, number>();

  /** Adds a lease unless the holder already has `limit`; true when added. */
  take(holder: string, limit: number): boolean {
    const count = this.#byHolder.get(holder) ?? 0;
    if (count >= limit) return false;
    this.#byHolder.set(holder, count + 1);
    return true;
  }

  /** Removes a lease; removing from a holder with none does nothing. */
  drop(holder: string): void {
    const count = this.#byHolder.get(holder) ?? 0;
    if (count <= 1) this.#byHolder.delete(holder);
    else this.#byHolder.set(holder, count - 1);
  }

  /** Leases of a holder. */
  count(holder: string): number {
    return this.#byHolder.get(holder) ?? 0;
  }
}

/** Options of {@link createMemoryLeases}. */
export interface MemoryLeasesOptions {
  /** Where leases are counted. @defaultValue a new table of this manager's own */
  table?: MemoryLeaseTable;
}

/**
 * The embedded lease manager: at most `limit` leases per holder, counted in
 * this process. Leases never expire: they live exactly as long as the
 * process unless released. Never rejects, except `acquire` after `close`.
 */
export function createMemoryLeases({ table = new MemoryLeaseTable() }: MemoryLeasesOptions = {}): LeaseManager {
  return new MemoryLeases(table);
}

class MemoryLeases implements LeaseManager, LeaseOwner {
  readonly #held = new HeldLeases();
  #closed = false;
  #issued = 0;

  constructor(private readonly table: MemoryLeaseTable) {}

  async acquire(holder: string, limit: number): Promise<HeldLease | null> {
    if (this.#closed) throw new LeaseManagerClosedError();
    if (!this.table.take(holder, limit)) return null;
    const lease = new HeldLease(holder, ++this.#issued, this);
    this.#held.add(holder, lease.number);
    return lease;
  }

  async releaseOne(holder: string, lease: number): Promise<void> {
    if (this.#held.delete(holder, lease)) this.table.drop(holder);
  }

  async count(holder: string): Promise<number> {
    return this.table.count(holder);
  }

  get heldCount(): number {
    return this.#held.size;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const holder of this.#held.holders()) for (const lease of this.#held.leasesOf(holder)) await this.releaseOne(holder, lease);
  }
}
