import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { RedisKeys } from '../redis/keys.js';
import { runLua } from '../redis/lua.js';
import { HeldLease, HeldLeases, LeaseManagerClosedError, type LeaseOwner } from './held.js';
import { COUNT, SYNC } from './scripts.js';
import { buildSyncCall, type Acquire, type Release, type SyncCall } from './sync-call.js';
import type { LeaseManager } from './types.js';

/** Options of {@link createRedisLeases}. */
export interface RedisLeasesOptions {
  /**
   * A command connection (may be shared; not quit by the manager): one
   * Redis, or a Cluster client, as every key of the leases carries the one
   * hash tag `{pulse}` and so each call stays in one slot.
   */
  redis: Redis | Cluster;
  /** Where the leases live: `keys.leases(holder)`, `keys.leaseCounts(holder)` and `keys.leaseHeartbeat(process)`. */
  keys: RedisKeys;
  /** How long a lease outlives its process's last call: a crashed process's slots free up within this. @defaultValue 15000 */
  ttlMs?: number;
  /** How often this process renews its heartbeat while it holds leases; must be shorter than `ttlMs`. @defaultValue ttlMs / 3 */
  renewEveryMs?: number;
  /**
   * How long a holder's count outlives the last call that touched it from a
   * process holding its leases; every held holder is checked (and its count
   * kept) within a quarter of this. It bounds how long the counts of
   * processes that all died stay in Redis. @defaultValue 240 × ttlMs (an hour with the default ttl)
   */
  holderKeepMs?: number;
  /** Called when a call fails where no acquire waits to hear it: a renewal, a release. @defaultValue ignore */
  onError?: (error: unknown) => void;
  /** Makes this process's id, unique across processes. @defaultValue crypto.randomUUID */
  idFactory?: () => string;
}

/** Most acquires one call carries; more wait for the next call. */
const MAX_ACQUIRES_PER_CALL = 1000;

/**
 * How long a call waits for company when calls are being made: under load,
 * what arrives meanwhile goes in one call instead of a call each. Measured
 * with 10,000 subscriptions opening 100 at a time: 600 calls instead of
 * 2,333, and a tenth less server CPU per opening, for 3 ms added to each.
 */
const LINGER_MS = 3;
/** Calls made within this of the last one linger; a call after a quiet spell goes at once. */
const BUSY_WITHIN_MS = 100;

const ignore = (): void => {};

/**
 * Leases counted in Redis across every process: at most `limit` live leases
 * per holder, each decided atomically in Redis. Everything this process asks
 * of Redis goes in one call at a time: the acquires, releases and checks
 * made while the previous call was out (or within one turn of the event
 * loop, or within a few milliseconds while calls are being made) go
 * together, so a thousand subscriptions opening at once cost a handful of
 * calls, and what this process knows it holds is exactly what its calls
 * have told Redis. Every call refreshes the process's heartbeat;
 * while it holds leases a timer renews it, which costs one small call per
 * period whatever it holds, and checks a few holders' counts in turn (so
 * an idle subscriber costs Redis nothing). A process that dies stops
 * renewing and its leases lapse within `ttlMs`. Leases Redis lost come
 * back: all of them at the next call when the heartbeat was lost with them
 * (a restart, a flush, or a process stalled past its ttl), one holder's
 * when its check finds them wrong (an eviction); until then a holder can
 * briefly count more or fewer than it holds.
 * @throws RangeError for times that are not positive, or a renewal period not shorter than `ttlMs`
 */
export function createRedisLeases(options: RedisLeasesOptions): LeaseManager {
  const { ttlMs = 15_000, renewEveryMs = ttlMs / 3, holderKeepMs = 240 * ttlMs } = options;
  checkTimes(ttlMs, renewEveryMs, holderKeepMs);
  return new RedisLeases({ ...options, ttlMs, renewEveryMs, holderKeepMs });
}

