/**
 * The leases one manager (one process) holds, grouped by holder: what it
 * releases on close and, with Redis, what it renews.
 */
export class HeldLeases {
  readonly #byHolder = new Map<string, Set<string>>();
  #size = 0;

  /** Records a lease. */
  add(holder: string, id: string): void {
    const ids = this.#byHolder.get(holder) ?? new Set<string>();
    if (ids.has(id)) return;
    ids.add(id);
    this.#byHolder.set(holder, ids);
    this.#size += 1;
  }

  /** Forgets a lease; false when it was not held (already released), which makes release idempotent. */
  delete(holder: string, id: string): boolean {
    const ids = this.#byHolder.get(holder);
    if (!ids?.delete(id)) return false;
    if (ids.size === 0) this.#byHolder.delete(holder);
    this.#size -= 1;
    return true;
  }

  /** Leases held, over all holders. */
  get size(): number {
    return this.#size;
  }

  /** A snapshot, so callers may release while iterating. */
  snapshot(): Array<[holder: string, ids: string[]]> {
    return [...this.#byHolder].map(([holder, ids]) => [holder, [...ids]]);
  }
}

/** The rejection of `acquire` on a manager that was closed (or closed while acquiring). */
export class LeaseManagerClosedError extends Error {
  override name = 'LeaseManagerClosedError';

  constructor() {
    super('the lease manager is closed');
  }
}
