import { once } from 'node:events';
import calculateSlot from 'cluster-key-slot';
import { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryFeed } from '../../server/bus/memory.js';
import { createRedisFeed } from '../../server/bus/redis.js';
import { createShardedFeed } from '../../server/bus/redis-sharded.js';
import type { ChangeFeed } from '../../server/bus/types.js';
import type { ActivityChange } from '../../server/domain/activity.js';
import { MalformedChangeError, encodeChanges } from '../../server/domain/change-codec.js';
import { redisKeys } from '../../server/redis/keys.js';
import { EventQueue } from '../support/event-queue.js';
import { listen, partitionChannels, range, started, take } from '../support/feed-changes.js';
import { connectTestCluster, spawnRedisCluster, type SpawnedCluster } from '../support/redis-cluster.js';
import { connectTestRedis, testRedisUrl, uniquePrefix } from '../support/redis.js';
import { waitUntil } from '../support/wait.js';

/**
 * The ChangeFeed contract, written once and run against every engine. The
 * feed is subscribe-only; changes are published the way the one real
 * publisher, the store, publishes them: in memory through the delivery
 * function the memory store is given, on Redis with a raw PUBLISH of the
 * encoded changes on the channel, as the store's Lua scripts do, and on
 * Redis Cluster with a raw SPUBLISH on one partition's channel.
 */

/** One Pulse process's handle on the feed backend. */
interface FeedProcess {
  readonly feed: ChangeFeed;
  /** Makes the backend refuse this process's subscription: its subscriber connection is closed. */
  breakSubscriber(): Promise<void>;
}

/** Publishes one write's changes, as a store does. */
type Publish = (changes: readonly ActivityChange[]) => Promise<void>;

/** A feed backend for one test, shared by every process opened on it. */
interface FeedFixture {
  /** Opens another process on the backend. */
  process(): FeedProcess;
  /** Another store publishing on the backend (memory: the one store's delivery function). */
  publisher(): Publish;
  /** What listeners threw, in every process. */
  readonly listenerErrors: EventQueue<unknown>;
  /** Malformed messages reported, in every process. */
  readonly malformed: EventQueue<unknown>;
  /** A change as this engine's feed delivers it: on a partitioned channel, with that channel's partition. */
  delivered(change: ActivityChange): ActivityChange;
  /** Publishes text on the channel past the codec, as a foreign or buggy publisher would. */
  publishRaw(text: string): Promise<void>;
  /** Backend subscriptions to the channel, over all processes (sharded: to each channel, which must all agree). */
  backendSubscriptions(): Promise<number>;
  /** Closes every feed, then every connection. */
  close(): Promise<void>;
}

/** An implementation under test and what it can do; a test needing a missing capability is not registered. */
interface FeedEngine {
  readonly name: string;
  readonly has: {
    /** `publishRaw` works. */
    readonly rawChannel: boolean;
    /** `backendSubscriptions` works. */
    readonly backendSubscriptions: boolean;
    /** `breakSubscriber` works. */
    readonly failingConnections: boolean;
  };
  /** Starts what every fixture of the engine shares, once before the first (a Redis Cluster takes seconds). */
  readonly prepare?: () => Promise<void>;
  open(): FeedFixture;
}

const unsupported = async (): Promise<never> => {
  throw new Error('not supported by this engine');
};

function openMemory(): FeedFixture {
  const listenerErrors = new EventQueue<unknown>();
  // The memory feed is one process by definition: every "process" is that one feed, every publisher its one store.
  const { feed, deliver } = createMemoryFeed({ onListenerError: listenerErrors.push });
  return {
    process: () => ({ feed, breakSubscriber: unsupported }),
    publisher: () => async (changes) => deliver(changes),
    delivered: (change) => change,
    listenerErrors,
    malformed: new EventQueue<unknown>(),
    publishRaw: unsupported,
    backendSubscriptions: unsupported,
    close: () => feed.close(),
  };
}

