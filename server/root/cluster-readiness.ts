import type { Cluster, Redis } from 'ioredis';
import { CLUSTER_SLOTS } from '../redis/partitions.js';
/** A readiness probe answers within this, a stopped master's PING included. */
const PING_TIMEOUT_MS = 2_000;

/**
 * Whether every master of the cluster answers now, as the client sees it:
 * the client is ready, every slot has a master in its slot map, and each
 * of those masters answers PING. With no replicas, a stopped master leaves
 * its slots without service, so one silent master is enough to be unready.
 */
export async function everyMasterAnswers(cluster: Cluster): Promise<boolean> {
  if (cluster.status !== 'ready') return false;
  const owners = slotOwners(cluster);
  if (owners === null) return false;
  const byKey = new Map(cluster.nodes('all').map((node) => [nodeKey(node), node]));
  const answers = [...owners].map((owner) => {
    const node = byKey.get(owner);
    return node === undefined ? Promise.resolve(false) : pings(node);
  });
  return (await Promise.all(answers)).every(Boolean);
}

/** The `host:port` of every slot's master; null when some slot has none. */
function slotOwners(cluster: Cluster): Set<string> | null {
  const owners = new Set<string>();
  for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
    const owner = cluster.slots[slot]?.[0];
    if (owner === undefined) return null;
    owners.add(owner);
  }
  return owners;
}

/** The key ioredis names a node by in its slot map. */
function nodeKey(node: Redis): string {
  return `${node.options.host}:${node.options.port}`;
}

/** PING within {@link PING_TIMEOUT_MS}; false on an error or a timeout. */
async function pings(node: Redis): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), PING_TIMEOUT_MS)));
  try {
    return await Promise.race([node.ping().then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
