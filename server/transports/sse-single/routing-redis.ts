import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { redisKeys } from '../../redis/keys.js';
import { ANSWERS, type StreamAnswer } from './answers.js';
import type { RoutedHandler, RoutedRequest, StreamRouter } from './routing.js';
import { classicRouterPubSub, type RouterPubSub } from './routing-pubsub.js';
import { encodeRouterMessage, parseRouterMessage, type RouterMessage } from './routing-wire.js';

/**
 * Options of {@link createRedisRouter}: the pub/sub to talk through, as two
 * connections to one Redis or as a {@link RouterPubSub} (a Redis Cluster's
 * sharded pub/sub), and the rest.
 */
export type RedisRouterOptions = RouterSettings & (ClassicConnections | { readonly pubsub: RouterPubSub });

/** Classic pub/sub on one Redis. */
export interface ClassicConnections {
  /** Sends PUBLISH; may be shared with other commands. Not quit by the router. */
  readonly publisher: Redis;
  /** Dedicated to this router's one subscription (a subscribed connection takes no other commands). Not quit by the router. */
  readonly subscriber: Redis;
}

/** What a router needs besides its pub/sub. */
export interface RouterSettings {
  /** `REDIS_PREFIX`; each process's channel is `redisKeys(prefix).streamRouterChannel(process id)`. */
  readonly prefix: string;
  /** How long a forwarded request waits for the holder's answer. @defaultValue 5000 */
  readonly answerTimeoutMs?: number;
  /** Called when an answer cannot be sent back, or a handler failed. @defaultValue ignore */
  readonly onError?: (error: unknown) => void;
  /** Called with the parse error of a message that was dropped. @defaultValue ignore */
  readonly onMalformed?: (error: unknown) => void;
  /** @defaultValue crypto.randomUUID */
  readonly processId?: string;
}

/**
 * The router for several processes: each listens on a Redis pub/sub
 * channel of its own (sharded on a Redis Cluster), subscribed once here; a request is published on the
 * holder's channel with a call id and the sender's channel, and the answer
 * comes back on the sender's. The publish's count of receivers tells at once
 * when no process listens for the holder (it stopped or crashed): 404.
 * Pub/sub is at-most-once: a message lost while a connection is away is
 * an answer that never comes, which the timeout turns into a 503.
 * @throws when the subscription cannot be made
 */
export async function createRedisRouter(options: RedisRouterOptions): Promise<StreamRouter> {
  const pubsub = 'pubsub' in options ? options.pubsub : classicRouterPubSub(options.publisher, options.subscriber);
  const { prefix, answerTimeoutMs = 5_000, onError = () => {}, onMalformed = () => {}, processId = randomUUID() } = options;
  const keys = redisKeys(prefix);
  const channelOf = (id: string): string => keys.streamRouterChannel(id);
  const own = channelOf(processId);
  const calls = new Map<string, (answer: StreamAnswer) => void>();
  let handler: RoutedHandler | undefined;
  let closed = false;

  const answerCall = async (call: string, replyTo: string, request: RoutedRequest): Promise<void> => {
    const answer = handler === undefined ? ANSWERS.streamNotFound : await handler(request).catch((error: unknown) => (onError(error), ANSWERS.bug));
    await pubsub.publish(channelOf(replyTo), encodeRouterMessage({ kind: 'answer', call, answer }));
  };
  const receive = (raw: string): void => {
    if (closed) return;
    let message: RouterMessage;
    try {
      message = parseRouterMessage(raw);
    } catch (error) {
      return onMalformed(error);
    }
    if (message.kind === 'answer') return calls.get(message.call)?.(message.answer);
    answerCall(message.call, message.replyTo, message.request).catch(onError);
  };
  const unlisten = await pubsub.listen(own, receive);

  return {
    processId,
    serve(serving) {
      handler = serving;
    },
    async forward(holder, request) {
      if (closed) return ANSWERS.shuttingDown;
      const call = randomUUID();
      const answered = awaitAnswer(calls, call, answerTimeoutMs);
      const message = encodeRouterMessage({ kind: 'request', call, replyTo: processId, request });
      const receivers = await pubsub.publish(channelOf(holder), message).catch(() => null);
      if (receivers === null) answered.settle(ANSWERS.backendDown);
      else if (receivers === 0) answered.settle(ANSWERS.holderGone);
      return answered.promise;
    },
    async close() {
      closed = true;
      for (const settle of [...calls.values()]) settle(ANSWERS.shuttingDown);
      await unlisten();
    },
  } satisfies StreamRouter;
}

/** One pending call: settled by its answer, by the sender itself, or by the timeout, whichever comes first; then forgotten. */
function awaitAnswer(calls: Map<string, (answer: StreamAnswer) => void>, call: string, timeoutMs: number) {
  let settle!: (answer: StreamAnswer) => void;
  const promise = new Promise<StreamAnswer>((resolve) => {
    const timer = setTimeout(() => settle(ANSWERS.holderSilent), timeoutMs);
    settle = (answer) => {
      clearTimeout(timer);
      calls.delete(call);
      resolve(answer);
    };
  });
  calls.set(call, settle);
  return { promise, settle };
}
