import { once } from 'node:events';
import calculateSlot from 'cluster-key-slot';
import { Redis, type Cluster } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createShardedFeed } from '../../server/bus/redis-sharded.js';
import type { ChangeFeed } from '../../server/bus/types.js';
import { encodeChanges } from '../../server/domain/change-codec.js';
import { EventQueue } from '../support/event-queue.js';
import { listen, partitionChannels, range, started, take } from '../support/feed-changes.js';
import { beginSlotMigration, connectTestCluster, migrateSlot, spawnRedisCluster, type SpawnedCluster } from '../support/redis-cluster.js';
import { waitUntil } from '../support/wait.js';

/**
 * The sharded change feed while Redis Cluster moves a slot from one master to
 * another (resharding), the way `redis-cli --cluster reshard` does it. When
 * the source lets the slot go it pushes an unsolicited `sunsubscribe` for the
 * slot's shard channels to their subscribers; the feed must take that as the
 * loss it is (reported once), follow the slot to its new master, and never
 * let it reach ioredis as an uncaught exception (vitest fails the run on
 * one, and on an unhandled rejection).
 */
describe('ChangeFeed on Redis Cluster: a slot moves to another master', () => {
  let cluster: SpawnedCluster;
  let admin: Cluster;
  let closing: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    cluster = await spawnRedisCluster(3);
    admin = connectTestCluster(cluster);
    await once(admin, 'ready');
  }, 60_000);
  afterAll(async () => {
    await admin?.quit();
    await cluster?.dispose();
  });
  afterEach(async () => {
    await Promise.all(closing.map((close) => close()));
    closing = [];
  });

  /** A feed on `channels` in a process of its own, closed after the test. */
  function openFeed(channels: readonly string[], onDisconnect?: () => void): { feed: ChangeFeed; subscriber: Cluster } {
    const subscriber = connectTestCluster(cluster, { forFeed: true });
    const feed = createShardedFeed({ subscriber, channels, onDisconnect });
    closing.push(async () => {
      await feed.close();
      if (subscriber.status !== 'end') await subscriber.quit();
    });
    return { feed, subscriber };
  }

  /** SPUBLISHes one change, as a partition's store would; resolves with the number of clients that received it. */
  async function publish(channel: string, cursor: number): Promise<number> {
    return Number(await admin.spublish(channel, encodeChanges([started(cursor)])));
  }

  /** The index in `cluster.ports` of the master that serves `channel`, as every master agrees after a move. */
  async function masterIndexOf(channel: string): Promise<number> {
    const owners = await Promise.all(cluster.ports.map((port) => withNode(port, (node) => slotOwner(node, calculateSlot(channel)))));
    if (new Set(owners).size !== 1) throw new Error(`the masters disagree on the owner of ${channel}: ${owners.join(', ')}`);
    return cluster.ports.indexOf(owners[0] as number);
  }

  /** Subscriptions to `channel` held by each master, in `cluster.ports` order. */
  function subscriptionsPerMaster(channel: string): Promise<number[]> {
    return Promise.all(
      cluster.ports.map((port) => withNode(port, async (node) => Number(((await node.call('PUBSUB', 'SHARDNUMSUB', channel)) as [string, number])[1]))),
    );
  }

  /** Moves the slot of `channel` to the next master; resolves with the master's index. */
  async function moveToNextMaster(channel: string): Promise<number> {
    const to = ((await masterIndexOf(channel)) + 1) % cluster.ports.length;
    await migrateSlot(cluster.ports, calculateSlot(channel), to);
    return to;
  }

  /** Resolves once `subscribe` resolves again: no event says "live again" but subscribe itself. */
  function liveAgain(feed: ChangeFeed): Promise<unknown> {
    return waitUntil(() => feed.subscribe(() => {}).then(() => true, () => false), 20_000, { intervalMs: 20, what: 'the feed to take subscribers again' });
  }

  it('ioredis 5 meets the unsolicited sunsubscribe as a reply to no command: an error event, fatal on a connection without a listener', async () => {
    // The root cause, pinned: the feed relies on ioredis reporting it this way (and on having a listener).
    const channel = partitionChannels('resharding')[0] as string;
    const owner = await masterIndexOf(channel);
    const connection = new Redis({ port: cluster.ports[owner] as number, host: '127.0.0.1', retryStrategy: () => null });
    const errors = new EventQueue<Error>();
    connection.on('error', errors.push);
    try {
      await connection.ssubscribe(channel);
      await migrateSlot(cluster.ports, calculateSlot(channel), (owner + 1) % cluster.ports.length);
      const error = await errors.next(10_000, 'the error event');
      expect(error.message).toMatch(/^Command queue state error\..*Last reply: sunsubscribe,/);
      expect(error.message).toContain(channel);
    } finally {
      connection.disconnect();
    }
  }, 30_000);

  it('reports the move once, delivers on the moved channel at its new master, and on the others throughout; then moves back', async () => {
    const channels = partitionChannels('resharding');
    const moved = channels[0] as string;
    const others = channels.slice(1);
    const from = await masterIndexOf(moved);
    const disconnects = new EventQueue<true>();
    const { feed } = openFeed(channels, () => disconnects.push(true));
    const received = await listen(feed);
    // A key in the slot, so that the migration has one to MIGRATE, as a real partition would.
    await admin.set(`${moved}:key`, 'value');

    let cursor = 0;
    /** After a move to master `at`: reported, the others delivering, live again at `at` alone. */
    const afterMove = async (at: number, what: string): Promise<void> => {
      await disconnects.next(10_000, `onDisconnect after ${what}`);
      // The other channels were never part of the loss: each SPUBLISH reaches this feed.
      expect(await Promise.all(others.map((channel) => publish(channel, ++cursor)))).toEqual(others.map(() => 1));
      await liveAgain(feed);
      expect(await publish(moved, ++cursor)).toBe(1);
      expect(sorted(await take(received, others.length + 1))).toEqual(range(cursor - others.length, cursor));
      expect(await subscriptionsPerMaster(moved)).toEqual(cluster.ports.map((_, i) => (i === at ? 1 : 0)));
    };

    await afterMove(await moveToNextMaster(moved), 'the move');
    await migrateSlot(cluster.ports, calculateSlot(moved), from);
    await afterMove(from, 'the move back');
    expect(await admin.get(`${moved}:key`)).toBe('value');
    // Once per move.
    expect(disconnects.seen).toHaveLength(2);
  }, 60_000);

  it('delivers every change a client received under a steady publish loop while the slot moves, and reports the loss once', async () => {
    const channels = partitionChannels('resharding');
    const moved = channels[1] as string;
    const disconnects = new EventQueue<true>();
    const { feed } = openFeed(channels, () => disconnects.push(true));
    const received = await listen(feed);

    // One SPUBLISH after another, round robin over every channel, until told to stop.
    const outcomes: { channel: string; cursor: number; receivers: number }[] = [];
    let publishing = true;
    const loop = (async () => {
      for (let cursor = 1; publishing; cursor++) {
        const channel = channels[cursor % channels.length] as string;
        outcomes.push({ channel, cursor, receivers: await publish(channel, cursor) });
      }
    })();
    await waitUntil(() => outcomes.length >= channels.length * 3, 10_000, { what: 'three rounds of publishing before the move' });
    const to = await moveToNextMaster(moved);
    await disconnects.next(10_000, 'onDisconnect');
    await liveAgain(feed);
    const after = outcomes.length;
    await waitUntil(() => outcomes.length >= after + channels.length * 3, 10_000, { what: 'three rounds of publishing after the move' });
    publishing = false;
    await loop;

    // The other channels never stopped: every SPUBLISH on them reached this feed.
    const onOthers = outcomes.filter((outcome) => outcome.channel !== moved);
    expect(onOthers.filter((outcome) => outcome.receivers !== 1)).toEqual([]);
    // At most once: what a client received arrives exactly once; what went out while the channel was lost is gone.
    const delivered = outcomes.filter((outcome) => outcome.receivers === 1).map((outcome) => outcome.cursor);
    expect(sorted(await take(received, delivered.length))).toEqual(delivered);
    expect(received.drain()).toEqual([]);
    // Live again on the moved channel, at its new master alone.
    expect(outcomes.slice(after).filter((outcome) => outcome.channel === moved && outcome.receivers !== 1)).toEqual([]);
    expect(await subscriptionsPerMaster(moved)).toEqual(cluster.ports.map((_, i) => (i === to ? 1 : 0)));
    expect(disconnects.seen).toHaveLength(1);
  }, 60_000);

  it('closes cleanly in the middle of a migration, holding no subscription anywhere afterwards', async () => {
    const channels = partitionChannels('resharding');
    const moved = channels[2] as string;
    const disconnects = new EventQueue<true>();
    const { feed } = openFeed(channels, () => disconnects.push(true));
    await listen(feed);
    const migration = await beginSlotMigration(cluster.ports, calculateSlot(moved), ((await masterIndexOf(moved)) + 1) % 3);
    // The slot is migrating: the feed is still live on it, at its source.
    expect(await subscriptionsPerMaster(moved)).toEqual(cluster.ports.map((_, i) => (i === migration.from ? 1 : 0)));
    const finishing = migration.finish();
    await disconnects.next(10_000, 'onDisconnect');
    // Closed while it resubscribes the moved channel at its new master.
    await feed.close();
    await finishing;
    expect(feed.listenerCount).toBe(0);
    await expect(feed.subscribe(() => {})).rejects.toThrow(/closed/);
    for (const channel of channels) expect(await subscriptionsPerMaster(channel)).toEqual([0, 0, 0]);
  }, 30_000);
});


/** Runs `use` on a connection of its own to the node on `port`. */
async function withNode<T>(port: number, use: (node: Redis) => Promise<T>): Promise<T> {
  const node = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  try {
    return await use(node);
  } finally {
    node.disconnect();
  }
}

/** The port of the master that owns `slot`, as `node` sees it. */
async function slotOwner(node: Redis, slot: number): Promise<number> {
  const range = (await node.cluster('SLOTS')).find(([first, last]) => slot >= first && slot <= last);
  const port = range?.[2]?.[1];
  if (port === undefined) throw new Error(`no master owns slot ${slot}`);
  return Number(port);
}

const sorted = (cursors: number[]): number[] => [...cursors].sort((a, b) => a - b);

