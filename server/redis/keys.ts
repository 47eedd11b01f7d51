import { partitionTags, SINGLE_PARTITION_TAG } from './partitions.js';

/**
 * Every Redis key and channel Pulse uses, derived from one prefix: no other
 * module builds one, so a deployment's footprint in Redis reads from here.
 *
 * Keys carry a hash tag so that the keys one Lua script touches live in one
 * Cluster slot (Redis Cluster runs a script only within one slot). The
 * store's keys carry their partition's tag ({@link partitionKeys}); with one
 * partition that tag is `pulse`, as every key had before partitions, so a
 * deployment's keys stay where they are. The rest (leases, reservations)
 * stays under `{pulse}`. Channels and single-key data (the IP salts) carry
 * no tag: nothing touches them together with other keys. The one exception
 * is {@link RedisKeys.changesChannelOf}, whose tag places a partition's
 * sharded channel on the master that holds its keys.
 */
export interface RedisKeys extends StoreKeys {
  /** ZSET of one holder's subscription leases: `<process id>/<lease id>`, all scored 0. */
  leases(holder: string): string;
  /** HASH process id → number of its leases in {@link RedisKeys.leases} of the same holder. */
  leaseCounts(holder: string): string;
  /** STRING (`SET … PX ttl`) that lives while one process renews its leases. */
  leaseHeartbeat(processId: string): string;
  /** {@link RedisKeys.leaseHeartbeat} without the process id: the lease scripts append the ids they find in a count HASH. */
  readonly leaseHeartbeatPrefix: string;
  /**
   * The sharded pub/sub channel (SPUBLISH/SSUBSCRIBE) of one partition's
   * changes (issue 12), a JSON array per write. It carries the partition's
   * hash tag (`partitionTags` in ./partitions.ts), so its slot is the
   * partition's slot: the master that holds the partition's keys serves its
   * channel. With several partitions on one Redis, the same channels carry
   * classic PUBLISH.
   */
  changesChannelOf(tag: string): string;
  /** Single connection mode's reservations (see `server/transports/sse-single/reservations-redis.ts`). */
  readonly reservations: ReservationKeys;
  /** The pub/sub channel one process's single connection router listens on. */
  streamRouterChannel(processId: string): string;
  /** STRING holding one day's IP pseudonym salt (see `server/privacy/salts/redis.ts`). */
  ipSalt(day: string): string;
}

/**
 * The keys of one partition of the activity store, all under the
 * partition's hash tag (built ones included: the scripts build a session's
 * and a user's keys from {@link StoreKeys.session} and
 * {@link StoreKeys.userSessions}, which share it), and the channel its
 * writes publish on. {@link redisKeys} holds those of the one partition.
 */
export interface StoreKeys {
  /** The change-log counter (`INCR`): cursors. */
  readonly seq: string;
  /** STRING naming the change log's current epoch; vanishes with `seq` when Redis is flushed. */
  readonly epoch: string;
  /**
   * STREAM of recent changes, entry id `<cursor>-0`, fields `change` (JSON),
   * `at` (write time, ms) and `user` (the user it is about, absent on an
   * erasure's announcements): what `replay` reads. Expires `HISTORY_MAX_AGE_MS`
   * after the last write.
   */
  readonly history: string;
  /** STRING: the highest cursor trimmed from {@link StoreKeys.history} by age or lost with it; only ever raised. */
  readonly historyFloor: string;
  /** ZSET session id → a time (ms) no later than its last seen, repaired by expiry: expiry order (see store/lua/expire.lua). */
  readonly sessionsByLastSeen: string;
  /** STRING: one session's JSON, as `SessionRecord` goes on the wire (earlier versions wrote a HASH of its fields, still read). */
  session(sessionId: string): string;
  /** ZSET session id → last seen, of one user. */
  userSessions(userId: string): string;
  /** ZSET user id → last seen (ms): the `activeUsers` order. */
  readonly usersByLastSeen: string;
  /** HASH user id → display name. */
  readonly userNames: string;
  /** ZSET path → number of active sessions on it. */
  readonly pathCounts: string;
  /** Counter of activity events received in one second (expires by itself). */
  eventsInSecond(epochSecond: number): string;
  /** Counter of activity events received in one minute (expires by itself). */
  eventsInMinute(epochMinute: number): string;
  /**
   * The channel this partition's writes publish on, a JSON array per write:
   * `<prefix>changes` with one partition (as before partitions), else
   * {@link RedisKeys.changesChannelOf} of the partition's tag.
   */
  readonly changesChannel: string;
}

/** The keys of single connection mode's reservations. */
export interface ReservationKeys {
  /** HASH `owner`, `holder` of one reservation. */
  reservation(token: string): string;
  /** HASH operation id → operation JSON sent while the reservation was pending. */
  operations(token: string): string;
  /** LIST of those operation ids, in the order they came. */
  order(token: string): string;
  /** ZSET token → expiry (ms) of one owner's pending reservations. */
  pending(owner: string): string;
  /** ZSET token → expiry (ms) of one owner's connected streams. */
  streams(owner: string): string;
}

