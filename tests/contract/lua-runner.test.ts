import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadLua, runLua } from '../../server/redis/lua.js';
import { connectTestRedis, uniquePrefix } from '../support/redis.js';

describe('the Lua runner', () => {
  const redis = connectTestRedis();
  const dir = mkdtempSync(join(tmpdir(), 'pulse-lua-'));
  const url = pathToFileURL(`${dir}/`);
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await redis.quit();
  });

  /** A script Redis has never seen: its source is unique to this run. */
  function freshScript(body: string): ReturnType<typeof loadLua> {
    const name = `${randomUUID()}.lua`;
    writeFileSync(join(dir, name), `-- ${name}\n${body}`);
    return loadLua(url, ['lib.lua', name], 'local ANSWER = 42');
  }
  writeFileSync(join(dir, 'lib.lua'), 'local function twice(x) return x * 2 end');

  it('sends EVAL once when Redis does not know the script, EVALSHA alone after that', async () => {
    const script = freshScript("return { twice(ANSWER), redis.call('INCR', KEYS[1]), ARGV[1] }");
    const key = `${uniquePrefix('lua')}counter`;
    const evalsha = vi.spyOn(redis, 'evalsha');
    const evaluate = vi.spyOn(redis, 'eval');
    expect(await runLua(redis, script, [key], ['a'])).toEqual([84, 1, 'a']);
    expect(await runLua(redis, script, [key], ['b'])).toEqual([84, 2, 'b']);
    expect([evalsha.mock.calls.length, evaluate.mock.calls.length]).toEqual([2, 1]);
    evalsha.mockRestore();
    evaluate.mockRestore();
    await redis.del(key);
  });

  it('rejects with the script’s own error, without sending it again', async () => {
    const script = freshScript("return redis.error_reply('refused')");
    await expect(runLua(redis, script, [], [])).rejects.toThrow('refused');
    const evaluate = vi.spyOn(redis, 'eval');
    await expect(runLua(redis, script, [], [])).rejects.toThrow('refused');
    expect(evaluate).not.toHaveBeenCalled();
    evaluate.mockRestore();
  });

  it('fails at load, not on first use, when a file is missing', () => {
    expect(() => loadLua(url, ['missing.lua'])).toThrow(/ENOENT/);
  });
});
