import type { IncomingMessage, Server } from 'node:http';
import { GraphQLError, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { CloseCode, type Context, type SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { YogaServerInstance } from 'graphql-yoga';
import type { Authenticator } from '../auth/authenticator.js';
import type { PulseContext, PulseServerContext } from '../resolvers/context.js';
import { serializeResult } from '../live/fanout/serialize-result.js';
import { Deadlines } from '../live/deadlines.js';
import type { OutputBounds } from './output-bounds.js';
import { REQUEST_ID_HEADER, upgradeRequestId } from '../http/request-id.js';
import { runOperation, withoutHttpHint } from './run-operation.js';
import { WsConnection } from './ws-connection.js';

export { DROP_CLOSE_CODES } from './ws-connection.js';

/** What the ws adapter needs. */
export interface WsTransportOptions {
  readonly httpServer: Server;
  readonly path: string;
  readonly yoga: YogaServerInstance<PulseServerContext, PulseContext>;
  readonly authenticator: Authenticator;
  /** Bounds on each socket's operations and unread output; past them it closes with 1013. */
  readonly bounds: OutputBounds;
  /** Ping period that detects dead peers. @defaultValue 12000 */
  readonly keepAliveMs?: number;
  /** Largest message a client may send; a larger one closes its socket with 1009 (message too big). @defaultValue 1048576 */
  readonly maxPayloadBytes?: number;
  /** Where sockets wait for their token's expiry. @defaultValue one timer of its own for every socket */
  readonly deadlines?: Deadlines;
  /** Told of each socket closed for a message over `maxPayloadBytes`. @defaultValue ignore */
  readonly onOversized?: () => void;
}

/** The running adapter. */
export interface WsTransport {
  /** Closes every socket (clients see 1001 and reconnect elsewhere) and stops accepting. */
  close(): Promise<void>;
  /** Open sockets. */
  readonly clientCount: number;
}

/** Per-operation handle: graphql-ws runs `subscribe`/`execute` with our prepared result. */
interface Prepared {
  readonly result: ExecutionResult | AsyncIterable<ExecutionResult>;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** What graphql-ws iterates for a result Pulse sent itself: nothing more, then its `complete`. */
const SENT: AsyncIterable<ExecutionResult> = {
  [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve({ done: true, value: undefined }) }),
};

/** Answers an operation of a dropped socket; graphql-ws sends nothing on a closed socket, so no client sees it. */
const DROPPED = [new GraphQLError('The connection was dropped.')];

type SocketContext = Context<Record<string, unknown> | undefined, { readonly socket: WebSocket; readonly request: IncomingMessage }>;

/**
 * graphql-ws on the same port and path as HTTP, executing through the one
 * Yoga instance so auth, role checks, limits and error masking match every
 * other transport.
 *
 * - A missing or invalid token in `connectionParams.authorization` closes
 *   the socket with 4401 (the official client does not retry it); a token
 *   with no known role closes with 4403; so does the expiry of the token
 *   that opened it (`exp` plus `CLOCK_SKEW_MS`), which the client retries
 *   with fresh `connectionParams`.
 * - An operation refused before it produced a stream (wrong role,
 *   `TOO_MANY_SUBSCRIPTIONS`, invalid document) is answered with a protocol
 *   `error` message, not a `next`.
 * - A socket with more than `bounds.maxOperations` operations running, or
 *   more than `bounds.maxBufferedBytes` unread, is dropped as a slow
 *   consumer (1013); its pending operations are not executed.
 */
export function attachWsTransport(options: WsTransportOptions): WsTransport {
  const { httpServer, path, yoga, authenticator, bounds, keepAliveMs = 12_000, maxPayloadBytes = 1_048_576, deadlines = new Deadlines() } = options;
  const { onOversized = () => {} } = options;
  // ws stops reading a frame once it passes maxPayload, so a huge message is never buffered.
  const wss = new WebSocketServer({ server: httpServer, path, maxPayload: maxPayloadBytes });
  wss.on('connection', (socket) => {
    socket.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') onOversized();
    });
  });
  const connections = new WeakMap<WebSocket, WsConnection>();
  // One id per socket, from its upgrade request: echoed in the 101 response and carried by each operation's logger.
  const requestIds = new WeakMap<IncomingMessage, string>();
  wss.on('headers', (headers, request) => {
    const id = upgradeRequestId(request.headers);
    requestIds.set(request, id);
    headers.push(`${REQUEST_ID_HEADER}: ${id}`);
  });
  const onConnect = async (ctx: SocketContext): Promise<boolean> => {
    const { socket } = ctx.extra;
    const header = ctx.connectionParams?.authorization;
    try {
      const viewer = await authenticator.verifyAuthorization(typeof header === 'string' ? header : null);
      if (viewer.roles.size === 0) {
        socket.close(CloseCode.Forbidden, 'Forbidden: the token grants no role');
        return false;
      }
      // Gone while its token was verified: nothing to watch, nor to acknowledge.
      if (socket.readyState !== socket.OPEN) return false;
      connections.set(socket, new WsConnection(socket, viewer, bounds, deadlines));
      return true;
    } catch (error) {
      socket.close(CloseCode.Unauthorized, error instanceof GraphQLError ? error.message : 'Unauthorized');
      return false;
    }
  };
  const onSubscribe = async (ctx: SocketContext, id: string, payload: SubscribePayload): Promise<ExecutionArgs | readonly GraphQLError[]> => {
    const connection = connections.get(ctx.extra.socket);
    // graphql-ws has registered this operation already, so the count includes it (and those waiting at the gate).
    if (connection === undefined || !connection.admits(Object.keys(ctx.subscriptions).length)) return DROPPED;
    // In turn: a query's result is sent, or a subscription's first event is out, before the next operation starts.
    return connection.gate.run(() => startOperation(ctx, id, payload, connection));
  };
  const startOperation = async (ctx: SocketContext, id: string, payload: SubscribePayload, connection: WsConnection): Promise<ExecutionArgs | readonly GraphQLError[]> => {
    // Completed by the client while it waited: graphql-ws answers nothing for it, so nothing is run.
    if (!(id in ctx.subscriptions)) return DROPPED;
    const initialContext = {
      viewer: connection.viewer,
      transport: 'ws',
      requestId: requestIds.get(ctx.extra.request),
      dropConnection: connection.drop,
      resultSink: connection.sink(id),
      params: payload,
    };
    // A refused document is an error message; thrown, graphql-ws would close the socket with 4500.
    const outcome = await runOperation(yoga, initialContext, payload, connection);
    if ('dropped' in outcome) return DROPPED;
    if ('refused' in outcome) return outcome.refused;
    const { args, result } = outcome;
    if (isAsyncIterable(result)) return { ...args, rootValue: { result } satisfies Prepared };
    if (result.errors?.length && !result.data) return withoutHttpHint(result.errors);
    // Sent here, measured against the socket's bound, rather than queued by graphql-ws without one.
    if (id in ctx.subscriptions) connection.send(`{"id":${JSON.stringify(id)},"type":"next","payload":${serializeResult(result)}}`);
    return { ...args, rootValue: { result: SENT } satisfies Prepared };
  };
  const disposable = useServer<Record<string, unknown> | undefined>(
    {
      onConnect,
      onSubscribe: (ctx, id, payload) => onSubscribe(ctx, id, payload),
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
