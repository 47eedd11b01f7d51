import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MalformedChangeError, encodeChanges } from '../../server/bus/codec.js';
import { createMemoryBus } from '../../server/bus/memory.js';
import { createRedisBus } from '../../server/bus/redis.js';
import type { EventBus } from '../../server/bus/types.js';
import type { ActivityChange } from '../../server/domain/activity.js';
import { redisKeys } from '../../server/redis/keys.js';
import { EventQueue } from '../support/event-queue.js';
import { connectTestRedis, uniquePrefix } from '../support/redis.js';

/** One Pulse process's handle on the bus backend. */
interface BusProcess {
  readonly bus: EventBus;
  /** Makes the backend refuse this process's publishes: its publisher connection is closed. */
  breakPublisher(): Promise<void>;
  /** Makes the backend refuse this process's subscription: its subscriber connection is closed. */
  breakSubscriber(): Promise<void>;
}

/** A bus backend for one test, shared by every process opened on it. */
interface BusFixture {
  /** Opens another process on the backend. */
  process(): BusProcess;
  /** What listeners threw, in every process. */
  readonly listenerErrors: EventQueue<unknown>;
  /** Malformed messages reported, in every process. */
  readonly malformed: EventQueue<unknown>;
  /** Publishes text on the channel past the codec, as a foreign or buggy publisher would. */
  publishRaw(text: string): Promise<void>;
  /** Backend subscriptions to the channel, over all processes. */
  backendSubscriptions(): Promise<number>;
  /** Closes every bus, then every connection. */
  close(): Promise<void>;
}

/** An implementation under test and what it can do; a test needing a missing capability is not registered. */
interface BusEngine {
  readonly name: string;
  readonly has: {
    /** `publishRaw` works. */
    readonly rawChannel: boolean;
    /** `backendSubscriptions` works. */
    readonly backendSubscriptions: boolean;
    /** `breakPublisher` and `breakSubscriber` work. */
    readonly failingConnections: boolean;
  };
  open(): BusFixture;
}

const unsupported = async (): Promise<never> => {
  throw new Error('not supported by this engine');
};

function openMemory(): BusFixture {
  const listenerErrors = new EventQueue<unknown>();
  // The memory bus is one process by definition: every "process" is that one bus.
  const bus = createMemoryBus({ onListenerError: listenerErrors.push });
  return {
    process: () => ({ bus, breakPublisher: unsupported, breakSubscriber: unsupported }),
    listenerErrors,
    malformed: new EventQueue<unknown>(),
    publishRaw: unsupported,
    backendSubscriptions: unsupported,
    close: () => bus.close(),
  };
}

function openRedis(): BusFixture {
  const channel = redisKeys(uniquePrefix('bus')).changesChannel;
  const admin = connectTestRedis();
  const clients: Redis[] = [admin];
  const buses: EventBus[] = [];
  const listenerErrors = new EventQueue<unknown>();
  const malformed = new EventQueue<unknown>();
  const connect = (): Redis => {
    const client = connectTestRedis();
    clients.push(client);
    return client;
  };
  return {
    process() {
      const [publisher, subscriber] = [connect(), connect()];
      const bus = createRedisBus({ publisher, subscriber, channel, onListenerError: listenerErrors.push, onMalformed: malformed.push });
      buses.push(bus);
      return {
        bus,
        breakPublisher: async () => void (await publisher.quit()),
        breakSubscriber: async () => void (await subscriber.quit()),
      };
    },
    listenerErrors,
    malformed,
    publishRaw: async (text) => void (await admin.publish(channel, text)),
    backendSubscriptions: async () => Number((await admin.pubsub('NUMSUB', channel))[1]),
    async close() {
      await Promise.all(buses.map((bus) => bus.close()));
      await Promise.all(clients.filter((client) => client.status !== 'end').map((client) => client.quit()));
    },
  };
}

