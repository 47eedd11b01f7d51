import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { redisKeys } from '../../../server/redis/keys.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (path.endsWith('.ts')) yield path;
  }
}

/** The files of `server/` outside `allowed` whose code matches `pattern`. */
function filesMatching(pattern: RegExp, allowed: readonly string[]): string[] {
  return [...sourceFiles('server')].filter((file) => !allowed.some((prefix) => file.startsWith(prefix)) && pattern.test(readFileSync(join(ROOT, file), 'utf8')));
}

describe('the Redis seam', () => {
  it('builds every key and channel in server/redis/keys.ts', () => {
    expect(filesMatching(/\{pulse\}:|sse:process:|ip-salt:/, ['server/redis/keys.ts'])).toEqual([]);
  });

  it('opens every connection in the composition root', () => {
    expect(filesMatching(/new (Redis|Cluster)\(|connectRedis\(/, ['server/redis/connect.ts', 'server/root/'])).toEqual([]);
  });

  it('runs every script through server/redis/lua.ts, from .lua files', () => {
    expect(filesMatching(/\.evalsha\(|\.eval\(|defineCommand\(/, ['server/redis/lua.ts'])).toEqual([]);
    // Lua written inline in TypeScript would name its KEYS and ARGV.
    expect(filesMatching(/\bKEYS\[|\bARGV\[/, [])).toEqual([]);
  });

  it('keeps every key under the prefix and the {pulse} hash tag, and channels under the prefix', () => {
    const keys = redisKeys('p:');
    const { reservations: r } = keys;
    const tagged = [keys.seq, keys.epoch, keys.history, keys.historyFloor, keys.sessionsByLastSeen, keys.session('s'), keys.userSessions('u'), keys.usersByLastSeen, keys.userNames, keys.pathCounts];
    tagged.push(keys.eventsInSecond(1), keys.eventsInMinute(1), keys.leases('h'), keys.leaseCounts('h'), keys.leaseHeartbeat('x'));
    tagged.push(r.reservation('t'), r.operations('t'), r.order('t'), r.pending('o'), r.streams('o'));
    expect(tagged.filter((key) => !key.startsWith('p:{pulse}:'))).toEqual([]);
    expect(new Set(tagged).size).toBe(tagged.length);
    expect(keys.leaseHeartbeat('x')).toBe(`${keys.leaseHeartbeatPrefix}x`);
    expect([keys.changesChannel, keys.streamRouterChannel('x'), keys.ipSalt('2026-12-01')].every((name) => name.startsWith('p:') && !name.includes('{'))).toBe(true);
  });
});
