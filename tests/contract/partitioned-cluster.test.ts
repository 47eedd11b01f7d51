import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Cluster, type Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityRecordInput } from '../../server/domain/activity.js';
import { changeChannels, partitionKeys, redisKeys } from '../../server/redis/keys.js';
import { loadLua, runLua } from '../../server/redis/lua.js';
import { DEFAULT_PARTITIONS, partitionTags, slotOfTag } from '../../server/redis/partitions.js';
import { createPartitionedRedisStore } from '../../server/store/partitioned.js';
import { createRedisStore } from '../../server/store/redis.js';
import { countCommands } from '../bench/redis-commands.js';
import { masterSlotRanges, partitionsPerMaster, type SlotRange } from '../support/cluster-slots.js';
import { connectTestCluster } from '../support/redis-cluster.js';
import { connectTestRedis, uniquePrefix } from '../support/redis.js';
import { useTestCluster } from '../support/store-engines.js';

/**
 * Where partitions live (issue 12): the default tags balanced over a 3-,
 * 6- or 9-master cluster, checked by computation and on a real 3-master
 * cluster by where the store's keys land; changes published with SPUBLISH
 * only; and one partition exactly the one-Redis store of before.
 */

const T0 = 1_700_000_000_123;

function event(sessionId: string, userId: string): ActivityRecordInput {
  return { sessionId, userId, userName: null, ipAddress: null, path: '/p', userAgent: null, at: T0 };
}

describe('partition tags over the masters', () => {
  it.each([
    [3, 6],
    [6, 3],
    [9, 2],
  ])('puts the %i masters of a default cluster %i default partitions each', (masters, each) => {
    expect(partitionsPerMaster(partitionTags(DEFAULT_PARTITIONS), masterSlotRanges(masters))).toEqual(new Array<number>(masters).fill(each));
  });

  it('keeps one partition under the tag every key had before partitions', () => {
    const keys = redisKeys('p:');
    const [only] = partitionKeys('p:', 1);
    expect(partitionTags(1)).toEqual(['pulse']);
    expect(only && [only.seq, only.session('s'), only.userSessions('u'), only.eventsInMinute(1), only.changesChannel]).toEqual([
      keys.seq,
      keys.session('s'),
      keys.userSessions('u'),
      keys.eventsInMinute(1),
      keys.changesChannel,
    ]);
    expect(changeChannels('p:', 1)).toEqual(['p:changes']);
    expect(changeChannels('p:', 3)).toEqual(partitionTags(3).map((tag) => keys.changesChannelOf(tag)));
    expect(partitionKeys('p:', 3).map((k) => k.changesChannel)).toEqual(changeChannels('p:', 3));
  });
});

describe('one partition is the one-Redis store', () => {
  it('reads what the one-Redis store wrote, under the same keys, on the same channel', async () => {
    const prefix = uniquePrefix('one-partition');
    const [redis, subscriber] = [connectTestRedis(), connectTestRedis()];
    const messages: string[] = [];
    subscriber.on('message', (_channel: string, message: string) => messages.push(message));
    await subscriber.subscribe(redisKeys(prefix).changesChannel);
    const before = createRedisStore({ redis, keys: redisKeys(prefix) });
    const after = createPartitionedRedisStore({ redis, prefix, partitions: 1, publish: 'PUBLISH' });
    await before.record([event('s1', 'u1')], T0);
    const { epoch, cursor } = await before.snapshot({ first: 1 }, T0, 1);
    await after.record([event('s2', 'u2')], T0);
    expect(after.partitions).toBe(1);
    expect(await after.snapshot({ first: 5 }, T0, 1)).toMatchObject({ epoch, cursor: [4], stats: { activeSessions: 2 } });
    expect(await after.replay({ epoch, since: cursor, limit: 10 }, T0)).toMatchObject({ recovered: true, cursor: [4] });
    await expect.poll(() => messages.length).toBe(2);
    await redis.del(...(await redis.keys(`${prefix}*`)));
    await Promise.all([redis.quit(), subscriber.quit()]);
  });
});

