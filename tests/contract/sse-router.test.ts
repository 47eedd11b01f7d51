import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { StreamAnswer } from '../../server/transports/sse-single/answers.js';
import type { StreamOperation } from '../../server/transports/sse-single/operation.js';
import type { RoutedRequest, StreamRouter } from '../../server/transports/sse-single/routing.js';
import { createRedisRouter } from '../../server/transports/sse-single/routing-redis.js';
import { EventQueue } from '../support/event-queue.js';
import { connectTestRedis, uniquePrefix } from '../support/redis.js';

const operation = (operationId: string): StreamOperation => ({
  operationId,
  params: { query: '{ __typename }', variables: { list: [], nested: {} }, operationName: null, extensions: { operationId } },
  viewer: { sub: 'alice', roles: new Set(['admin']) },
  requestId: `request-${operationId}`,
});

describe('the Redis stream router', () => {
  const prefix = uniquePrefix('sse-router');
  const clients: Redis[] = [];
  const routers: StreamRouter[] = [];
  const malformed = new EventQueue<unknown>();
  const connect = (): Redis => {
    const client = connectTestRedis();
    clients.push(client);
    return client;
  };
  const router = async (answerTimeoutMs = 2_000): Promise<StreamRouter> => {
    const created = await createRedisRouter({ publisher: connect(), subscriber: connect(), prefix, answerTimeoutMs, onMalformed: malformed.push });
    routers.push(created);
    return created;
  };
  afterEach(async () => {
    await Promise.all(routers.splice(0).map((created) => created.close()));
    await Promise.all(clients.splice(0).filter((client) => client.status !== 'end').map((client) => client.quit()));
  });

  const run = (id: string): RoutedRequest => ({ kind: 'run', token: 'token-1', operation: operation(id) });

  it("carries a request to the holder's handler and its answer back, in the order sent", async () => {
    const [sender, holder] = [await router(), await router()];
    const seen: string[] = [];
    holder.serve(async (request) => {
      seen.push(request.kind === 'run' ? request.operation.operationId : `cancel ${request.operationId}`);
      return request.kind === 'run' ? { status: 202 } : { status: 200 };
    });
    const answers = await Promise.all([
      sender.forward(holder.processId, run('a')),
      sender.forward(holder.processId, { kind: 'cancel', token: 'token-1', sub: 'alice', operationId: 'a', requestId: 'r' }),
      sender.forward(holder.processId, run('b')),
    ]);
    expect(answers).toEqual([{ status: 202 }, { status: 200 }, { status: 202 }]);
    expect(seen).toEqual(['a', 'cancel a', 'b']);
  });

  it('answers 404 at once when no process listens for the holder', async () => {
    const sender = await router();
    const answer = await sender.forward('a-process-that-is-gone', run('a'));
    expect(answer).toMatchObject({ status: 404, message: expect.stringMatching(/gone/) });
  });

  it('answers 503 SERVICE_UNAVAILABLE when the holder does not answer in time', async () => {
    const [sender, holder] = [await router(200), await router()];
    holder.serve(() => new Promise<StreamAnswer>(() => {}));
    expect(await sender.forward(holder.processId, run('a'))).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
  });

  it('answers 503 SERVICE_UNAVAILABLE when Redis fails', async () => {
    const publisher = connect();
    const sender = await createRedisRouter({ publisher, subscriber: connect(), prefix });
    routers.push(sender);
    publisher.disconnect();
    expect(await sender.forward('anyone', run('a'))).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
  });

  it('drops a malformed message and goes on serving', async () => {
    const [sender, holder] = [await router(), await router()];
    holder.serve(async () => ({ status: 202 }));
    await connect().publish(`${prefix}sse:process:${holder.processId}`, '{"kind":"request","call":"x"}');
    expect(await malformed.next()).toBeInstanceOf(Error);
    expect(await sender.forward(holder.processId, run('a'))).toEqual({ status: 202 });
  });
});
