import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../redis/keys.js';
import { runLua } from '../redis/lua.js';
import { createRenewer } from '../redis/renewer.js';
import { HeldLeases, LeaseManagerClosedError } from './held.js';
import { ACQUIRE, COUNT, RELEASE, RENEW, RESTORE } from './scripts.js';
import type { Lease, LeaseManager } from './types.js';

/** Options of {@link createRedisLeases}. */
export interface RedisLeasesOptions {
  /** A command connection (may be shared; not quit by the manager). */
  redis: Redis;
  /** Where the leases live: `keys.leases(holder)`. */
  keys: RedisKeys;
  /** How long a lease outlives its last renewal: a crashed process's slots free up within this. @defaultValue 15000 */
  ttlMs?: number;
  /** How often this process renews all its leases; must be shorter than `ttlMs`. @defaultValue ttlMs / 3 */
  renewEveryMs?: number;
  /** Called when a renewal or a release fails (the next renewal retries; a lease that cannot be released lapses). @defaultValue ignore */
  onError?: (error: unknown) => void;
  /** Makes lease ids, unique across processes. @defaultValue crypto.randomUUID */
  idFactory?: () => string;
}

const ignore = (): void => {};

/**
 * Leases counted in Redis across every process: at most `limit` live leases
 * per holder, enforced by one Lua script per acquire. This process renews
 * all its leases together on one unref'd timer, running only while it holds
 * any; a process that dies stops renewing and its leases lapse within
 * `ttlMs`. Renewing re-adds the leases, so leases lost with Redis data (a
 * restart, a flush) come back; until then, and right after, a holder can
 * briefly count more or fewer than it holds.
 * @throws RangeError for times that are not positive, or a renewal period not shorter than `ttlMs`
 */
export function createRedisLeases(options: RedisLeasesOptions): LeaseManager {
  const { redis, keys, ttlMs = 15_000, renewEveryMs = ttlMs / 3, onError = ignore, idFactory = randomUUID } = options;
  checkTimes(ttlMs, renewEveryMs);
  const held = new HeldLeases();
  // Names this process's heartbeat and prefixes its members: a lease lives while its process renews.
  const processId = idFactory();
  const heartbeat = keys.leaseHeartbeat(processId);
  const holderKeys = (holder: string): string[] => [keys.leases(holder), keys.leaseCounts(holder)];
  const renewer = createRenewer(renewEveryMs, () => renewAll(redis, held, { heartbeat, processId, holderKeys, ttlMs }).catch(onError));
  let closed = false;

  const forget = async (holder: string, id: string): Promise<void> => {
    // A renewal already sent could re-add the lease after the ZREM, so remove it after that renewal.
    await renewer.settled();
    await runLua(redis, RELEASE, holderKeys(holder), [processId, id]).catch(onError);
  };
  const release = async (holder: string, id: string): Promise<void> => {
    if (!held.delete(holder, id)) return;
    if (held.size === 0) renewer.stop();
    await forget(holder, id);
  };

  return {
    async acquire(holder: string, limit: number) {
      if (closed) throw new LeaseManagerClosedError();
      const id = idFactory();
      const added = await runLua(redis, ACQUIRE, [...holderKeys(holder), heartbeat], [limit, ttlMs, processId, id, keys.leaseHeartbeatPrefix]);
      if (added === null) return null;
      if (closed) {
        // close() ran while the script did: nobody would release or renew this lease.
        await forget(holder, id);
        throw new LeaseManagerClosedError();
      }
      held.add(holder, id);
      renewer.start();
      return { holder, id, release: () => release(holder, id) } satisfies Lease;
    },
    async count(holder: string) {
      return Number(await runLua(redis, COUNT, holderKeys(holder), [keys.leaseHeartbeatPrefix]));
    },
    get heldCount() {
      return held.size;
    },
    async close() {
      closed = true;
      renewer.stop();
      await Promise.all(held.snapshot().flatMap(([holder, ids]) => ids.map((id) => release(holder, id))));
    },
  } satisfies LeaseManager;
}

function checkTimes(ttlMs: number, renewEveryMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) throw new RangeError(`ttlMs must be a positive integer, got ${ttlMs}`);
  // An infinite or zero period would make setInterval fire every millisecond.
  if (!Number.isFinite(renewEveryMs) || renewEveryMs <= 0 || renewEveryMs >= ttlMs) {
    throw new RangeError(`renewEveryMs must be positive and shorter than ttlMs (${ttlMs}), got ${renewEveryMs}`);
  }
}

/** What a renewal needs to know of its process. */
interface RenewalIdentity {
  readonly heartbeat: string;
  readonly processId: string;
  readonly holderKeys: (holder: string) => string[];
  readonly ttlMs: number;
}

/**
 * One call per period, whatever the number of leases: it refreshes the
 * process's heartbeat and each holder's keys, and checks one lease per holder.
 * A holder whose keys Redis lost (restart, flush) has its leases put back.
 */
async function renewAll(redis: Redis, held: HeldLeases, { heartbeat, processId, holderKeys, ttlMs }: RenewalIdentity): Promise<void> {
  const leases = held.snapshot();
  if (leases.length === 0) return;
  const lost = (await runLua(
    redis,
    RENEW,
    [heartbeat, ...leases.flatMap(([holder]) => holderKeys(holder))],
    [ttlMs, processId, ...leases.map(([, ids]) => ids[0] as string)],
  )) as number[];
  for (const position of lost) {
    const [holder, ids] = leases[position - 1] as [string, string[]];
    await runLua(redis, RESTORE, [...holderKeys(holder), heartbeat], [ttlMs, processId, ...ids]);
  }
}
