import type { Lease } from './types.js';

/**
 * The leases one manager (one process) holds, by holder, each by its
 * number: what it releases on close and, with Redis, what it renews and
 * puts back. A holder with one lease (the common case: one subscription
 * per admin) costs one map entry; a set only appears for a second one.
 */
export class HeldLeases {
  readonly #byHolder = new Map<string, number | Set<number>>();
  #size = 0;

  /** Records lease `lease` of `holder`. */
  add(holder: string, lease: number): void {
    const held = this.#byHolder.get(holder);
    if (held === undefined) this.#byHolder.set(holder, lease);
    else if (typeof held === 'number') this.#byHolder.set(holder, new Set([held, lease]));
    else held.add(lease);
    this.#size += 1;
  }

  /** Forgets a lease; false when it was not held (already released), which makes release idempotent. */
  delete(holder: string, lease: number): boolean {
    const held = this.#byHolder.get(holder);
    if (held === undefined || (typeof held === 'number' ? held !== lease : !held.has(lease))) return false;
    if (typeof held === 'number') this.#byHolder.delete(holder);
    else {
      held.delete(lease);
      if (held.size === 1) this.#byHolder.set(holder, held.values().next().value as number);
    }
    this.#size -= 1;
    return true;
  }

  /** The numbers of the leases held of `holder`. */
  leasesOf(holder: string): number[] {
    const held = this.#byHolder.get(holder);
    if (held === undefined) return [];
    return typeof held === 'number' ? [held] : [...held];
  }

  /** Leases held of one holder. */
  countOf(holder: string): number {
    const held = this.#byHolder.get(holder);
    return held === undefined ? 0 : typeof held === 'number' ? 1 : held.size;
  }

  /** Leases held, over all holders. */
  get size(): number {
    return this.#size;
  }

  /** Holders with at least one lease held. */
  get holderCount(): number {
    return this.#byHolder.size;
  }

  /** The holders: a copy, so callers may release while iterating. */
  holders(): string[] {
    return [...this.#byHolder.keys()];
  }
}

/** What a {@link HeldLease} is released through: its manager. */
export interface LeaseOwner {
  /** Frees lease `lease` of `holder`; see {@link Lease.release}. */
  releaseOne(holder: string, lease: number): Promise<void>;
}

/**
 * A lease as both managers hand it out: one small object, its methods on
 * the prototype; releasing it a second time frees nothing.
 */
export class HeldLease implements Lease {
  #released = false;

  constructor(
    readonly holder: string,
    /** Its number, unique among the leases of its manager. */
    readonly number: number,
    private readonly owner: LeaseOwner,
  ) {}

  /** Unique among the leases of its manager. */
  get id(): string {
    return String(this.number);
  }

  release(): Promise<void> {
    if (this.#released) return Promise.resolve();
    this.#released = true;
    return this.owner.releaseOne(this.holder, this.number);
  }
}

/** The rejection of `acquire` on a manager that was closed (or closed while acquiring). */
export class LeaseManagerClosedError extends Error {
  override name = 'LeaseManagerClosedError';

  constructor() {
    super('the lease manager is closed');
  }
}
