import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import type { TestProject } from 'vitest/node';
import { spawnRedis, type SpawnedRedis } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Redis every suite shares, each under its own key prefix. */
    redisUrl: string;
  }
}

/** The dashboard's Vite config, the same one `npm run build` uses. */
const DASHBOARD_CONFIG = fileURLToPath(new URL('../../client/dashboard/vite.config.ts', import.meta.url));

let spawned: SpawnedRedis | undefined;

/**
 * Provides `redisUrl` (`REDIS_URL` when set, else a redis-server spawned for
 * this run) and builds the dashboard into `client/dashboard/dist` once, so
 * every Pulse a test starts serves the current dashboard at `/`. Both run
 * at the same time; a failed build fails the run (browser tests would only
 * fail later, less clearly).
 */
export async function setup(project: TestProject): Promise<void> {
  const [redis, dashboard] = await Promise.allSettled([provideRedis(project), buildDashboard()]);
  if (redis.status === 'rejected') throw redis.reason;
  if (dashboard.status === 'rejected') throw new Error('building the dashboard (vite build) failed', { cause: dashboard.reason });
}

async function provideRedis(project: TestProject): Promise<void> {
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv) {
    project.provide('redisUrl', fromEnv);
    return;
  }
  spawned = await spawnRedis();
  project.provide('redisUrl', spawned.url);
}

/** `npm run build`, through Vite's API: no child process, about a second. */
async function buildDashboard(): Promise<void> {
  await build({ configFile: DASHBOARD_CONFIG, logLevel: 'warn' });
}

/** Stops the Redis this run spawned. */
export async function teardown(): Promise<void> {
  await spawned?.stop();
}
