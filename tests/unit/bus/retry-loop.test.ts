import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { retryLoop } from '../../../server/bus/retry-loop.js';

/** An attempt that reports "more to do" for its first `failures` runs, recording when each ran. */
function attemptFailing(failures: number) {
  const ranAt: number[] = [];
  const attempt = async (): Promise<boolean> => {
    ranAt.push(Date.now());
    return ranAt.length <= failures;
  };
  return { attempt, ranAt };
}

const backoff = (attempt: number): number => 100 * 2 ** attempt;

describe('retryLoop', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('retries on the backoff until the attempt has nothing left, then starts over from the first delay', async () => {
    const { attempt, ranAt } = attemptFailing(2);
    const loop = retryLoop(attempt, backoff);
    loop.start();
    loop.start();
    await vi.advanceTimersByTimeAsync(10_000);
    // After 100 ms, then 200 ms more, then 400 ms more; the third run had nothing left.
    expect(ranAt).toEqual([100, 300, 700]);
    const restartedAt = Date.now();
    loop.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(ranAt.slice(3)).toEqual([restartedAt + 100]);
  });

  it('runs at once on now() while waiting, and not at all while idle', async () => {
    const { attempt, ranAt } = attemptFailing(0);
    const loop = retryLoop(attempt, backoff);
    loop.now();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ranAt).toEqual([]);
    loop.start();
    await vi.advanceTimersByTimeAsync(10);
    const calledAt = Date.now();
    loop.now();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ranAt).toEqual([calledAt]);
  });

  it('runs once more after the current run when now() comes during it', async () => {
    const ranAt: number[] = [];
    let release: (() => void) | undefined;
    const loop = retryLoop(async () => {
      ranAt.push(Date.now());
      if (ranAt.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return true;
    }, () => 1_000);
    loop.start();
    await vi.advanceTimersByTimeAsync(1_000);
    loop.now();
    loop.now();
    release?.();
    await vi.advanceTimersByTimeAsync(0);
    expect(ranAt).toEqual([1_000, 1_000]);
    loop.stop();
  });

  it('cancels the pending run on stop(), for good', async () => {
    const { attempt, ranAt } = attemptFailing(10);
    const loop = retryLoop(attempt, backoff);
    loop.start();
    await vi.advanceTimersByTimeAsync(100);
    loop.stop();
    loop.start();
    loop.now();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(ranAt).toEqual([100]);
  });
});