/**
 * Builds the key set for a prefix.
 * @param prefix - `REDIS_PREFIX`, e.g. `pulse:`; lets several deployments or test suites share one Redis
 */
export function redisKeys(prefix: string): RedisKeys {
  const k = `${prefix}{${SINGLE_TAG}}:`;
  const leaseHeartbeatPrefix = `${k}lease-heartbeat:`;
  return {
    ...storeKeysUnder(prefix, SINGLE_TAG, `${prefix}changes`),
    leases: (holder) => `${k}leases:${holder}`,
    leaseCounts: (holder) => `${k}lease-counts:${holder}`,
    leaseHeartbeat: (processId) => `${leaseHeartbeatPrefix}${processId}`,
    leaseHeartbeatPrefix,
    changesChannelOf: (tag) => changesChannelOf(prefix, tag),
    reservations: reservationKeys(`${k}sse:`),
    streamRouterChannel: (processId) => `${prefix}sse:process:${processId}`,
    ipSalt: (day) => `${prefix}ip-salt:${day}`,
  };
}

/** The tag of the one partition (`partitionTags(1)`), and of every key that is not the store's. */
const SINGLE_TAG = SINGLE_PARTITION_TAG;

function changesChannelOf(prefix: string, tag: string): string {
  return `${prefix}changes:{${tag}}`;
}

/**
 * How changes are published: `PUBLISH` (classic pub/sub, one Redis) or
 * `SPUBLISH` (sharded pub/sub, Redis Cluster: a channel lives on the master
 * of its slot, and a store script may only publish on its keys' slot).
 */
export type PublishCommand = 'PUBLISH' | 'SPUBLISH';

/**
 * The store keys of each of `partitions` partitions, in partition order,
 * with the channel of {@link changeChannels}. One partition published with
 * PUBLISH gives exactly the store keys of {@link redisKeys}, channel
 * included; otherwise each partition has its tag (`partitionTags`) and its
 * tagged channel.
 * @throws RangeError when `partitions` is not 1 to `MAX_PARTITIONS`
 */
export function partitionKeys(prefix: string, partitions: number, publish: PublishCommand = 'PUBLISH'): StoreKeys[] {
  const tags = partitionTags(partitions);
  const channels = changeChannels(prefix, partitions, publish);
  return tags.map((tag, i) => storeKeysUnder(prefix, tag, channels[i] as string));
}

/**
 * The change channel of each of `partitions` partitions, in partition
 * order: what a change feed subscribes to. One partition on one Redis
 * publishes on `<prefix>changes` (classic pub/sub, as before partitions);
 * otherwise each partition has a channel tagged like its keys
 * ({@link RedisKeys.changesChannelOf}), so that on a Cluster SPUBLISH and
 * SSUBSCRIBE reach the master holding them (with one partition on a
 * Cluster, `<prefix>changes:{pulse}`: an untagged channel would hash to
 * another slot than the keys, which a script may not publish on).
 * @param publish - how the store publishes @defaultValue 'PUBLISH'
 * @throws RangeError when `partitions` is not 1 to `MAX_PARTITIONS`
 */
export function changeChannels(prefix: string, partitions: number, publish: PublishCommand = 'PUBLISH'): string[] {
  const tags = partitionTags(partitions);
  if (partitions === 1 && publish === 'PUBLISH') return [`${prefix}changes`];
  return tags.map((tag) => changesChannelOf(prefix, tag));
}

function storeKeysUnder(prefix: string, tag: string, changesChannel: string): StoreKeys {
  const k = `${prefix}{${tag}}:`;
  return {
    seq: `${k}seq`,
    epoch: `${k}epoch`,
    history: `${k}history`,
    historyFloor: `${k}history-floor`,
    sessionsByLastSeen: `${k}sessions`,
    session: (sessionId) => `${k}session:${sessionId}`,
    userSessions: (userId) => `${k}user-sessions:${userId}`,
    usersByLastSeen: `${k}users`,
    userNames: `${k}user-names`,
    pathCounts: `${k}paths`,
    eventsInSecond: (epochSecond) => `${k}events:${epochSecond}`,
    // Its own prefix: minute and second numbers would otherwise name the same keys.
    eventsInMinute: (epochMinute) => `${k}events-per-minute:${epochMinute}`,
    changesChannel,
  };
}

function reservationKeys(k: string): ReservationKeys {
  return {
    reservation: (token) => `${k}reservation:${token}`,
    operations: (token) => `${k}operations:${token}`,
    order: (token) => `${k}order:${token}`,
    pending: (owner) => `${k}pending:${owner}`,
    streams: (owner) => `${k}streams:${owner}`,
  };
}
