import { randomUUID } from 'node:crypto';

/** The timer functions a registry uses; injectable so tests control time. */
export interface ReservationTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemTimers: ReservationTimers = {
  // Unref'd: a pending reservation must never keep the process alive.
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Options of {@link createReservationRegistry}. */
export interface ReservationRegistryOptions {
  /** How long a reservation waits for its stream before it expires. */
  readonly ttlMs: number;
  /** Pending reservations one owner may hold at once. */
  readonly maxPerOwner: number;
  /** Called once for each reservation that expired (or was dropped by {@link ReservationRegistry.close}). */
  readonly onExpire: (token: string) => void;
  /** @defaultValue Node's timers, unref'd */
  readonly timers?: ReservationTimers;
  /** @defaultValue crypto.randomUUID */
  readonly newToken?: () => string;
}

/**
 * Single-connection graphql-sse reservations that are not connected yet,
 * in this process's memory (as graphql-sse keeps its streams). Each lives at
 * most `ttlMs` and each owner holds at most `maxPerOwner`, so a client that
 * reserves and never connects cannot hold memory, or the operations it
 * attached, for ever.
 */
export interface ReservationRegistry {
  /** A fresh token for `owner`, or `null` when the owner already holds `maxPerOwner` pending ones. */
  reserve(owner: string): string | null;
  /** Takes a pending reservation of `owner` out of the registry as its stream connects; false when unknown, expired or someone else's. */
  claim(token: string, owner: string): boolean;
  /** Pending reservations of `owner`. */
  pendingOf(owner: string): number;
  /** Expires every pending reservation at once (shutdown). */
  close(): void;
}

interface Pending {
  readonly owner: string;
  readonly timer: unknown;
}

/** Creates an empty {@link ReservationRegistry}. */
export function createReservationRegistry({
  ttlMs,
  maxPerOwner,
  onExpire,
  timers = systemTimers,
  newToken = randomUUID,
}: ReservationRegistryOptions): ReservationRegistry {
  const pending = new Map<string, Pending>();
  const byOwner = new Map<string, Set<string>>();
  const forget = (token: string): Pending | undefined => {
    const entry = pending.get(token);
    if (entry === undefined) return undefined;
    pending.delete(token);
    timers.clearTimeout(entry.timer);
    const tokens = byOwner.get(entry.owner);
    tokens?.delete(token);
    if (tokens?.size === 0) byOwner.delete(entry.owner);
    return entry;
  };
  const expire = (token: string): void => {
    if (forget(token) !== undefined) onExpire(token);
  };
  return {
    reserve(owner) {
      const tokens = byOwner.get(owner) ?? new Set<string>();
      if (tokens.size >= maxPerOwner) return null;
      const token = newToken();
      tokens.add(token);
      byOwner.set(owner, tokens);
      pending.set(token, { owner, timer: timers.setTimeout(() => expire(token), ttlMs) });
      return token;
    },
    claim(token, owner) {
      if (pending.get(token)?.owner !== owner) return false;
      forget(token);
      return true;
    },
    pendingOf: (owner) => byOwner.get(owner)?.size ?? 0,
    close() {
      for (const token of [...pending.keys()]) expire(token);
    },
  };
}
