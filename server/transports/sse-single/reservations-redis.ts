import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { RedisKeys, ReservationKeys } from '../../redis/keys.js';
import { runLua } from '../../redis/lua.js';
import { createRenewer } from '../../redis/renewer.js';
import { encodeStreamOperation, parseStreamOperation } from './operation.js';
import { CANCEL, CONNECT, LIVE_COUNT, RELEASE, RENEW, RESERVE, SUBMIT } from './reservation-scripts.js';
import { DEFAULT_MAX_QUEUED, type CancelOutcome, type ConnectOutcome, type ReservationLimits, type ReservationRegistry, type SubmitOutcome } from './reservations.js';

/** Options of {@link createRedisReservations}. */
export interface RedisReservationsOptions extends ReservationLimits {
  /**
   * A command connection (may be shared; not quit by the registry): one
   * Redis, or a Cluster client, as every reservation key carries the hash
   * tag `{pulse}` and so each script stays in one slot.
   */
  readonly redis: Redis | Cluster;
  /** Where the reservations live: `keys.reservations`. */
  readonly keys: RedisKeys;
  /**
   * How long a connected reservation's record outlives its holder's last
   * renewal: a crashed process's tokens are forgotten within it. @defaultValue 15000
   */
  readonly streamTtlMs?: number;
  /** Called when a renewal or a release fails (the record lapses by itself). @defaultValue ignore */
  readonly onError?: (error: unknown) => void;
  /** @defaultValue crypto.randomUUID */
  readonly newToken?: () => string;
}

/** Most keys one renewal script touches, so one call never blocks Redis long. */
const RENEW_BATCH = 500;

/**
 * The {@link ReservationRegistry} every process sharing one Redis sees: each
 * step is one Lua script. The tokens this process connected (their records
 * and their places in their owners' stream counts) are renewed together
 * every third of `streamTtlMs` on one unref'd timer, running only while it
 * holds any; released ones are deleted.
 */
export function createRedisReservations(options: RedisReservationsOptions): ReservationRegistry {
  const { redis, keys: { reservations: keys }, ttlMs, maxPerOwner, maxStreamsPerOwner, maxQueued = DEFAULT_MAX_QUEUED, streamTtlMs = 15_000, onError = () => {}, newToken = randomUUID } = options;
  // token → [owner, holder] of every reservation connected through this registry.
  const held = new Map<string, readonly [owner: string, holder: string]>();
  const renewer = createRenewer(streamTtlMs / 3, () => renewAll(redis, keys, held, streamTtlMs).catch(onError));
  const operationKeys = (token: string, owner: string): string[] => [keys.reservation(token), keys.operations(token), keys.order(token), keys.pending(owner)];
  const release = async (token: string): Promise<void> => {
    const entry = held.get(token);
    if (entry === undefined) return;
    held.delete(token);
    if (held.size === 0) renewer.stop();
    // A renewal already sent would write the record back after the delete.
    await renewer.settled();
    const [owner, holder] = entry;
    await runLua(redis, RELEASE, [keys.reservation(token), keys.streams(owner)], [holder, token]).catch(onError);
  };
  return {
    async reserve(owner) {
      const token = newToken();
      const added = await runLua(redis, RESERVE, [keys.pending(owner), keys.reservation(token)], [maxPerOwner, ttlMs, token, owner]);
      return added === 1 ? token : null;
    },
    async connect(token, owner, holder) {
      const reply = await runLua(redis, CONNECT, [...operationKeys(token, owner), keys.streams(owner)], [owner, token, holder, streamTtlMs, maxStreamsPerOwner]);
      const outcome = connectOutcome(reply);
      if (outcome.state === 'connected') {
        held.set(token, [owner, holder]);
        renewer.start();
      }
      return outcome;
    },
    async submit(token, owner, operation) {
      const reply = await runLua(redis, SUBMIT, operationKeys(token, owner), [owner, token, operation.operationId, encodeStreamOperation(operation), maxQueued]);
      return routedOutcome(reply, ['queued', 'duplicate', 'full']) as SubmitOutcome;
    },
    async cancel(token, owner, operationId) {
      return routedOutcome(await runLua(redis, CANCEL, operationKeys(token, owner), [owner, token, operationId]), ['cancelled']) as CancelOutcome;
    },
    release,
    pendingOf: async (owner) => Number(await runLua(redis, LIVE_COUNT, [keys.pending(owner)], [])),
    connectedOf: async (owner) => Number(await runLua(redis, LIVE_COUNT, [keys.streams(owner)], [])),
    async close() {
      renewer.stop();
      await Promise.all([...held.keys()].map(release));
    },
  } satisfies ReservationRegistry;
}

/** A script's reply as a list of strings; anything else is a bug or a foreign script. */
function replyList(reply: unknown): string[] {
  if (!Array.isArray(reply) || !reply.every((item) => typeof item === 'string') || reply.length === 0) {
    throw new TypeError(`unexpected reservation script reply: ${JSON.stringify(reply)}`);
  }
  return reply as string[];
}

function connectOutcome(reply: unknown): ConnectOutcome {
  const [state, ...queued] = replyList(reply);
  if (state === 'connected') return { state, queued: queued.map(parseStreamOperation) };
  if (state === 'taken' || state === 'full' || state === 'unknown') return { state };
  throw new TypeError(`unexpected connect reply: ${String(state)}`);
}

function routedOutcome(reply: unknown, plain: readonly string[]): SubmitOutcome | CancelOutcome {
  const [state, holder] = replyList(reply);
  if (state === 'held' && holder !== undefined) return { state, holder };
  if (state === 'unknown' || (state !== undefined && plain.includes(state))) return { state } as SubmitOutcome | CancelOutcome;
  throw new TypeError(`unexpected reservation reply: ${String(state)}`);
}

async function renewAll(redis: Redis | Cluster, keys: ReservationKeys, held: ReadonlyMap<string, readonly [string, string]>, ttlMs: number): Promise<void> {
  const entries = [...held];
  for (let start = 0; start < entries.length; start += RENEW_BATCH) {
    const batch = entries.slice(start, start + RENEW_BATCH);
    await runLua(
      redis,
      RENEW,
      batch.flatMap(([token, [owner]]) => [keys.reservation(token), keys.streams(owner)]),
      [ttlMs, ...batch.flatMap(([token, [owner, holder]]) => [owner, holder, token])],
    );
  }
}