function openRedis(): FeedFixture {
  const channel = redisKeys(uniquePrefix('feed')).changesChannel;
  const admin = connectTestRedis();
  const clients: Redis[] = [admin];
  const feeds: ChangeFeed[] = [];
  const listenerErrors = new EventQueue<unknown>();
  const malformed = new EventQueue<unknown>();
  const connect = (): Redis => {
    const client = connectTestRedis();
    clients.push(client);
    return client;
  };
  return {
    process() {
      // A subscriber whose SUBSCRIBE is queued before its ready check would get INFO refused in subscriber
      // mode and reconnect, losing what was published meanwhile. Pulse opens it ready first (connectRedis);
      // here, where the fixture is synchronous, the ready check is simply not sent.
      const subscriber = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1, enableReadyCheck: false });
      clients.push(subscriber);
      const feed = createRedisFeed({ subscriber, channels: [channel], onListenerError: listenerErrors.push, onMalformed: malformed.push });
      feeds.push(feed);
      return { feed, breakSubscriber: async () => void (await subscriber.quit()) };
    },
    publisher() {
      const client = connect();
      return async (changes) => void (await client.publish(channel, encodeChanges(changes)));
    },
    delivered: (change) => change,
    listenerErrors,
    malformed,
    publishRaw: async (text) => void (await admin.publish(channel, text)),
    backendSubscriptions: async () => Number((await admin.pubsub('NUMSUB', channel))[1]),
    async close() {
      await Promise.all(feeds.map((feed) => feed.close()));
      await Promise.all(clients.filter((client) => client.status !== 'end').map((client) => client.quit()));
    },
  };
}

/** The file's one Redis Cluster, spawned by the first suite that needs it: each spawn takes seconds. */
let spawning: Promise<SpawnedCluster> | undefined;
let spawned: SpawnedCluster | undefined;
async function testCluster(): Promise<SpawnedCluster> {
  spawned = await (spawning ??= spawnRedisCluster(3));
  return spawned;
}
afterAll(async () => {
  await (await spawning)?.dispose();
});


/** The masters of the test cluster, once `admin` knows them all. */
async function mastersOf(admin: Cluster): Promise<Redis[]> {
  if (admin.status !== 'ready') await once(admin, 'ready');
  const masters = admin.nodes('master');
  // A count over fewer masters would read as "no subscription" where there is one.
  if (masters.length !== 3) throw new Error(`expected 3 masters, the client knows ${masters.length}`);
  return masters;
}

/** Subscribers per channel, over every master (`PUBSUB SHARDNUMSUB` counts each master's own clients). */
async function shardSubscribers(admin: Cluster, channels: readonly string[]): Promise<Map<string, number>> {
  const counts = new Map(channels.map((channel) => [channel, 0]));
  for (const master of await mastersOf(admin)) {
    const reply = (await master.call('PUBSUB', 'SHARDNUMSUB', ...channels)) as (string | number)[];
    for (let i = 0; i < reply.length; i += 2) counts.set(String(reply[i]), (counts.get(String(reply[i])) ?? 0) + Number(reply[i + 1]));
  }
  return counts;
}

/** Which contract fixture this is: each runs on the next partition's channel, so the cases visit every master. */
let clusterFixtures = 0;

function openRedisCluster(): FeedFixture {
  const cluster = spawned;
  if (!cluster) throw new Error('the Redis Cluster engine was not prepared');
  const channels = partitionChannels('sharded-feed');
  // The contract's order is one ordered stream's: its cases publish on one partition's channel.
  const channel = channels[clusterFixtures++ % channels.length] as string;
  const admin = connectTestCluster(cluster);
  const clients: Cluster[] = [admin];
  const feeds: ChangeFeed[] = [];
  const listenerErrors = new EventQueue<unknown>();
  const malformed = new EventQueue<unknown>();
  return {
    process() {
      const subscriber = connectTestCluster(cluster, { forFeed: true });
      clients.push(subscriber);
      const feed = createShardedFeed({ subscriber, channels, onListenerError: listenerErrors.push, onMalformed: malformed.push });
      feeds.push(feed);
      return {
        feed,
        async breakSubscriber() {
          if (subscriber.status !== 'ready') await once(subscriber, 'ready');
          // quit() resolves while the cluster is still 'disconnecting'; `end` is when it is closed for good.
          const ended = once(subscriber, 'end');
          await subscriber.quit();
          await ended;
        },
      };
    },
    publisher() {
      const client = connectTestCluster(cluster);
      clients.push(client);
      return async (changes) => void (await client.spublish(channel, encodeChanges(changes)));
    },
    delivered: (change) => ({ ...change, partition: channels.indexOf(channel) }),
    listenerErrors,
    malformed,
    publishRaw: async (text) => void (await admin.spublish(channel, text)),
    async backendSubscriptions() {
      const counts = new Set((await shardSubscribers(admin, channels)).values());
      if (counts.size !== 1) throw new Error(`channels differ in subscriptions: ${[...counts].join(', ')}`);
      return [...counts][0] as number;
    },
    async close() {
      await Promise.all(feeds.map((feed) => feed.close()));
      await Promise.all(clients.filter((client) => client.status !== 'end').map((client) => client.quit()));
    },
  };
}

