import type { TestProject } from 'vitest/node';
import { spawnRedis, type SpawnedRedis } from './redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The Redis every suite shares, each under its own key prefix. */
    redisUrl: string;
  }
}

let spawned: SpawnedRedis | undefined;

/** Provides `redisUrl`: `REDIS_URL` when set, else a redis-server spawned for this run. */
export async function setup(project: TestProject): Promise<void> {
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv) {
    project.provide('redisUrl', fromEnv);
    return;
  }
  spawned = await spawnRedis();
  project.provide('redisUrl', spawned.url);
}

/** Stops the Redis this run spawned. */
export async function teardown(): Promise<void> {
  await spawned?.stop();
}
