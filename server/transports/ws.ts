import type { IncomingMessage, Server } from 'node:http';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { YogaServerInstance } from 'graphql-yoga';
import type { Authenticator, Viewer } from '../auth.js';
import type { PulseContext, PulseServerContext } from '../context.js';
import type { ResultSink } from '../fanout/result-sink.js';
import type { DropConnection, DropReason } from '../streams/open-streams.js';
import { REQUEST_ID_HEADER, upgradeRequestId } from './request-id.js';
import { runOperation, withoutHttpHint } from './run-operation.js';

/** What the ws adapter needs. */
export interface WsTransportOptions {
  readonly httpServer: Server;
  readonly path: string;
  readonly yoga: YogaServerInstance<PulseServerContext, PulseContext>;
  readonly authenticator: Authenticator;
  /** Ping period that detects dead peers. @defaultValue 12000 */
  readonly keepAliveMs?: number;
  /** Largest message a client may send; a larger one closes its socket with 1009 (message too big). @defaultValue 1048576 */
  readonly maxPayloadBytes?: number;
}

/** The running adapter. */
export interface WsTransport {
  /** Closes every socket (clients see 1001 and reconnect elsewhere) and stops accepting. */
  close(): Promise<void>;
  /** Open sockets. */
  readonly clientCount: number;
}

/**
 * Close codes of a dropped socket, both retried by the official client
 * (1011 would not be: it counts as fatal). 1013 asks a slow reader to come
 * back later; 1012 says this server is restarting or lost its backend.
 */
export const DROP_CLOSE_CODES: Readonly<Record<DropReason, number>> = { slow_consumer: 1013, shutdown: 1012, backend_lost: 1012 };

/**
 * Drops a graphql-ws socket: every operation on it ends (siblings reconnect
 * and resume too). A slow reader's socket is terminated at once, since its
 * close frame would wait behind the data it does not read.
 */
function dropSocket(socket: WebSocket): DropConnection {
  return (reason) => {
    if (socket.readyState !== socket.OPEN) return false;
    socket.close(DROP_CLOSE_CODES[reason], reason);
    if (reason === 'slow_consumer') socket.terminate();
    return true;
  };
}

/**
 * Writes an operation's results as graphql-ws `next` messages straight to
 * the socket: the result's JSON is a fan-out group's, shared; only the
 * envelope with this operation's id is this subscriber's. graphql-ws still
 * sends `complete` (and `error`) itself, when the operation's iterator ends.
 */
function socketSink(socket: WebSocket, id: string): ResultSink {
  const envelope = `{"id":${JSON.stringify(id)},"type":"next","payload":`;
  return {
    write: (batch) => {
      // One WebSocket message per result: graphql-ws has no batch message.
      for (const resultJson of batch.results) {
        if (socket.readyState !== socket.OPEN) return;
        socket.send(`${envelope}${resultJson}}`);
      }
    },
    get bufferedBytes() {
      return socket.bufferedAmount;
    },
    get open() {
      return socket.readyState === socket.OPEN;
    },
  };
}

/** Per-operation handle: graphql-ws runs `subscribe`/`execute` with our prepared result. */
interface Prepared {
  readonly result: Promise<ExecutionResult | AsyncIterable<ExecutionResult>> | ExecutionResult | AsyncIterable<ExecutionResult>;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}


/**
 * graphql-ws on the same port and path as HTTP, executing through the one
 * Yoga instance so auth, role checks, limits and error masking match every
 * other transport.
 *
 * - A missing or invalid token in `connectionParams.authorization` closes
 *   the socket with 4401 (the official client does not retry it); a token
 *   with no known role closes with 4403.
 * - An operation refused before it produced a stream (wrong role,
 *   `TOO_MANY_SUBSCRIPTIONS`, invalid document) is answered with a protocol
 *   `error` message, not a `next`.
 */
export function attachWsTransport({ httpServer, path, yoga, authenticator, keepAliveMs = 12_000, maxPayloadBytes = 1_048_576 }: WsTransportOptions): WsTransport {
  // ws stops reading a frame once it passes maxPayload, so a huge message is never buffered.
  const wss = new WebSocketServer({ server: httpServer, path, maxPayload: maxPayloadBytes });
  const viewers = new WeakMap<object, Viewer>();
  // One id per socket, from its upgrade request: echoed in the 101 response and carried by each operation's logger.
  const requestIds = new WeakMap<IncomingMessage, string>();
  wss.on('headers', (headers, request) => {
    const id = upgradeRequestId(request.headers);
    requestIds.set(request, id);
    headers.push(`${REQUEST_ID_HEADER}: ${id}`);
  });
  const disposable = useServer<Record<string, unknown> | undefined>(
    {
      onConnect: async (ctx) => {
        const header = ctx.connectionParams?.authorization;
        try {
          const viewer = await authenticator.verifyAuthorization(typeof header === 'string' ? header : null);
          if (viewer.roles.size === 0) {
            ctx.extra.socket.close(CloseCode.Forbidden, 'Forbidden: the token grants no role');
            return false;
          }
          viewers.set(ctx.extra.socket, viewer);
          return true;
        } catch (error) {
          ctx.extra.socket.close(CloseCode.Unauthorized, error instanceof GraphQLError ? error.message : 'Unauthorized');
          return false;
        }
      },
      onSubscribe: async (ctx, id, payload) => {
        const initialContext = {
          viewer: viewers.get(ctx.extra.socket) ?? null,
          transport: 'ws',
          requestId: requestIds.get(ctx.extra.request),
          dropConnection: dropSocket(ctx.extra.socket),
          resultSink: socketSink(ctx.extra.socket, id),
          params: payload,
        };
        // A refused document is an error message; thrown, graphql-ws would close the socket with 4500.
        const outcome = await runOperation(yoga, initialContext, payload);
        if ('refused' in outcome) return outcome.refused;
        const { args, result } = outcome;
        if (!isAsyncIterable(result) && result.errors?.length && !result.data) return withoutHttpHint(result.errors);
        return { ...args, rootValue: { result } satisfies Prepared };
      },
      execute: (args) => (args.rootValue as Prepared).result,
      subscribe: (args) => (args.rootValue as Prepared).result,
      // Internal error messages stay on the server whatever NODE_ENV says.
      isProd: true,
    },
    wss,
    keepAliveMs,
  );
  return {
    get clientCount() {
      return wss.clients.size;
    },
    async close() {
      for (const socket of wss.clients) socket.close(1001, 'Going away');
      await disposable.dispose();
    },
  };
}
