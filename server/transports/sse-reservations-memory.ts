import { randomUUID } from 'node:crypto';
import type { StreamOperation } from './sse-operation.js';
import { DEFAULT_MAX_QUEUED, type ReservationLimits, type ReservationRegistry } from './sse-reservations.js';

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
  maxQueued = DEFAULT_MAX_QUEUED,
  timers = systemTimers,
  newToken = randomUUID,
}: MemoryReservationsOptions): ReservationRegistry {
  const reservations = new Map<string, Reservation>();
  const pendingByOwner = new Map<string, Set<string>>();
  const settle = (token: string, reservation: Reservation): void => {
    timers.clearTimeout(reservation.timer);
    const tokens = pendingByOwner.get(reservation.owner);
    tokens?.delete(token);
    if (tokens?.size === 0) pendingByOwner.delete(reservation.owner);
  };
  const forget = (token: string): void => {
    const reservation = reservations.get(token);
    if (reservation === undefined) return;
    reservations.delete(token);
    settle(token, reservation);
  };
  // Someone else's token is unknown to the caller, exactly like one that never existed.
  const find = (token: string, owner: string): Reservation | undefined => {
    const reservation = reservations.get(token);
    return reservation?.owner === owner ? reservation : undefined;
  };
  return {
    async reserve(owner) {
      const tokens = pendingByOwner.get(owner) ?? new Set<string>();
      if (tokens.size >= maxPerOwner) return null;
      const token = newToken();
      tokens.add(token);
      pendingByOwner.set(owner, tokens);
      reservations.set(token, { owner, holder: null, timer: timers.setTimeout(() => forget(token), ttlMs), queued: new Map() });
      return token;
    },
    async connect(token, owner, holder) {
      const reservation = find(token, owner);
      if (reservation === undefined) return { state: 'unknown' };
      if (reservation.holder !== null) return { state: 'taken' };
      reservation.holder = holder;
      settle(token, reservation);
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
    pendingOf: async (owner) => pendingByOwner.get(owner)?.size ?? 0,
    async close() {
      for (const token of [...reservations.keys()]) forget(token);
    },
  } satisfies ReservationRegistry;
}
