import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';

/** Where the proxy may send a connection. */
export interface Backend {
  readonly host: string;
  readonly port: number;
}

/** A tiny TCP load balancer in front of several Pulse processes, for failover tests. */
export interface TcpProxy {
  /** `http://127.0.0.1:<port>`: what a client is given instead of a Pulse URL. */
  readonly url: string;
  readonly port: number;
  /**
   * Replaces the backend list. Connections already open stay where they are
   * (as a real load balancer drains rather than cuts); new ones follow the list.
   */
  setBackends(backends: readonly Backend[]): void;
  /** Takes one backend out of the list (same draining rule as {@link TcpProxy.setBackends}). */
  removeBackend(backend: Backend): void;
  /** How many client connections were forwarded to `backend` so far. */
  routedTo(backend: Backend): number;
  /** Client connections open right now. */
  readonly openConnections: number;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

/** The backend a Pulse URL such as `http://127.0.0.1:4000` names. */
export function backendOf(url: string): Backend {
  const { hostname, port } = new URL(url);
  return { host: hostname, port: Number(port) };
}

const keyOf = ({ host, port }: Backend): string => `${host}:${port}`;

/**
 * Connects to the first backend of `candidates` that accepts, or resolves
 * null when none does. A refused or failed connection moves on to the next,
 * which is how the proxy notices a dead process without health checks.
 */
async function firstAccepting(candidates: readonly Backend[]): Promise<{ backend: Backend; socket: Socket } | null> {
  for (const backend of candidates) {
    const socket = connect(backend.port, backend.host);
    const accepted = await new Promise<boolean>((resolve) => {
      socket.once('connect', () => resolve(true));
      socket.once('error', () => resolve(false));
    });
    if (accepted) return { backend, socket };
    socket.destroy();
  }
  return null;
}

/**
 * Joins two sockets both ways. When either side ends, the other is ended
 * (data in flight still arrives); when either side fails or closes, the
 * other is destroyed, so a client whose backend died sees its connection
 * drop at once, as behind a real load balancer.
 */
function splice(client: Socket, upstream: Socket): void {
  client.pipe(upstream);
  upstream.pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
}

/**
 * Starts a proxy on a free loopback port (port 0). Each new connection goes
 * to the first backend in the list that accepts it; when none does, the
 * client's connection is closed.
 */
export async function startTcpProxy(initial: readonly Backend[] = []): Promise<TcpProxy> {
  let backends: readonly Backend[] = [...initial];
  const routed = new Map<string, number>();
  const sockets = new Set<Socket>();
  const clients = new Set<Socket>();
  const track = (socket: Socket, set: Set<Socket> = sockets): void => {
    set.add(socket);
    socket.once('close', () => set.delete(socket));
  };

  const server = createServer({ pauseOnConnect: true }, (client) => {
    track(client);
    track(client, clients);
    client.on('error', () => client.destroy());
    // The list is read once per connection, so a change mid-way cannot send it to two places.
    void firstAccepting(backends).then((found) => {
      if (!found || client.destroyed) {
        found?.socket.destroy();
        client.destroy();
        return;
      }
      track(found.socket);
      routed.set(keyOf(found.backend), (routed.get(keyOf(found.backend)) ?? 0) + 1);
      splice(client, found.socket);
      client.resume();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP address');

  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    setBackends: (list) => (backends = [...list]),
    removeBackend: (backend) => (backends = backends.filter((b) => keyOf(b) !== keyOf(backend))),
    routedTo: (backend) => routed.get(keyOf(backend)) ?? 0,
    get openConnections() {
      return clients.size;
    },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
