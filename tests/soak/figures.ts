import { request } from 'node:http';
import type { Redis } from 'ioredis';
import { parseExposition, type Exposition } from '../support/prometheus.js';

/** One reading of everything the soak compares, from Pulse's `/metrics` and from Redis. */
export interface Figures {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** `pulse_nodejs_active_handles_total`: sockets, servers, timers Node counts as handles. */
  readonly activeHandles: number;
  /** `pulse_http_connections`; the scrape's own connection counts as one. */
  readonly httpConnections: number;
  /** `pulse_subscriptions`, all transports. */
  readonly subscriptions: number;
  readonly leasesHeld: number;
  /** Lease ZSETs in Redis under the prefix (an empty ZSET is deleted, so 0 when nothing is held). */
  readonly leaseKeys: number;
  /** `PUBSUB NUMSUB` of the changes channel. */
  readonly channelSubscribers: number;
  /** `CLIENT LIST TYPE pubsub`, the soak's own connection is not one. */
  readonly pubsubConnections: number;
  /** `CLIENT LIST TYPE normal`, less the soak's own connection. */
  readonly commandConnections: number;
  readonly subscriptionsOpened: number;
  readonly subscriptionsRefused: number;
  readonly eventsPublished: number;
  readonly eventsDelivered: number;
  readonly slowConsumerDisconnects: number;
  readonly redisErrors: number;
}

/** Where to read the figures. */
export interface FigureSources {
  /** Pulse's base URL. */
  readonly pulseUrl: string;
  readonly redis: Redis;
  /** `REDIS_PREFIX` of the Pulse under test. */
  readonly prefix: string;
}

/**
 * GETs `/metrics` on a connection of its own that closes after the answer,
 * so every scrape holds exactly one connection (and one handle) in Pulse
 * and leaves none behind.
 */
function scrape(pulseUrl: string): Promise<Exposition> {
  return new Promise((resolve, reject) => {
    const req = request(`${pulseUrl}/metrics`, { agent: false, headers: { connection: 'close' }, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(parseExposition(text)) : reject(new Error(`/metrics answered ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('/metrics did not answer within 10 s')));
    req.on('error', reject);
    req.end();
  });
}

/** The sum of every sample named `name`, over all its labels (0 when absent). */
function total(exposition: Exposition, name: string): number {
  return exposition.samples.filter((s) => s.name === name).reduce((sum, s) => sum + s.value, 0);
}

/** Counts keys matching `pattern` with SCAN (never KEYS), at most 10 000 pages. */
async function countKeys(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let count = 0;
  for (let page = 0; page < 10_000; page++) {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    count += keys.length;
    cursor = next;
    if (cursor === '0') return count;
  }
  throw new Error(`SCAN ${pattern} did not finish within 10 000 pages`);
}

async function clientCount(redis: Redis, type: 'normal' | 'pubsub'): Promise<number> {
  const list = (await redis.call('CLIENT', 'LIST', 'TYPE', type)) as string;
  return list.split('\n').filter((line) => line.trim() !== '').length;
}

/** Reads every figure once. */
export async function readFigures({ pulseUrl, redis, prefix }: FigureSources): Promise<Figures> {
  const [metrics, leaseKeys, numsub, pubsubConnections, normal] = await Promise.all([
    scrape(pulseUrl),
    countKeys(redis, `${prefix}{pulse}:leases:*`),
    redis.pubsub('NUMSUB', `${prefix}changes`) as Promise<[string, number]>,
    clientCount(redis, 'pubsub'),
    clientCount(redis, 'normal'),
  ]);
  const m = (name: string): number => total(metrics, `pulse_${name}`);
  return {
    rssBytes: m('process_resident_memory_bytes'),
    heapUsedBytes: m('nodejs_heap_size_used_bytes'),
    activeHandles: m('nodejs_active_handles_total'),
    httpConnections: m('http_connections'),
    subscriptions: m('subscriptions'),
    leasesHeld: m('leases_held'),
    leaseKeys,
    channelSubscribers: Number(numsub[1]),
    pubsubConnections,
    commandConnections: normal - 1,
    subscriptionsOpened: m('subscriptions_opened_total'),
    subscriptionsRefused: m('subscriptions_refused_total'),
    eventsPublished: m('events_published_total'),
    eventsDelivered: m('events_delivered_total'),
    slowConsumerDisconnects: m('slow_consumer_disconnects_total'),
    redisErrors: m('redis_errors_total'),
  };
}