function checkTimes(ttlMs: number, renewEveryMs: number, holderKeepMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new RangeError(`ttlMs must be a positive integer, got ${ttlMs}`);
  // An infinite or zero period would make setInterval fire every millisecond.
  if (!Number.isFinite(renewEveryMs) || renewEveryMs <= 0 || renewEveryMs >= ttlMs) {
    throw new RangeError(`renewEveryMs must be positive and shorter than ttlMs (${ttlMs}), got ${renewEveryMs}`);
  }
  if (!Number.isSafeInteger(holderKeepMs) || holderKeepMs < ttlMs) throw new RangeError(`holderKeepMs must be an integer of at least ttlMs (${ttlMs}), got ${holderKeepMs}`);
}

type Settings = Required<Pick<RedisLeasesOptions, 'ttlMs' | 'renewEveryMs' | 'holderKeepMs'>> & RedisLeasesOptions;

class RedisLeases implements LeaseManager, LeaseOwner {
  readonly #held = new HeldLeases();
  readonly #redis: Redis | Cluster;
  readonly #keys: RedisKeys;
  readonly #settings: Settings;
  readonly #onError: (error: unknown) => void;
  /** Names this process's heartbeat and its field in every count HASH. */
  readonly #processId: string;
  readonly #heartbeat: string;
  #issued = 0;
  #closed = false;
  // What the next call carries.
  #acquires: Acquire[] = [];
  #releases: Release[] = [];
  #restores = new Set<string>();
  #renewDue = false;
  /** Settles when the call carrying what is queued now has been answered (or failed). */
  #next: { promise: Promise<void>; resolve: () => void } | null = null;
  #inFlight = false;
  #scheduled = false;
  /** When the last call went out (`performance.now()`). */
  #lastSentAt = -Infinity;
  /** Holders still to check in this round of checks. */
  #toCheck: string[] = [];
  #timer: NodeJS.Timeout | null = null;

  constructor(settings: Settings) {
    this.#settings = settings;
    this.#redis = settings.redis;
    this.#keys = settings.keys;
    this.#onError = settings.onError ?? ignore;
    this.#processId = (settings.idFactory ?? randomUUID)();
    this.#heartbeat = settings.keys.leaseHeartbeat(this.#processId);
  }

