import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { retryDecision } from '../../../client/lib/retry/error-codes.js';
import { RetrySchedule } from '../../../client/lib/retry/retry-schedule.js';
import { ERROR_CODES } from '../../../schema/error-codes.js';

const TIMERS = { setTimeout: (run: () => void, ms: number): unknown => setTimeout(run, ms), clearTimeout: (id: unknown) => clearTimeout(id as NodeJS.Timeout) };

describe('RetrySchedule, the client’s one retry layer', () => {
  let schedule: RetrySchedule;
  beforeEach(() => {
    vi.useFakeTimers();
    schedule = new RetrySchedule({ timers: TIMERS, random: () => 1, initialDelayMs: 1_000, maxDelayMs: 4_000 });
  });
  afterEach(() => vi.useRealTimers());

  it('backs off from the initial delay, doubling up to the cap, and runs the retry after it', () => {
    const runs: number[] = [];
    const delays = [0, 1, 2, 3].map((n) => {
      const delay = schedule.retryLater(() => runs.push(n));
      vi.advanceTimersByTime(delay ?? 0);
      return delay;
    });
    expect(delays).toEqual([1_000, 2_000, 4_000, 4_000]);
    expect(runs).toEqual([0, 1, 2, 3]);
    expect(schedule.failures).toBe(4);
  });

  it('keeps at most one retry pending: a second failure meanwhile changes nothing', () => {
    const run = vi.fn();
    expect(schedule.retryLater(run)).toBe(1_000);
    expect(schedule.retryLater(run)).toBeNull();
    expect(schedule.failures).toBe(1);
    vi.advanceTimersByTime(1_000);
    expect(run).toHaveBeenCalledTimes(1);
    expect(schedule.pending).toBe(false);
  });

  it('starts from the first delay again after a success, and forgets everything on reset', () => {
    schedule.retryLater(() => {});
    vi.runAllTimers();
    schedule.retryLater(() => {});
    vi.runAllTimers();
    schedule.succeeded();
    expect(schedule.retryLater(() => {})).toBe(1_000);
    schedule.reset();
    expect(schedule.pending).toBe(false);
    expect(schedule.failures).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('cancels a pending retry without forgetting the failures', () => {
    const run = vi.fn();
    schedule.retryLater(run);
    schedule.cancel();
    vi.runAllTimers();
    expect(run).not.toHaveBeenCalled();
    expect(schedule.failures).toBe(1);
  });
});

describe('retry rules come from the error-code table', () => {
  const tooMany = { code: 'TOO_MANY_SUBSCRIPTIONS', status: 429, message: 'At most 2' };

  it('retries TOO_MANY_SUBSCRIPTIONS while resuming, up to the resumeRetries the table gives', () => {
    const limit = ERROR_CODES.TOO_MANY_SUBSCRIPTIONS.resumeRetries;
    for (let failures = 0; failures <= limit; failures++) expect(retryDecision(tooMany, { resuming: true, failures })).toEqual({ retry: true });
    expect(retryDecision(tooMany, { resuming: true, failures: limit + 1 })).toEqual({ retry: false, code: 'TOO_MANY_SUBSCRIPTIONS' });
  });

  it('never retries it on a fresh start, nor codes without resumeRetries while resuming', () => {
    expect(retryDecision(tooMany, { resuming: false, failures: 0 })).toEqual({ retry: false, code: 'TOO_MANY_SUBSCRIPTIONS' });
    expect(retryDecision({ code: 'FORBIDDEN', status: 403, message: 'no' }, { resuming: true, failures: 0 })).toEqual({ retry: false, code: 'FORBIDDEN' });
  });
});
