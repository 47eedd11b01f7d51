import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';

/** A redis-server child process owned by a test. */
export interface SpawnedRedis {
  readonly url: string;
  readonly port: number;
  /** Stops it (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
}

const HOW_TO_INSTALL =
  'redis-server was not found. Install it (Debian/Ubuntu: `apt-get update && apt-get install -y redis-server`) ' +
  'or point the tests at a running Redis with REDIS_URL=redis://127.0.0.1:6379.';

/** Asks the kernel for a free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/**
 * Starts a throwaway redis-server on a free port, with no persistence, and
 * resolves once it accepts connections. Fails with installation advice when
 * redis-server is missing: tests that need Redis never skip.
 */
export async function spawnRedis(): Promise<SpawnedRedis> {
  const port = await freePort();
  let child = await startOn(port);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: async () => stopChild(child),
    restart: async () => {
      await stopChild(child);
      child = await startOn(port);
    },
  };
}

async function startOn(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'notice'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new Error(HOW_TO_INSTALL) : error),
    );
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  });
  await ready;
  child.removeAllListeners('exit');
  return child;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