const engines: FeedEngine[] = [
  { name: 'memory', has: { rawChannel: false, backendSubscriptions: false, failingConnections: false }, open: openMemory },
  { name: 'redis', has: { rawChannel: true, backendSubscriptions: true, failingConnections: true }, open: openRedis },
  {
    name: 'redis-cluster',
    has: { rawChannel: true, backendSubscriptions: true, failingConnections: true },
    prepare: async () => void (await testCluster()),
    open: openRedisCluster,
  },
];

function chunk<T>(items: readonly T[], size: number): T[][] {
  return range(0, Math.ceil(items.length / size) - 1).map((i) => items.slice(i * size, (i + 1) * size));
}


describe.each(engines.map((engine) => [engine.name, engine] as const))('ChangeFeed contract: %s', (_name, engine) => {
  let fixture: FeedFixture;
  beforeAll(async () => {
    await engine.prepare?.();
  }, 60_000);
  beforeEach(() => {
    fixture = engine.open();
  });
  afterEach(async () => {
    await fixture.close();
  });

  it('delivers the changes of successive writes in publish order', async () => {
    const { feed } = fixture.process();
    const publish = fixture.publisher();
    const received = await listen(feed);
    const cursors = range(1, 30);
    await Promise.all(cursors.map((cursor) => publish([started(cursor)])));
    expect(await take(received, cursors.length)).toEqual(cursors);
  });

  it('delivers each write whole and in order, never interleaved with another write', async () => {
    const { feed } = fixture.process();
    const [publishA, publishB] = [fixture.publisher(), fixture.publisher()];
    const received = await listen(feed);
    const batchesOfA = chunk(range(1, 30), 3);
    const batchesOfB = chunk(range(101, 130), 3);
    await Promise.all([
      ...batchesOfA.map((batch) => publishA(batch.map(started))),
      ...batchesOfB.map((batch) => publishB(batch.map(started))),
    ]);
    const got = chunk(await take(received, 60), 3);
    expect(got.filter(([first = 0]) => first < 100)).toEqual(batchesOfA);
    expect(got.filter(([first = 0]) => first > 100)).toEqual(batchesOfB);
  });

  it('delivers the same changes, whole, to every listener', async () => {
    const { feed } = fixture.process();
    const listeners = [await listen(feed), await listen(feed), await listen(feed)];
    await fixture.publisher()([started(1), started(2)]);
    for (const received of listeners) {
      await take(received, 2);
      expect(received.seen).toEqual([started(1), started(2)].map(fixture.delivered));
    }
  });

  it('stops delivering to a removed listener, and only to it', async () => {
    const { feed } = fixture.process();
    const kept = await listen(feed);
    const removed = new EventQueue<ActivityChange>();
    const remove = await feed.subscribe(removed.push);
    expect(feed.listenerCount).toBe(2);
    remove();
    remove();
    expect(feed.listenerCount).toBe(1);
    await fixture.publisher()([started(1)]);
    // Both listeners hang off the same delivery, so once `kept` has the change, `removed` would have it too.
    expect(await take(kept, 1)).toEqual([1]);
    expect(removed.seen).toEqual([]);
  });

  it('reports what a listener throws and still delivers to the others', async () => {
    const { feed } = fixture.process();
    const failure = new Error('listener failed');
    await feed.subscribe(() => {
      throw failure;
    });
    const received = await listen(feed);
    await fixture.publisher()([started(1), started(2)]);
    expect(await take(received, 2)).toEqual([1, 2]);
    expect([await fixture.listenerErrors.next(), await fixture.listenerErrors.next()]).toEqual([failure, failure]);
  });

  it('delivers to every process, whichever store published', async () => {
    const [a, b] = [fixture.process(), fixture.process()];
    const [publishA, publishB] = [fixture.publisher(), fixture.publisher()];
    const atA = await listen(a.feed);
    const atB = await listen(b.feed);
    // Published right after subscribe resolved: the subscription must already be live.
    await publishB([started(1)]);
    await publishA([started(2)]);
    expect(await take(atA, 2)).toEqual([1, 2]);
    expect(await take(atB, 2)).toEqual([1, 2]);
  });

  it('holds one backend subscription per process, however many listeners', async () => {
    const processes = [fixture.process(), fixture.process()];
    // Concurrent subscribes: the later ones arrive while the first SUBSCRIBE is still in flight.
    await Promise.all(processes.flatMap(({ feed }) => range(1, 5).map(() => feed.subscribe(() => {}))));
    const feeds = new Set(processes.map(({ feed }) => feed));
    expect([...feeds].reduce((sum, feed) => sum + feed.listenerCount, 0)).toBe(10);
    if (engine.has.backendSubscriptions) expect(await fixture.backendSubscriptions()).toBe(processes.length);
  });

  it('removes every listener on close and releases the backend subscription', async () => {
    const { feed } = fixture.process();
    await listen(feed);
    await listen(feed);
    await feed.close();
    expect(feed.listenerCount).toBe(0);
    if (engine.has.backendSubscriptions) expect(await fixture.backendSubscriptions()).toBe(0);
  });

  if (engine.has.rawChannel) {
    it('drops and reports malformed messages, and delivers the good ones after them', async () => {
      const { feed } = fixture.process();
      const received = await listen(feed);
      await fixture.publishRaw('not json');
      await fixture.publishRaw(JSON.stringify([{ type: 'SessionStarted', cursor: 1 }]));
      // One bad element spoils the whole message: none of it is delivered.
      await fixture.publishRaw(encodeChanges([started(1)]).replace(/\]$/, ',{"type":"Mystery","cursor":2,"at":0}]'));
      await fixture.publisher()([started(3)]);
      expect(await take(received, 1)).toEqual([3]);
      expect(received.seen).toHaveLength(1);
      expect(fixture.malformed.seen).toHaveLength(3);
      for (const error of fixture.malformed.seen) expect(error).toBeInstanceOf(MalformedChangeError);
    });
  }

  if (engine.has.failingConnections) {
    it('rejects subscribe when the backend cannot subscribe, adding no listener', async () => {
      const { feed, breakSubscriber } = fixture.process();
      await breakSubscriber();
      await expect(feed.subscribe(() => {})).rejects.toThrow(/closed/i);
      expect(feed.listenerCount).toBe(0);
    });
  }
});

