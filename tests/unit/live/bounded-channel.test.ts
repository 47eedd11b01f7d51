import { describe, expect, it } from 'vitest';
import { createBoundedChannel } from '../../../server/live/fanout/bounded-channel.js';

describe('createBoundedChannel', () => {
  it('delivers queued values in order, then ends', async () => {
    const channel = createBoundedChannel<number>(3);
    expect([channel.push(1), channel.push(2)]).toEqual([true, true]);
    channel.end();
    expect(channel.push(3)).toBe(false);
    const seen: number[] = [];
    for await (const value of channel) seen.push(value);
    expect(seen).toEqual([1, 2]);
  });

  it('refuses values beyond its capacity instead of growing', () => {
    const channel = createBoundedChannel<number>(2);
    expect([channel.push(1), channel.push(2), channel.push(3)]).toEqual([true, true, false]);
    expect(channel.size).toBe(2);
  });

  it('wakes a waiting consumer', async () => {
    const channel = createBoundedChannel<string>(1);
    const pending = channel.next();
    channel.push('hello');
    expect(await pending).toEqual({ value: 'hello', done: false });
  });

  it('drops queued values on failure and rejects the next read once', async () => {
    const channel = createBoundedChannel<number>(2);
    channel.push(1);
    channel.fail(new Error('boom'));
    expect(channel.size).toBe(0);
    await expect(channel.next()).rejects.toThrow('boom');
    expect(await channel.next()).toEqual({ value: undefined, done: true });
  });

  it('settles return() at once, even with a consumer waiting, and resolves closed', async () => {
    const channel = createBoundedChannel<number>(2);
    const waiting = channel.next();
    let closed = false;
    void channel.closed.then(() => (closed = true));
    expect(await channel.return()).toEqual({ value: undefined, done: true });
    expect(await waiting).toEqual({ value: undefined, done: true });
    await Promise.resolve();
    expect(closed).toBe(true);
    expect(channel.push(1)).toBe(false);
  });
});