const engines: BusEngine[] = [
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

async function listen(bus: EventBus): Promise<EventQueue<ActivityChange>> {
  const queue = new EventQueue<ActivityChange>();
  await bus.subscribe(queue.push);
  return queue;
}

/** The cursors of the next `n` changes. */
async function take(queue: EventQueue<ActivityChange>, n: number): Promise<number[]> {
  const cursors: number[] = [];
  while (cursors.length < n) cursors.push((await queue.next(5_000, `change ${cursors.length + 1} of ${n}`)).cursor);
  return cursors;
}

describe.each(engines.map((engine) => [engine.name, engine] as const))('EventBus contract: %s', (_name, engine) => {
  let fixture: BusFixture;
  beforeEach(() => {
    fixture = engine.open();
  });
  afterEach(async () => {
    await fixture.close();
  });

  it('delivers the changes of successive publishes in publish order', async () => {
    const { bus } = fixture.process();
    const received = await listen(bus);
    const cursors = range(1, 30);
    await Promise.all(cursors.map((cursor) => bus.publish([started(cursor)])));
    expect(await take(received, cursors.length)).toEqual(cursors);
  });

  it('delivers each batch whole and in order, never interleaved with another batch', async () => {
    const a = fixture.process();
    const b = fixture.process();
    const received = await listen(a.bus);
    const batchesOfA = chunk(range(1, 30), 3);
    const batchesOfB = chunk(range(101, 130), 3);
    await Promise.all([
      ...batchesOfA.map((batch) => a.bus.publish(batch.map(started))),
      ...batchesOfB.map((batch) => b.bus.publish(batch.map(started))),
    ]);
    const got = chunk(await take(received, 60), 3);
    expect(got.filter(([first = 0]) => first < 100)).toEqual(batchesOfA);
    expect(got.filter(([first = 0]) => first > 100)).toEqual(batchesOfB);
  });

  it('delivers the same changes, whole, to every listener', async () => {
    const { bus } = fixture.process();
    const listeners = [await listen(bus), await listen(bus), await listen(bus)];
    await bus.publish([started(1), started(2)]);
    for (const received of listeners) {
      await take(received, 2);
      expect(received.seen).toEqual([started(1), started(2)]);
    }
  });

  it('stops delivering to a removed listener, and only to it', async () => {
    const { bus } = fixture.process();
    const kept = await listen(bus);
    const removed = new EventQueue<ActivityChange>();
    const remove = await bus.subscribe(removed.push);
    expect(bus.listenerCount).toBe(2);
    remove();
    remove();
    expect(bus.listenerCount).toBe(1);
    await bus.publish([started(1)]);
    // Both listeners hang off the same delivery, so once `kept` has the change, `removed` would have it too.
    expect(await take(kept, 1)).toEqual([1]);
    expect(removed.seen).toEqual([]);
  });

  it('reports what a listener throws and still delivers to the others', async () => {
    const { bus } = fixture.process();
    const failure = new Error('listener failed');
    await bus.subscribe(() => {
      throw failure;
    });
    const received = await listen(bus);
    await bus.publish([started(1), started(2)]);
    expect(await take(received, 2)).toEqual([1, 2]);
    expect([await fixture.listenerErrors.next(), await fixture.listenerErrors.next()]).toEqual([failure, failure]);
  });

  it('delivers to every process, whichever process published', async () => {
    const a = fixture.process();
    const b = fixture.process();
    const atA = await listen(a.bus);
    const atB = await listen(b.bus);
    // Published right after subscribe resolved: the subscription must already be live.
    await b.bus.publish([started(1)]);
    await a.bus.publish([started(2)]);
    expect(await take(atA, 2)).toEqual([1, 2]);
    expect(await take(atB, 2)).toEqual([1, 2]);
  });

  it('holds one backend subscription per process, however many listeners', async () => {
    const processes = [fixture.process(), fixture.process()];
    // Concurrent subscribes: the later ones arrive while the first SUBSCRIBE is still in flight.
    await Promise.all(processes.flatMap(({ bus }) => range(1, 5).map(() => bus.subscribe(() => {}))));
    const buses = new Set(processes.map(({ bus }) => bus));
    expect([...buses].reduce((sum, bus) => sum + bus.listenerCount, 0)).toBe(10);
    if (engine.has.backendSubscriptions) expect(await fixture.backendSubscriptions()).toBe(processes.length);
  });

  it('removes every listener on close and releases the backend subscription', async () => {
    const { bus } = fixture.process();
    await listen(bus);
    await listen(bus);
    await bus.close();
    expect(bus.listenerCount).toBe(0);
    if (engine.has.backendSubscriptions) expect(await fixture.backendSubscriptions()).toBe(0);
  });

  if (engine.has.rawChannel) {
    it('drops and reports malformed messages, and delivers the good ones after them', async () => {
      const { bus } = fixture.process();
      const received = await listen(bus);
      await fixture.publishRaw('not json');
      await fixture.publishRaw(JSON.stringify([{ type: 'SessionStarted', cursor: 1 }]));
      // One bad element spoils the whole message: none of it is delivered.
      await fixture.publishRaw(encodeChanges([started(1)]).replace(/\]$/, ',{"type":"Mystery","cursor":2,"at":0}]'));
      await bus.publish([started(3)]);
      expect(await take(received, 1)).toEqual([3]);
      expect(received.seen).toHaveLength(1);
      expect(fixture.malformed.seen).toHaveLength(3);
      for (const error of fixture.malformed.seen) expect(error).toBeInstanceOf(MalformedChangeError);
    });
  }

  if (engine.has.failingConnections) {
    it('rejects publish when the backend cannot take it', async () => {
      const { bus, breakPublisher } = fixture.process();
      await listen(bus);
      await breakPublisher();
      await expect(bus.publish([started(1)])).rejects.toThrow(/closed/i);
    });

    it('rejects subscribe when the backend cannot subscribe, adding no listener', async () => {
      const { bus, breakSubscriber } = fixture.process();
      await breakSubscriber();
      await expect(bus.subscribe(() => {})).rejects.toThrow(/closed/i);
      expect(bus.listenerCount).toBe(0);
    });
  }
});
