import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Deadlines, type DeadlineTimers } from '../../../server/live/deadlines.js';

/** A hand-driven clock and timer: time moves only when the test says so. */
class FakeTime implements DeadlineTimers {
  now = 0;
  /** Timers set and not cleared, by handle. */
  readonly pending = new Map<number, { at: number; callback: () => void }>();
  #next = 0;

  setTimeout(callback: () => void, ms: number): unknown {
    const handle = ++this.#next;
    this.pending.set(handle, { at: this.now + ms, callback });
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Moves to `to`, firing every timer due on the way, in order. */
  advance(to: number): void {
    for (;;) {
      const due = [...this.pending.entries()].filter(([, timer]) => timer.at <= to).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.pending.delete(due[0]);
      this.now = due[1].at;
      due[1].callback();
    }
    this.now = to;
  }
}

function setUp(): { time: FakeTime; deadlines: Deadlines; fired: number[] } {
  const time = new FakeTime();
  return { time, deadlines: new Deadlines({ now: () => time.now }, time), fired: [] };
}

describe('Deadlines', () => {
  it('fires each deadline at its time, in order, with one timer at a time', () => {
    const { time, deadlines, fired } = setUp();
    for (const at of [300, 100, 200]) deadlines.add(at, () => fired.push(at));
    expect(time.pending.size).toBe(1);
    time.advance(99);
    expect(fired).toEqual([]);
    time.advance(100);
    expect(fired).toEqual([100]);
    time.advance(1000);
    expect(fired).toEqual([100, 200, 300]);
    expect(deadlines.size).toBe(0);
    expect(time.pending.size).toBe(0);
  });

  it('forgets a cancelled deadline at once, and stops its timer when none is left', () => {
    const { time, deadlines, fired } = setUp();
    const cancel = deadlines.add(100, () => fired.push(100));
    const keep = deadlines.add(200, () => fired.push(200));
    cancel();
    cancel();
    expect(deadlines.size).toBe(1);
    keep();
    expect(deadlines.size).toBe(0);
    expect(time.pending.size).toBe(0);
    time.advance(1000);
    expect(fired).toEqual([]);
  });

  it('fires a deadline already past on its next timer, and a cancellation after firing does nothing', () => {
    const { time, deadlines, fired } = setUp();
    time.now = 500;
    const cancel = deadlines.add(100, () => fired.push(100));
    time.advance(500);
    expect(fired).toEqual([100]);
    cancel();
    deadlines.add(600, () => fired.push(600));
    time.advance(600);
    expect(fired).toEqual([100, 600]);
  });

  it('never asks for a timer longer than Node allows (a 30-day token), and still fires on time', () => {
    const { time, deadlines, fired } = setUp();
    const thirtyDays = 30 * 24 * 3600 * 1000;
    deadlines.add(thirtyDays, () => fired.push(thirtyDays));
    expect(Math.max(...[...time.pending.values()].map((timer) => timer.at))).toBeLessThanOrEqual(2_147_483_647);
    time.advance(thirtyDays - 1);
    expect(fired).toEqual([]);
    time.advance(thirtyDays);
    expect(fired).toEqual([thirtyDays]);
  });

  it('fires exactly the deadlines not cancelled, each once and in time order, whatever the sequence of adds and cancels', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), at: fc.integer({ min: 0, max: 1000 }) }),
      fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('advance' as const), by: fc.integer({ min: 0, max: 300 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const { time, deadlines } = setUp();
        const live = new Map<number, () => void>();
        const expected = new Map<number, number>();
        const cancelled = new Set<number>();
        const fired: Array<{ id: number; when: number }> = [];
        let id = 0;
        for (const s of steps) {
          if (s.kind === 'add') {
            const mine = ++id;
            // Due now or later: fired at its time; already past: on the next timer, now.
            expected.set(mine, Math.max(s.at, time.now));
            live.set(mine, deadlines.add(s.at, () => fired.push({ id: mine, when: time.now })));
          } else if (s.kind === 'cancel') {
            const chosen = [...live.keys()][s.pick % Math.max(1, live.size)];
            if (chosen !== undefined && !fired.some((f) => f.id === chosen)) {
              live.get(chosen)?.();
              cancelled.add(chosen);
              expected.delete(chosen);
            }
          } else time.advance(time.now + s.by);
        }
        time.advance(2000);
        expect(fired.map((f) => f.id).sort((a, b) => a - b)).toEqual([...expected.keys()].sort((a, b) => a - b));
        for (const f of fired) expect(f.when).toBe(expected.get(f.id));
        expect(fired.map((f) => f.when)).toEqual([...fired.map((f) => f.when)].sort((a, b) => a - b));
        expect(fired.some((f) => cancelled.has(f.id))).toBe(false);
        expect(deadlines.size).toBe(0);
        expect(time.pending.size).toBe(0);
      }),
    );
  });
});
