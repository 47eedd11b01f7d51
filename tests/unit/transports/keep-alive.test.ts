import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KeepAlive, type KeepAliveTarget } from '../../../server/transports/keep-alive.js';

/** A target that records when it was pinged (fake time, ms). */
function target(): KeepAliveTarget & { readonly pings: number[] } {
  const pings: number[] = [];
  return { pings, ping: () => pings.push(Date.now()) };
}

describe('keep-alives, one timer for every stream', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('pings every stream once per period, a slice of them each second, never all at once', () => {
    const keepAlive = new KeepAlive(12_000);
    const targets = Array.from({ length: 1200 }, target);
    for (const t of targets) keepAlive.add(t);
    const perTick: number[] = [];
    let before = 0;
    for (let second = 1; second <= 36; second++) {
      vi.advanceTimersByTime(1000);
      const total = targets.reduce((sum, t) => sum + t.pings.length, 0);
      perTick.push(total - before);
      before = total;
    }
    // 1,200 streams over 12 slices: 100 a second.
    expect(perTick).toEqual(Array.from({ length: 36 }, () => 100));
    for (const t of targets) {
      expect(t.pings).toHaveLength(3);
      expect(t.pings[1]! - t.pings[0]!).toBe(12_000);
      expect(t.pings[2]! - t.pings[1]!).toBe(12_000);
    }
  });

  it('pings streams added during a round within it or the next, and none deleted', () => {
    const keepAlive = new KeepAlive(12_000);
    const first = Array.from({ length: 120 }, target);
    for (const t of first) keepAlive.add(t);
    vi.advanceTimersByTime(6_000);
    const late = Array.from({ length: 120 }, target);
    for (const t of late) keepAlive.add(t);
    const gone = first.slice(100);
    for (const t of gone) keepAlive.delete(t);
    const pingsOfGone = gone.map((t) => t.pings.length);
    vi.advanceTimersByTime(6_000);
    // The round ending at 12 s reached everyone in the set, the late ones included.
    for (const t of [...first.slice(0, 100), ...late]) expect(t.pings.length).toBe(1);
    expect(gone.map((t) => t.pings.length)).toEqual(pingsOfGone);
    vi.advanceTimersByTime(12_000);
    for (const t of [...first.slice(0, 100), ...late]) expect(t.pings.length).toBe(2);
  });

  it('pings a lone stream once per period, and stops with the last stream', () => {
    const keepAlive = new KeepAlive(12_000);
    const lone = target();
    const remove = keepAlive.add(lone);
    vi.advanceTimersByTime(36_000);
    expect(lone.pings).toEqual([1000, 13_000, 25_000]);
    remove();
    expect(vi.getTimerCount()).toBe(0);
    // A period shorter than a slice is one slice: every stream, every period.
    const fast = new KeepAlive(200);
    const quick = target();
    const start = Date.now();
    fast.add(quick);
    vi.advanceTimersByTime(1000);
    expect(quick.pings.map((at) => at - start)).toEqual([200, 400, 600, 800, 1000]);
  });
});
