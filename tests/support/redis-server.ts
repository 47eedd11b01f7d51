import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A redis-server child process owned by a test. */
export interface SpawnedRedis {
  readonly url: string;
  readonly port: number;
  /** Stops it (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
  /** Starts it again on the same port: empty, or with its data when started `persistent`. */
  restart(): Promise<void>;
  /** Stops it for good and removes its data directory, if any. */
  dispose(): Promise<void>;
}

/** Options of {@link spawnRedis}. */
export interface SpawnRedisOptions {
  /**
   * Append-only file in a temporary directory, fsynced on every write, so
   * that what Redis acknowledged survives {@link SpawnedRedis.restart}.
   * @defaultValue false (no persistence: a restart comes back empty)
   */
  readonly persistent?: boolean;
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
 * Starts a throwaway redis-server on a free port, with no persistence unless
 * asked, and resolves once it accepts connections. Fails with installation
 * advice when redis-server is missing: tests that need Redis never skip.
 */
export async function spawnRedis({ persistent = false }: SpawnRedisOptions = {}): Promise<SpawnedRedis> {
  const port = await freePort();
  const dir = persistent ? await mkdtemp(join(tmpdir(), 'pulse-redis-')) : undefined;
  const persistence = dir ? ['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const startOn = (p: number): Promise<ChildProcess> => startRedisProcess(p, persistence);
  let child = await startOn(port);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: async () => stopRedisProcess(child),
    restart: async () => {
      await stopRedisProcess(child);
      child = await startOn(port);
    },
    dispose: async () => {
      await stopRedisProcess(child);
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A running `redis-server` child process. */
export type RedisProcess = ChildProcess;

/**
 * Starts `redis-server` on `port` (loopback, no RDB snapshots) with `args`
 * added, and resolves once it accepts connections.
 * @throws Error with installation advice when redis-server is missing, or its output when it exits
 */
export async function startRedisProcess(port: number, args: readonly string[]): Promise<RedisProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--loglevel', 'notice', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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

/** SIGTERM, then SIGKILL after 5 s; resolves when it has exited. */
export async function stopRedisProcess(child: RedisProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