  acquire(holder: string, limit: number): Promise<HeldLease | null> {
    if (this.#closed) return Promise.reject(new LeaseManagerClosedError());
    return new Promise((resolve, reject) => {
      this.#acquires.push({ holder, limit, lease: ++this.#issued, resolve, reject });
      void this.#schedule();
    });
  }

  releaseOne(holder: string, lease: number): Promise<void> {
    if (!this.#held.delete(holder, lease)) return Promise.resolve();
    this.#releases.push({ holder, lease });
    if (this.#held.size === 0) this.#stopRenewing();
    return this.#schedule();
  }

  async count(holder: string): Promise<number> {
    return Number(await runLua(this.#redis, COUNT, this.#holderKeys(holder), [this.#keys.leaseHeartbeatPrefix]));
  }

  get heldCount(): number {
    return this.#held.size;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#stopRenewing();
    for (const acquire of this.#acquires.splice(0)) acquire.reject(new LeaseManagerClosedError());
    const holders = this.#held.holders();
    if (holders.length === 0 && !this.#inFlight && this.#next === null) return;
    for (const holder of holders) for (const lease of this.#held.leasesOf(holder)) void this.releaseOne(holder, lease);
    // Resolves once the releases (and whatever was out) are answered.
    await this.#schedule();
  }

  /** Makes sure a call carries what is queued; resolves when it is answered. */
  #schedule(): Promise<void> {
    if (this.#next === null) {
      let resolve!: () => void;
      const promise = new Promise<void>((settle) => (resolve = settle));
      this.#next = { promise, resolve };
    }
    if (!this.#scheduled && !this.#inFlight) {
      this.#scheduled = true;
      // After this turn of the event loop and the next, so that the acquires of every request read
      // meanwhile go together; later still while calls are being made.
      if (performance.now() - this.#lastSentAt < BUSY_WITHIN_MS) setTimeout(() => this.#send(), LINGER_MS);
      else setImmediate(() => setImmediate(() => this.#send()));
    }
    return this.#next.promise;
  }

  #send(): void {
    this.#scheduled = false;
    this.#lastSentAt = performance.now();
    const done = this.#next;
    this.#next = null;
    const call = this.#call();
    this.#inFlight = true;
    const { ttlMs, holderKeepMs } = this.#settings;
    const keys = [this.#heartbeat, ...call.holders.flatMap((holder) => this.#holderKeys(holder))];
    const args = [ttlMs, this.#processId, this.#keys.leaseHeartbeatPrefix, holderKeepMs, ...call.args];
    runLua(this.#redis, SYNC, keys, args).then(
      (replies) => this.#answered(call, replies as number[]),
      (error: unknown) => this.#failed(call, error),
    ).finally(() => {
      this.#inFlight = false;
      done?.resolve();
      if (this.#next !== null || this.#acquires.length > 0) void this.#schedule();
    });
  }

  /** A holder's lease ZSET and count HASH. */
  #holderKeys(holder: string): string[] {
    return [this.#keys.leases(holder), this.#keys.leaseCounts(holder)];
  }

  /** Takes what is queued into one call (see ./sync-call.ts). */
  #call(): SyncCall {
    const releases = this.#releases;
    const restores = this.#restores;
    this.#releases = [];
    this.#restores = new Set();
    const checks = this.#renewDue ? this.#holdersToCheck() : [];
    this.#renewDue = false;
    return buildSyncCall({
      held: this.#held,
      releases,
      restores,
      acquires: this.#acquires.splice(0, MAX_ACQUIRES_PER_CALL),
      checks,
      onAcquired: (acquire, granted) => this.#acquired(acquire, granted),
      onWrongCount: (holder) => this.#restore(holder),
    });
  }

  #answered(call: SyncCall, replies: number[]): void {
    const [heartbeatWasThere, ...rest] = replies;
    rest.forEach((reply, i) => call.replies[i]?.(reply));
    // Redis lost the heartbeat: it may have lost (or another process pruned) every lease of this process.
    if (heartbeatWasThere === 0 && call.heldAny) for (const holder of this.#held.holders()) this.#restore(holder);
  }

  #failed(call: SyncCall, error: unknown): void {
    for (const acquire of call.acquires) acquire.reject(error);
    // What Redis holds for these holders is unknown now: the next call sets it to what this process holds.
    for (const holder of [...call.releases.map((release) => release.holder), ...call.restores]) this.#restores.add(holder);
    if (call.releases.length > 0 || call.restores.size > 0 || call.acquires.length === 0) this.#onError(error);
  }

  #acquired(acquire: Acquire, granted: boolean): void {
    if (!granted) return acquire.resolve(null);
    if (this.#closed) {
      // close() ran while the call was out: nobody would release or renew this lease.
      this.#releases.push({ holder: acquire.holder, lease: acquire.lease });
      void this.#schedule();
      return acquire.reject(new LeaseManagerClosedError());
    }
    this.#held.add(acquire.holder, acquire.lease);
    this.#startRenewing();
    acquire.resolve(new HeldLease(acquire.holder, acquire.lease, this));
  }

  #restore(holder: string): void {
    this.#restores.add(holder);
    void this.#schedule();
  }

  /**
   * The next few holders to check: enough that every holder is checked
   * within a quarter of `holderKeepMs`, so that a count is put right, and
   * kept from expiring, long before it could expire.
   */
  #holdersToCheck(): string[] {
    if (this.#toCheck.length === 0) this.#toCheck = this.#held.holders();
    const { renewEveryMs, holderKeepMs } = this.#settings;
    const perCall = Math.max(1, Math.ceil((this.#held.holderCount * renewEveryMs) / (holderKeepMs / 4)));
    return this.#toCheck.splice(0, perCall);
  }

  #startRenewing(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => {
      this.#renewDue = true;
      void this.#schedule();
    }, this.#settings.renewEveryMs);
    // Holding leases must not keep the process alive.
    this.#timer.unref();
  }

  #stopRenewing(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}