describe('partitions on a real 3-master Redis Cluster', () => {
  const cluster = useTestCluster();
  let client: Cluster;
  let masters: Redis[];

  beforeAll(() => {
    client = connectTestCluster(cluster());
    masters = cluster().ports.map((port) => connectTestRedis(`redis://127.0.0.1:${port}`));
  });
  afterAll(async () => {
    await Promise.all([client.quit(), ...masters.map((master) => master.quit())]);
  });

  it('splits the slots as the tags expect (CLUSTER SHARDS), so the default partitions sit 6 on each master', async () => {
    const shards = (await client.cluster('SHARDS')) as unknown[][];
    const ranges = shards
      .map((shard): SlotRange => {
        const slots = shard[shard.indexOf('slots') + 1] as number[];
        return [slots[0] as number, slots[1] as number];
      })
      .sort((a, b) => a[0] - b[0]);
    expect(ranges).toEqual(masterSlotRanges(3));
    expect(partitionsPerMaster(partitionTags(DEFAULT_PARTITIONS), ranges)).toEqual([6, 6, 6]);
  });

  it('writes each partition on its master, 6 of the 18 on each, and publishes with SPUBLISH alone', async () => {
    const prefix = uniquePrefix('balance');
    const store = createPartitionedRedisStore({ redis: client, prefix, partitions: DEFAULT_PARTITIONS, publish: 'SPUBLISH' });
    const inputs = Array.from({ length: 360 }, (_, i) => event(`s${i}`, `user-${i}`));
    // Loads the scripts on every master first, so that the count below is of steady-state calls.
    await store.record(inputs.slice(0, 36), T0);
    const { value: recorded, byCommand } = await countCommands(masters, () => store.recordCount(inputs.slice(36), T0));
    expect(recorded).toBe(324);
    expect(byCommand.publish).toBeUndefined();
    expect(byCommand.spublish).toBe(DEFAULT_PARTITIONS);
    const counters = await Promise.all(masters.map((master) => master.keys(`${prefix}*seq`)));
    expect(counters.map((keys) => keys.length)).toEqual([6, 6, 6]);
    const tags = partitionTags(DEFAULT_PARTITIONS);
    for (const [i, keys] of counters.entries()) {
      const [first, last] = masterSlotRanges(3)[i] as SlotRange;
      const slots = keys.map((key) => slotOfTag(tags.find((tag) => key.includes(`{${tag}}`)) as string));
      expect(slots.every((slot) => slot >= first && slot <= last)).toBe(true);
    }
    expect((await store.stats(T0, 1)).activeSessions).toBe(360);
    for (const [i, master] of masters.entries()) for (const key of counters[i] ?? []) await master.del(key);
  });

  it('runs one partition on the cluster too, its channel tagged like its keys', async () => {
    const prefix = uniquePrefix('one-on-cluster');
    const [channel] = changeChannels(prefix, 1, 'SPUBLISH');
    expect(channel).toBe(redisKeys(prefix).changesChannelOf('pulse'));
    const subscriber = new Cluster(cluster().ports.map((port) => ({ host: '127.0.0.1', port })), { shardedSubscribers: true });
    const messages: string[] = [];
    subscriber.on('smessage', (_channel: string, message: string) => messages.push(message));
    await subscriber.ssubscribe(channel as string);
    const store = createPartitionedRedisStore({ redis: client, prefix, partitions: 1, publish: 'SPUBLISH' });
    await store.record([event('s1', 'u1'), event('s2', 'u2')], T0);
    await expect.poll(() => messages.map((message) => (JSON.parse(message) as unknown[]).length)).toEqual([4]);
    expect((await store.snapshot({ first: 1 }, T0, 1)).cursor).toEqual([4]);
    await subscriber.quit();
  });

  it('runs a script on the master of its keys, loading it there on first use', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-lua-cluster-'));
    const name = `${randomUUID()}.lua`;
    writeFileSync(join(dir, name), `-- ${name}\nreturn { redis.call('INCR', KEYS[1]), redis.call('INCR', KEYS[2]) }`);
    const script = loadLua(pathToFileURL(`${dir}/`), [name]);
    // One partition's tag per master: three masters that have never seen the script.
    const keys = partitionTags(3).map((tag) => [`${uniquePrefix('lua')}{${tag}}:a`, `${uniquePrefix('lua')}{${tag}}:b`]);
    for (const pair of keys) expect(await runLua(client, script, pair, [])).toEqual([1, 1]);
    for (const pair of keys) expect(await runLua(client, script, pair, [])).toEqual([2, 2]);
    for (const pair of keys) await client.del(...pair);
    rmSync(dir, { recursive: true, force: true });
  });
});
