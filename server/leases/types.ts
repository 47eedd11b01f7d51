/** One held subscription slot. */
export interface Lease {
  readonly holder: string;
  /** Unique among the leases its manager handed out. */
  readonly id: string;
  /**
   * Frees the slot. Idempotent; never rejects (a failure is reported, and
   * the process's next check of the holder puts its count right, or the
   * slot lapses with the process).
   */
  release(): Promise<void>;
}

/**
 * Counts concurrent subscriptions per holder (an admin's `sub`) across every
 * process sharing the backend.
 *
 * Guarantees: at most `limit` leases of a holder exist at once, however many
 * processes acquire concurrently. A lease lives until released or, when its
 * process stops renewing it (a crash), until its time to live lapses.
 */
export interface LeaseManager {
  /**
   * Takes a slot, or resolves with null when the holder already has `limit`.
   * Rejects on backend failure. Acquires made together may reach the
   * backend as one batch; each is decided on its own, in the order made.
   */
  acquire(holder: string, limit: number): Promise<Lease | null>;
  /** Live leases of a holder across all processes. */
  count(holder: string): Promise<number>;
  /** Leases held by this process. */
  readonly heldCount: number;
  /** Releases every lease this process holds and stops renewing. */
  close(): Promise<void>;
}
