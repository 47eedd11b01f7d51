import type { Cluster } from 'ioredis';

/**
 * Resolves once `cluster` is ready, and so has a slot map to route by
 * (connecting it if it was created with `lazyConnect`), as a command sent
 * through it would wait in its offline queue.
 * @throws Error when the cluster connection ends first, or had ended
 */
export function clusterReady(cluster: Cluster): Promise<void> {
  if (cluster.status === 'ready') return Promise.resolve();
  if (cluster.status === 'end') return Promise.reject(new Error('the Redis Cluster connection is closed'));
  // A failed connect ends in `end`, or is retried by the Cluster itself.
  if (cluster.status === 'wait') cluster.connect().catch(() => {});
  return new Promise<void>((resolve, reject) => {
    const settle = (error?: Error): void => {
      cluster.off('ready', onReady);
      cluster.off('end', onEnd);
      if (error) reject(error);
      else resolve();
    };
    const onReady = (): void => settle();
    const onEnd = (): void => settle(new Error('the Redis Cluster connection is closed'));
    cluster.on('ready', onReady);
    cluster.on('end', onEnd);
  });
}
