import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PARTITIONS, partitionTags } from '../../server/redis/partitions.js';
import { masterSlotRanges, partitionsPerMaster, type SlotRange } from '../support/cluster-slots.js';
import { spawnRedisCluster, type SpawnedCluster } from '../support/redis-cluster.js';

/** The Redis Cluster fixture itself: three real masters that share the slots and survive a restart. */
describe('the test Redis Cluster', () => {
  let cluster: SpawnedCluster;
  let client: Cluster;

  beforeAll(async () => {
    cluster = await spawnRedisCluster(3);
    client = new Cluster(cluster.nodes.map((node) => ({ host: node.split(':')[0], port: Number(node.split(':')[1]) })));
  }, 60_000);
  afterAll(async () => {
    await client?.quit();
    await cluster?.dispose();
  });

  it('has three masters that split the 16384 slots', async () => {
    const slots = (await client.cluster('SLOTS')) as [number, number, ...unknown[]][];
    const owned = slots.reduce((sum, [from, to]) => sum + (to - from + 1), 0);
    expect(owned).toBe(16_384);
    expect(new Set(slots.map((range) => JSON.stringify(range[2]))).size).toBe(3);
  });

  it('splits the slots as the partition tags expect, so the default partitions sit evenly on the masters', async () => {
    const slots = (await client.cluster('SLOTS')) as [number, number, ...unknown[]][];
    const ranges = slots.map(([first, last]): SlotRange => [first, last]).sort((a, b) => a[0] - b[0]);
    expect(ranges).toEqual(masterSlotRanges(3));
    expect(partitionsPerMaster(partitionTags(DEFAULT_PARTITIONS), ranges)).toEqual([6, 6, 6]);
  });

  it('routes keys to every master and keeps them across a master restart', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `fixture:${i}`);
    await Promise.all(keys.map((key) => client.set(key, key)));
    await cluster.restartNode(1);
    const values = await Promise.all(keys.map((key) => client.get(key)));
    expect(values).toEqual(keys);
  }, 60_000);
});