/**
 * What only the sharded feed does: partitions spread over the masters, no
 * classic pub/sub at all, and a master restarted under a live feed. Order
 * across channels is not defined, so deliveries over several channels are
 * compared as sets.
 */
describe('ChangeFeed on Redis Cluster: one sharded channel per partition', () => {
  let cluster: SpawnedCluster;
  let admin: Cluster;
  let closing: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    cluster = await testCluster();
    admin = connectTestCluster(cluster);
    await once(admin, 'ready');
  }, 60_000);
  afterAll(async () => {
    await admin?.quit();
  });
  afterEach(async () => {
    await Promise.all(closing.map((close) => close()));
    closing = [];
  });

  /** A feed on `channels` in a process of its own, closed after the test. */
  function openFeed(channels: readonly string[], onDisconnect?: () => void): ChangeFeed {
    const subscriber = connectTestCluster(cluster, { forFeed: true });
    const feed = createShardedFeed({ subscriber, channels, onDisconnect });
    closing.push(async () => {
      await feed.close();
      await subscriber.quit();
    });
    return feed;
  }

  /** SPUBLISHes one write on a channel, as a partition's store would; resolves with the number of receiving clients. */
  async function publish(channel: string, changes: readonly ActivityChange[]): Promise<number> {
    return Number(await admin.spublish(channel, encodeChanges(changes)));
  }

  /** The master (`host:port`) that serves a channel. */
  function masterOf(channel: string): string {
    const master = admin.slots[calculateSlot(channel)]?.[0];
    if (!master) throw new Error(`no master for ${channel}`);
    return master;
  }

  /** One change on each channel, channel i carrying cursor `first + i`; resolves with the receivers of each. */
  function publishOnEach(channels: readonly string[], first: number): Promise<number[]> {
    return Promise.all(channels.map((channel, i) => publish(channel, [started(first + i)])));
  }

  const sorted = (cursors: number[]): number[] => [...cursors].sort((a, b) => a - b);

  it('refuses a Cluster that cannot follow its channels: one that never reloads its slot map', () => {
    const nodes = cluster.ports.map((port) => ({ host: '127.0.0.1', port }));
    const subscriber = new Cluster(nodes, { lazyConnect: true });
    expect(() => createShardedFeed({ subscriber, channels: partitionChannels('sharded-feed') })).toThrow(/a slotsRefreshInterval/);
    subscriber.disconnect();
  });

  it('spreads the 18 partition channels evenly over the three masters, and each delivers', async () => {
    const channels = partitionChannels('sharded-feed');
    const perMaster = new Map<string, number>();
    for (const channel of channels) perMaster.set(masterOf(channel), (perMaster.get(masterOf(channel)) ?? 0) + 1);
    expect([...perMaster.values()]).toEqual([6, 6, 6]);
    const received = await listen(openFeed(channels));
    // Each SPUBLISH reached exactly one client: this process's subscriber connection to the channel's master.
    expect(await publishOnEach(channels, 1)).toEqual(channels.map(() => 1));
    expect(sorted(await take(received, channels.length))).toEqual(range(1, channels.length));
    expect([...(await shardSubscribers(admin, channels)).values()]).toEqual(channels.map(() => 1));
  });

  it('uses no classic pub/sub: nothing PUBLISHed or SUBSCRIBEd on any master, every channel SSUBSCRIBEd', async () => {
    const masters = await mastersOf(admin);
    await Promise.all(masters.map((master) => master.config('RESETSTAT')));
    const channels = partitionChannels('sharded-feed');
    const received = await listen(openFeed(channels));
    await publishOnEach(channels, 1);
    await take(received, channels.length);
    for (const master of masters) {
      const stats = await master.info('commandstats');
      expect(stats).not.toMatch(/^cmdstat_(publish|subscribe|psubscribe):/m);
      expect(stats).toMatch(/^cmdstat_ssubscribe:calls=\d+/m);
      expect(stats).toMatch(/^cmdstat_spublish:calls=\d+/m);
      expect(await master.pubsub('CHANNELS')).toEqual([]);
      const classic = (await master.pubsub('NUMSUB', ...channels)) as (string | number)[];
      expect(classic.filter((_, i) => i % 2 === 1).map(Number)).toEqual(channels.map(() => 0));
    }
  });

  it('reports a restarted master once, refuses subscribers until its channels are back, and then delivers on them again', async () => {
    const channels = partitionChannels('sharded-feed');
    const restarted = `127.0.0.1:${cluster.ports[1]}`;
    const onRestarted = channels.filter((channel) => masterOf(channel) === restarted);
    const elsewhere = channels.filter((channel) => masterOf(channel) !== restarted);
    expect(onRestarted).toHaveLength(6);
    const disconnects = new EventQueue<true>();
    const feed = openFeed(channels, () => disconnects.push(true));
    const received = await listen(feed);

    const restarting = cluster.restartNode(1);
    await disconnects.next(20_000, 'onDisconnect');
    // Called as the outage is reported, before any I/O could bring the master back.
    await expect(feed.subscribe(() => {})).rejects.toThrow(/resubscribing/);
    // The other masters' channels are not part of the outage.
    expect(await publishOnEach(elsewhere, 1)).toEqual(elsewhere.map(() => 1));
    expect(sorted(await take(received, elsewhere.length))).toEqual(range(1, elsewhere.length));
    await restarting;

    // No event says "live again" but subscribe itself, which resolves once every channel is confirmed.
    await waitUntil(() => feed.subscribe(() => {}).then(() => true, () => false), 20_000, { intervalMs: 50, what: 'the feed to take subscribers again' });
    expect(await publishOnEach(channels, 101)).toEqual(channels.map(() => 1));
    expect(sorted(await take(received, channels.length))).toEqual(range(101, 100 + channels.length));
    expect(disconnects.seen).toHaveLength(1);
    // Resubscribed once: one subscription per channel, on the restarted master too.
    expect([...(await shardSubscribers(admin, onRestarted)).values()]).toEqual(onRestarted.map(() => 1));
  }, 60_000);
});

