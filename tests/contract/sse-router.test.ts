import { once } from 'node:events';
import type { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { shardedRouterPubSub } from '../../server/root/router-pubsub-sharded.js';
import { ANSWERS, badRequest, type StreamAnswer } from '../../server/transports/sse-single/answers.js';
import type { StreamOperation } from '../../server/transports/sse-single/operation.js';
import { createLocalRouter, type RoutedRequest, type StreamRouter } from '../../server/transports/sse-single/routing.js';
import { createRedisRouter } from '../../server/transports/sse-single/routing-redis.js';
import { EventQueue } from '../support/event-queue.js';
import { connectTestRedis, uniquePrefix } from '../support/redis.js';
import { connectTestCluster, spawnRedisCluster, type SpawnedCluster } from '../support/redis-cluster.js';

/**
 * One contract for both stream routers (`StreamRouter`): the local one of
 * memory mode, where one process holds every stream, and the Redis one,
 * where the holder may be another process. What only Redis can do (a holder
 * that is gone, a holder that is silent, Redis failing, a foreign message)
 * is checked after it.
 */

const operation = (operationId: string): StreamOperation => ({
  operationId,
  params: { query: '{ __typename }', variables: { list: [], nested: {} }, operationName: null, extensions: { operationId } },
  viewer: { sub: 'alice', roles: new Set(['admin']) },
  requestId: `request-${operationId}`,
});
const run = (id: string): RoutedRequest => ({ kind: 'run', token: 'token-1', operation: operation(id) });
const cancel = (id: string): RoutedRequest => ({ kind: 'cancel', token: 'token-1', sub: 'alice', operationId: id, requestId: `request-${id}` });

/** Redis connections and routers made by one test, closed after it. */
class RedisDeployment {
  readonly prefix = uniquePrefix('sse-router');
  readonly malformed = new EventQueue<unknown>();
  private readonly clients: Redis[] = [];
  private readonly routers: StreamRouter[] = [];

  connect(): Redis {
    const client = connectTestRedis();
    this.clients.push(client);
    return client;
  }

  async router(answerTimeoutMs = 2_000): Promise<StreamRouter> {
    const { prefix, malformed } = this;
    return this.track(await createRedisRouter({ publisher: this.connect(), subscriber: this.connect(), prefix, answerTimeoutMs, onMalformed: malformed.push }));
  }

  track(router: StreamRouter): StreamRouter {
    this.routers.push(router);
    return router;
  }

  async close(): Promise<void> {
    await Promise.all(this.routers.splice(0).map((router) => router.close()));
    await Promise.all(this.clients.splice(0).filter((client) => client.status !== 'end').map((client) => client.quit()));
  }
}

/** A deployment under test: where a request is sent from, and the router of the process holding the stream. */
interface RouterEngine {
  readonly name: string;
  /** The sender and the holder; in memory mode one process holds every stream, so they are the same router. */
  pair(): Promise<readonly [sender: StreamRouter, holder: StreamRouter]>;
  close(): Promise<void>;
}

function localEngine(): RouterEngine {
  const routers: StreamRouter[] = [];
  return {
    name: 'local',
    async pair() {
      const router = createLocalRouter();
      routers.push(router);
      return [router, router];
    },
    close: async () => void (await Promise.all(routers.splice(0).map((router) => router.close()))),
  };
}

function redisEngine(): RouterEngine {
  const deployment = new RedisDeployment();
  return {
    name: 'redis',
    pair: async () => [await deployment.router(), await deployment.router()],
    close: () => deployment.close(),
  };
}

/** The file's one Redis Cluster, spawned on first use: each spawn takes seconds. */
let spawning: Promise<SpawnedCluster> | undefined;
afterAll(async () => {
  await (await spawning)?.dispose();
});

/**
 * Routers on a 3-master Redis Cluster, each process on a Cluster client of
 * its own (reloading its slot map, as Pulse's does), talking sharded pub/sub.
 */
function clusterEngine(): RouterEngine {
  const prefix = uniquePrefix('sse-router-cluster');
  const clients: Cluster[] = [];
  const routers: StreamRouter[] = [];
  const router = async (): Promise<StreamRouter> => {
    const client = connectTestCluster(await (spawning ??= spawnRedisCluster(3)), { forFeed: true });
    clients.push(client);
    if (client.status !== 'ready') await once(client, 'ready');
    const made = await createRedisRouter({ pubsub: shardedRouterPubSub(client), prefix, answerTimeoutMs: 2_000 });
    routers.push(made);
    return made;
  };
  return {
    name: 'redis-cluster',
    pair: async () => [await router(), await router()],
    async close() {
      await Promise.all(routers.splice(0).map((made) => made.close()));
      await Promise.all(clients.splice(0).map((client) => client.quit()));
    },
  };
}

describe.each([
  { name: 'local', makeEngine: localEngine },
  { name: 'redis', makeEngine: redisEngine },
  { name: 'redis-cluster', makeEngine: clusterEngine },
])('the stream router contract: $name', ({ makeEngine }) => {
  let engine: RouterEngine;
  afterEach(() => engine.close());
  const pair = (): Promise<readonly [StreamRouter, StreamRouter]> => (engine = makeEngine()).pair();

  it("carries a request to the holder's handler and its answer back, in the order sent", async () => {
    const [sender, holder] = await pair();
    const seen: string[] = [];
    holder.serve(async (request) => {
      seen.push(request.kind === 'run' ? request.operation.operationId : `cancel ${request.operationId}`);
      return request.kind === 'run' ? ANSWERS.accepted : ANSWERS.ok;
    });
    const answers = await Promise.all([sender.forward(holder.processId, run('a')), sender.forward(holder.processId, cancel('a')), sender.forward(holder.processId, run('b'))]);
    expect(answers).toEqual([{ status: 202 }, { status: 200 }, { status: 202 }]);
    expect(seen).toEqual(['a', 'cancel a', 'b']);
  });

  it('hands the holder each request exactly as sent', async () => {
    const [sender, holder] = await pair();
    const received = new EventQueue<RoutedRequest>();
    holder.serve(async (request) => (received.push(request), ANSWERS.accepted));
    for (const request of [run('a'), cancel('a')]) {
      await sender.forward(holder.processId, request);
      expect(await received.next()).toEqual(request);
    }
  });

  it("brings every answer of the protocol back unchanged, the holder's errors included", async () => {
    const [sender, holder] = await pair();
    const answers: StreamAnswer[] = [...Object.values(ANSWERS), badRequest('operationId: missing')];
    let next = 0;
    holder.serve(async () => answers[next++] ?? ANSWERS.bug);
    for (const answer of answers) expect(await sender.forward(holder.processId, run('a'))).toEqual(answer);
  });

  it('reaches the streams of its own process', async () => {
    const [router] = await pair();
    router.serve(async () => ANSWERS.duplicateOperation);
    expect(await router.forward(router.processId, run('a'))).toEqual(ANSWERS.duplicateOperation);
  });

  it('answers 404 NOT_FOUND while the holder serves nothing yet', async () => {
    const [sender, holder] = await pair();
    expect(await sender.forward(holder.processId, run('a'))).toEqual(ANSWERS.streamNotFound);
  });

  it('answers 503 SERVICE_UNAVAILABLE once closed', async () => {
    const [sender, holder] = await pair();
    holder.serve(async () => ANSWERS.accepted);
    await sender.close();
    expect(await sender.forward(holder.processId, run('a'))).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
  });

  it('answers a call still waiting 503 SERVICE_UNAVAILABLE when closed', async () => {
    const [sender, holder] = await pair();
    const started = new EventQueue<RoutedRequest>();
    holder.serve((request) => (started.push(request), new Promise<StreamAnswer>(() => {})));
    const answer = sender.forward(holder.processId, run('a'));
    await started.next();
    await sender.close();
    expect(await answer).toEqual(ANSWERS.shuttingDown);
  });
});

describe('the Redis stream router, beyond the contract', () => {
  const deployment = new RedisDeployment();
  afterEach(() => deployment.close());

  it('answers 404 at once when no process listens for the holder', async () => {
    const sender = await deployment.router();
    const answer = await sender.forward('a-process-that-is-gone', run('a'));
    expect(answer).toMatchObject({ status: 404, message: expect.stringMatching(/gone/) });
  });

  it('answers 503 SERVICE_UNAVAILABLE when the holder does not answer in time', async () => {
    const [sender, holder] = [await deployment.router(200), await deployment.router()];
    holder.serve(() => new Promise<StreamAnswer>(() => {}));
    expect(await sender.forward(holder.processId, run('a'))).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
  });

  it('answers 503 SERVICE_UNAVAILABLE when Redis fails', async () => {
    const publisher = deployment.connect();
    const sender = deployment.track(await createRedisRouter({ publisher, subscriber: deployment.connect(), prefix: deployment.prefix }));
    publisher.disconnect();
    expect(await sender.forward('anyone', run('a'))).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
  });

  it('drops a malformed message and goes on serving', async () => {
    const [sender, holder] = [await deployment.router(), await deployment.router()];
    holder.serve(async () => ({ status: 202 }));
    await deployment.connect().publish(`${deployment.prefix}sse:process:${holder.processId}`, '{"kind":"request","call":"x"}');
    expect(await deployment.malformed.next()).toBeInstanceOf(Error);
    expect(await sender.forward(holder.processId, run('a'))).toEqual({ status: 202 });
  });
});
