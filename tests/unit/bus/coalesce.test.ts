import { describe, expect, it } from 'vitest';
import { coalesce } from '../../../server/bus/coalesce.js';

/** A task whose runs the test ends one at a time, recording how many overlap. */
function controlledTask() {
  const pending: (() => void)[] = [];
  let running = 0;
  const stats = { runs: 0, mostAtOnce: 0 };
  const task = async (): Promise<void> => {
    stats.runs++;
    running++;
    stats.mostAtOnce = Math.max(stats.mostAtOnce, running);
    await new Promise<void>((resolve) => pending.push(resolve));
    running--;
  };
  /** Ends the oldest run, then lets its continuation (maybe the next run's start) happen. */
  const finishOne = async (): Promise<void> => {
    pending.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { task, stats, finishOne };
}

describe('coalesce', () => {
  it('never overlaps runs, and serves every call made during a run with one more run', async () => {
    const { task, stats, finishOne } = controlledTask();
    const run = coalesce(task);
    const first = run();
    const during = [run(), run(), run()];
    await finishOne();
    expect(stats.runs).toBe(2);
    let settled = false;
    void Promise.all(during).then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    // The calls made during the first run wait for the run that covers them.
    expect(settled).toBe(false);
    await finishOne();
    await Promise.all([first, ...during]);
    expect(settled).toBe(true);
    expect(stats).toEqual({ runs: 2, mostAtOnce: 1 });
  });

  it('starts a new run for a call made after the runs ended', async () => {
    const { task, stats, finishOne } = controlledTask();
    const run = coalesce(task);
    const first = run();
    await finishOne();
    await first;
    const second = run();
    await finishOne();
    await second;
    expect(stats).toEqual({ runs: 2, mostAtOnce: 1 });
  });

  it('rejects the callers of a run that threw, and runs again on the next call', async () => {
    let calls = 0;
    const run = coalesce(async () => {
      calls++;
      if (calls === 1) throw new Error('first run failed');
    });
    await expect(run()).rejects.toThrow('first run failed');
    await expect(run()).resolves.toBeUndefined();
    expect(calls).toBe(2);
  });
});
