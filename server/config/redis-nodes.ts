/**
 * `REDIS_CLUSTER_NODES`: the seed masters of a Redis Cluster, as
 * `host:port,host:port,…`. Parsed here once, so that the connection code
 * receives hosts and ports and never splits strings itself.
 */

/** One seed node of a Redis Cluster. */
export interface RedisNode {
  /** A host name, an IPv4 address, or an IPv6 address without its brackets. */
  readonly host: string;
  readonly port: number;
}

/** A host name label list or an IPv4 address: letters, digits, dots, dashes and underscores. */
const HOST_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})$/;
/** An IPv6 address in brackets, as a URL writes it (`[::1]:7000`); zone ids are not accepted. */
const BRACKETED_V6 = /^\[([0-9A-Fa-f:.]{2,45})\]$/;
/** Far more masters than any cluster has (Redis recommends at most 1000 nodes), so a runaway value is caught. */
const MAX_NODES = 1000;

/** What a good value looks like, for the problem line. */
export const NODES_EXPECTED = 'comma-separated host:port seed nodes of a Redis Cluster, e.g. 10.0.0.1:7000,10.0.0.2:7000 (IPv6 as [::1]:7000)';

/**
 * Reads `host:port,host:port,…` (spaces around commas allowed, an empty
 * item from a trailing comma ignored).
 * @returns the nodes, or what was wrong (naming the bad item)
 */
export function parseRedisNodes(raw: string): { readonly nodes: readonly RedisNode[] } | { readonly expected: string } {
  const items = raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
  if (items.length === 0) return { expected: NODES_EXPECTED };
  if (items.length > MAX_NODES) return { expected: `at most ${MAX_NODES} seed nodes (${NODES_EXPECTED})` };
  const nodes: RedisNode[] = [];
  for (const item of items) {
    const node = parseNode(item);
    if (node === null) return { expected: `${NODES_EXPECTED}; ${JSON.stringify(item.slice(0, 80))} is not one` };
    if (nodes.some((seen) => seen.host === node.host && seen.port === node.port)) return { expected: `${NODES_EXPECTED}; ${JSON.stringify(item)} is named twice` };
    nodes.push(node);
  }
  return { nodes };
}

/** One `host:port`; null when it is not one. The port is after the last colon, so an IPv6 host needs its brackets. */
function parseNode(item: string): RedisNode | null {
  const colon = item.lastIndexOf(':');
  if (colon <= 0) return null;
  const [hostPart, portPart] = [item.slice(0, colon), item.slice(colon + 1)];
  if (!/^\d{1,5}$/.test(portPart)) return null;
  const port = Number(portPart);
  if (port < 1 || port > 65_535) return null;
  const v6 = BRACKETED_V6.exec(hostPart);
  if (v6) return { host: v6[1] as string, port };
  return HOST_NAME.test(hostPart) ? { host: hostPart, port } : null;
}

/** `host:port` again, brackets around an IPv6 host, for logs and the start-up line. */
export function formatRedisNode({ host, port }: RedisNode): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
