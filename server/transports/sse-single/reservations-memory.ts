import { randomUUID } from 'node:crypto';
import type { StreamOperation } from './operation.js';
import { DEFAULT_MAX_QUEUED, type ReservationLimits, type ReservationRegistry } from './reservations.js';

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

/** Options of {@link createMemoryReservations}. */
export interface MemoryReservationsOptions extends ReservationLimits {
  /** @defaultValue Node's timers, unref'd */
  readonly timers?: ReservationTimers;
  /** @defaultValue crypto.randomUUID */
  readonly newToken?: () => string;
}

interface Reservation {
  readonly owner: string;
  /** Null while pending. */
  holder: string | null;
  /** The expiry timer while pending. */
  timer: unknown;
  /** Operations sent while pending, in order (a Map keeps insertion order). */
  readonly queued: Map<string, StreamOperation>;
}

/**
 * The embedded {@link ReservationRegistry}: this process's memory, so it
 * serves one process (memory mode). A pending reservation's timer drops it
 * after `ttlMs`; a connected one lives until released. Never rejects.
 */
export function createMemoryReservations({
  ttlMs,
  maxPerOwner,
  maxStreamsPerOwner,
  maxQueued = DEFAULT_MAX_QUEUED,
  timers = systemTimers,
  newToken = randomUUID,
}: MemoryReservationsOptions): ReservationRegistry {
  const reservations = new Map<string, Reservation>();
  const pendingByOwner = new OwnerSets();
  const connectedByOwner = new OwnerSets();
  const settle = (token: string, reservation: Reservation): void => {
    timers.clearTimeout(reservation.timer);
    pendingByOwner.delete(reservation.owner, token);
  };
  const forget = (token: string): void => {
    const reservation = reservations.get(token);
    if (reservation === undefined) return;
    reservations.delete(token);
    settle(token, reservation);
    connectedByOwner.delete(reservation.owner, token);
  };
  // Someone else's token is unknown to the caller, exactly like one that never existed.
  const find = (token: string, owner: string): Reservation | undefined => {
    const reservation = reservations.get(token);
    return reservation?.owner === owner ? reservation : undefined;
  };
  return {
    async reserve(owner) {
      if (pendingByOwner.count(owner) >= maxPerOwner) return null;
      const token = newToken();
      pendingByOwner.add(owner, token);
      reservations.set(token, { owner, holder: null, timer: timers.setTimeout(() => forget(token), ttlMs), queued: new Map() });
      return token;
    },
    async connect(token, owner, holder) {
      const reservation = find(token, owner);
      if (reservation === undefined) return { state: 'unknown' };
      if (reservation.holder !== null) return { state: 'taken' };
      if (connectedByOwner.count(owner) >= maxStreamsPerOwner) return { state: 'full' };
      reservation.holder = holder;
      settle(token, reservation);
      connectedByOwner.add(owner, token);
      const queued = [...reservation.queued.values()];
      reservation.queued.clear();
      return { state: 'connected', queued };
    },
    async submit(token, owner, operation) {
      const reservation = find(token, owner);
      if (reservation === undefined) return { state: 'unknown' };
      if (reservation.holder !== null) return { state: 'held', holder: reservation.holder };
      if (reservation.queued.has(operation.operationId)) return { state: 'duplicate' };
      if (reservation.queued.size >= maxQueued) return { state: 'full' };
      reservation.queued.set(operation.operationId, operation);
      return { state: 'queued' };
    },
    async cancel(token, owner, operationId) {
      const reservation = find(token, owner);
      if (reservation === undefined) return { state: 'unknown' };
      if (reservation.holder !== null) return { state: 'held', holder: reservation.holder };
      reservation.queued.delete(operationId);
      return { state: 'cancelled' };
    },
    async release(token) {
      forget(token);
    },
    pendingOf: async (owner) => pendingByOwner.count(owner),
    connectedOf: async (owner) => connectedByOwner.count(owner),
    async close() {
      for (const token of [...reservations.keys()]) forget(token);
    },
  } satisfies ReservationRegistry;
}

/** Tokens by owner; an owner with none has no entry, so departed owners cost nothing. */
class OwnerSets {
  readonly #byOwner = new Map<string, Set<string>>();

  count(owner: string): number {
    return this.#byOwner.get(owner)?.size ?? 0;
  }

  add(owner: string, token: string): void {
    const tokens = this.#byOwner.get(owner) ?? new Set<string>();
    tokens.add(token);
    this.#byOwner.set(owner, tokens);
  }

  delete(owner: string, token: string): void {
    const tokens = this.#byOwner.get(owner);
    tokens?.delete(token);
    if (tokens?.size === 0) this.#byOwner.delete(owner);
  }
}