/**
 * With several partitions a change's cursor counts in its partition's log,
 * and nothing in the message says which: the feed tells it from the channel
 * it came on (channel i of the list is partition i). With one partition the
 * changes carry no `partition` (absent means 0), as before partitions.
 */
describe('ChangeFeed: the partition of each change is its channel', () => {
  const closing: (() => Promise<void>)[] = [];
  afterEach(async () => {
    await Promise.all(closing.splice(0).map((close) => close()));
  });

  it('on one Redis, listens on every channel of the list and marks each change with its channel index', async () => {
    const prefix = uniquePrefix('feed-partitions');
    const channels = [0, 1, 2].map((i) => `${prefix}changes:{p${i}}`);
    const subscriber = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1, enableReadyCheck: false });
    const admin = connectTestRedis();
    const feed = createRedisFeed({ subscriber, channels });
    closing.push(async () => {
      await feed.close();
      await Promise.all([subscriber.quit(), admin.quit()]);
    });
    const received = await listen(feed);
    // One subscription per channel, whatever the listeners.
    expect((await admin.pubsub('NUMSUB', ...channels)).filter((_, i) => i % 2 === 1).map(Number)).toEqual([1, 1, 1]);
    for (const [partition, channel] of channels.entries()) await admin.publish(channel, encodeChanges([started(10 + partition), started(20 + partition)]));
    const got = await Promise.all(range(1, 6).map(() => received.next()));
    expect(got.map((change) => [change.partition, change.cursor])).toEqual([
      [0, 10],
      [0, 20],
      [1, 11],
      [1, 21],
      [2, 12],
      [2, 22],
    ]);
  });

  it('on one Redis with one channel, leaves `partition` out', async () => {
    const channel = redisKeys(uniquePrefix('feed-one')).changesChannel;
    const subscriber = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1, enableReadyCheck: false });
    const admin = connectTestRedis();
    const feed = createRedisFeed({ subscriber, channels: [channel] });
    closing.push(async () => {
      await feed.close();
      await Promise.all([subscriber.quit(), admin.quit()]);
    });
    const received = await listen(feed);
    await admin.publish(channel, encodeChanges([started(1)]));
    expect(await received.next()).toEqual(started(1));
  });

  it('on Redis Cluster, marks each change with the index of the sharded channel it came on', async () => {
    const cluster = await testCluster();
    const channels = partitionChannels('feed-partitions');
    const subscriber = connectTestCluster(cluster, { forFeed: true });
    const admin = connectTestCluster(cluster);
    const feed = createShardedFeed({ subscriber, channels });
    closing.push(async () => {
      await feed.close();
      await Promise.all([subscriber.quit(), admin.quit()]);
    });
    const received = await listen(feed);
    expect(feed.live).toBe(true);
    await Promise.all(channels.map((channel, partition) => admin.spublish(channel, encodeChanges([started(100 + partition)]))));
    const got = await Promise.all(channels.map(() => received.next()));
    // Each channel's one change came with its own index, whatever order the masters delivered them in.
    expect(got.map((change) => [change.partition, change.cursor]).sort(([a = 0], [b = 0]) => a - b)).toEqual(channels.map((_, i) => [i, 100 + i]));
  }, 60_000);
});
