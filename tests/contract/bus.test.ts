import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryFeed } from '../../server/bus/memory.js';
import { createRedisFeed } from '../../server/bus/redis.js';
import type { ChangeFeed } from '../../server/bus/types.js';
import type { ActivityChange } from '../../server/domain/activity.js';
import { MalformedChangeError, encodeChanges } from '../../server/domain/change-codec.js';
import { redisKeys } from '../../server/redis/keys.js';
import { EventQueue } from '../support/event-queue.js';
import { connectTestRedis, testRedisUrl, uniquePrefix } from '../support/redis.js';

/**
 * The ChangeFeed contract, written once and run against every engine. The
 * feed is subscribe-only; changes are published the way the one real
 * publisher, the store, publishes them: in memory through the delivery
 * function the memory store is given, on Redis with a raw PUBLISH of the
 * encoded changes on the channel, as the store's Lua scripts do.
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
  /** Publishes text on the channel past the codec, as a foreign or buggy publisher would. */
  publishRaw(text: string): Promise<void>;
  /** Backend subscriptions to the channel, over all processes. */
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
      const feed = createRedisFeed({ subscriber, channel, onListenerError: listenerErrors.push, onMalformed: malformed.push });
      feeds.push(feed);
      return { feed, breakSubscriber: async () => void (await subscriber.quit()) };
    },
    publisher() {
      const client = connect();
      return async (changes) => void (await client.publish(channel, encodeChanges(changes)));
    },
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

const engines: FeedEngine[] = [
  { name: 'memory', has: { rawChannel: false, backendSubscriptions: false, failingConnections: false }, open: openMemory },
  { name: 'redis', has: { rawChannel: true, backendSubscriptions: true, failingConnections: true }, open: openRedis },
];

function started(cursor: number): ActivityChange {
  const at = 1_700_000_000_000 + cursor;
  return {
    type: 'SessionStarted',
    cursor,
    at,
    session: { id: `s${cursor}`, userId: 'u1', userName: 'Ann', ipAddress: null, path: '/home', userAgent: null, startedAt: at, lastSeen: at, eventCount: 1 },
  };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  return range(0, Math.ceil(items.length / size) - 1).map((i) => items.slice(i * size, (i + 1) * size));
}

async function listen(feed: ChangeFeed): Promise<EventQueue<ActivityChange>> {
  const queue = new EventQueue<ActivityChange>();
  await feed.subscribe(queue.push);
  return queue;
}

/** The cursors of the next `n` changes. */
async function take(queue: EventQueue<ActivityChange>, n: number): Promise<number[]> {
  const cursors: number[] = [];
  while (cursors.length < n) cursors.push((await queue.next(5_000, `change ${cursors.length + 1} of ${n}`)).cursor);
  return cursors;
}

describe.each(engines.map((engine) => [engine.name, engine] as const))('ChangeFeed contract: %s', (_name, engine) => {
  let fixture: FeedFixture;
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
      expect(received.seen).toEqual([started(1), started(2)]);
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
