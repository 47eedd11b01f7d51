/**
 * Every Redis key and channel Pulse uses, derived from one prefix: no other
 * module builds one, so a deployment's footprint in Redis reads from here.
 *
 * Keys carry the hash tag `{pulse}` so that they all live in one Cluster
 * slot: the Lua scripts touch several of them atomically, which Redis
 * Cluster only allows within one slot. Channels and single-key data (the
 * IP salts) carry no tag: nothing touches them together with other keys.
 * The one exception is {@link RedisKeys.changesChannelOf}, whose tag places
 * a partition's sharded channel on the master that holds its keys.
 */
export interface RedisKeys {
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
  /** STRING: the highest cursor trimmed from {@link RedisKeys.history} by age or lost with it; only ever raised. */
  readonly historyFloor: string;
  /** ZSET session id → last seen (ms): expiry order. */
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
  /** ZSET of one holder's subscription leases: `<process id>/<lease id>`, all scored 0. */
  leases(holder: string): string;
  /** HASH process id → number of its leases in {@link RedisKeys.leases} of the same holder. */
  leaseCounts(holder: string): string;
  /** STRING (`SET … PX ttl`) that lives while one process renews its leases. */
  leaseHeartbeat(processId: string): string;
  /** {@link RedisKeys.leaseHeartbeat} without the process id: the lease scripts append the ids they find in a count HASH. */
  readonly leaseHeartbeatPrefix: string;
  /** The pub/sub channel every change is published on (a JSON array per write). */
  readonly changesChannel: string;
  /**
   * The sharded pub/sub channel (SPUBLISH/SSUBSCRIBE) of one partition's
   * changes on Redis Cluster (issue 12), a JSON array per write. It carries
   * the partition's hash tag (`partitionTags` in ./partitions.ts), so its
   * slot is the partition's slot: the master that holds the partition's keys
   * serves its channel.
   */
  changesChannelOf(tag: string): string;
  /** Single connection mode's reservations (see `server/transports/sse-single/reservations-redis.ts`). */
  readonly reservations: ReservationKeys;
  /** The pub/sub channel one process's single connection router listens on. */
  streamRouterChannel(processId: string): string;
  /** STRING holding one day's IP pseudonym salt (see `server/privacy/salts/redis.ts`). */
  ipSalt(day: string): string;
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
  const k = `${prefix}{pulse}:`;
  const leaseHeartbeatPrefix = `${k}lease-heartbeat:`;
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
    leases: (holder) => `${k}leases:${holder}`,
    leaseCounts: (holder) => `${k}lease-counts:${holder}`,
    leaseHeartbeat: (processId) => `${leaseHeartbeatPrefix}${processId}`,
    leaseHeartbeatPrefix,
    changesChannel: `${prefix}changes`,
    changesChannelOf: (tag) => `${prefix}changes:{${tag}}`,
    reservations: reservationKeys(`${k}sse:`),
    streamRouterChannel: (processId) => `${prefix}sse:process:${processId}`,
    ipSalt: (day) => `${prefix}ip-salt:${day}`,
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
