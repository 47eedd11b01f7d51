import { describe, expect, it } from 'vitest';
import { nextDelay, retryDecision } from '../../../client/lib/index.js';
import { failureFromResponseBody } from '../../../client/lib/retry/error-codes.js';

const policy = (random: () => number) => ({ initial: 1_000, max: 30_000, random });

describe('nextDelay (capped exponential backoff, equal jitter)', () => {
  it('doubles the ceiling from the initial delay and caps it', () => {
    const highest = Array.from({ length: 9 }, (_, attempt) => nextDelay(attempt, policy(() => 1)));
    expect(highest).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000, 30_000]);
  });

  it('draws from the upper half of the ceiling', () => {
    expect(nextDelay(0, policy(() => 0))).toBe(500);
    expect(nextDelay(0, policy(() => 0.5))).toBe(750);
    expect(nextDelay(4, policy(() => 0))).toBe(8_000);
    expect(nextDelay(20, policy(() => 0))).toBe(15_000);
  });

  it('stays within bounds and never shrinks before the cap, whatever the random draws', () => {
    let seed = 42;
    const random = (): number => ((seed = (seed * 16_807) % 2_147_483_647) - 1) / 2_147_483_646;
    for (let run = 0; run < 200; run++) {
      let previous = 0;
      for (let attempt = 0; attempt < 12; attempt++) {
        const ceiling = Math.min(30_000, 1_000 * 2 ** attempt);
        const delay = nextDelay(attempt, policy(random));
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
        if (ceiling < 30_000) expect(delay).toBeGreaterThanOrEqual(previous);
        previous = delay;
      }
    }
  });

  it('survives absurd attempt counts', () => {
    expect(nextDelay(10_000, policy(() => 1))).toBe(30_000);
    expect(nextDelay(-3, policy(() => 1))).toBe(1_000);
  });
});

describe('the retry decision', () => {
  it.each([
    [{ code: 'UNAUTHENTICATED', status: 401 }, { retry: false, code: 'UNAUTHENTICATED' }],
    [{ code: 'FORBIDDEN', status: null }, { retry: false, code: 'FORBIDDEN' }],
    [{ code: 'TOO_MANY_SUBSCRIPTIONS', status: 429 }, { retry: false, code: 'TOO_MANY_SUBSCRIPTIONS' }],
    [{ code: 'BAD_USER_INPUT', status: 400 }, { retry: false, code: 'BAD_USER_INPUT' }],
    [{ code: null, status: 401 }, { retry: false, code: 'UNAUTHENTICATED' }],
    [{ code: null, status: 403 }, { retry: false, code: 'FORBIDDEN' }],
    [{ code: 'SERVICE_UNAVAILABLE', status: 503 }, { retry: true }],
    [{ code: 'SLOW_CONSUMER', status: null }, { retry: true }],
    [{ code: null, status: 503 }, { retry: true }],
    [{ code: null, status: 500 }, { retry: true }],
    [{ code: 'INTERNAL_SERVER_ERROR', status: 500 }, { retry: true }],
    [{ code: null, status: null }, { retry: true }],
  ])('%o → %o', (failure, decision) => {
    expect(retryDecision({ ...failure, message: 'x' })).toEqual(decision);
  });

  it('lets the code in the body win over the status', () => {
    expect(retryDecision({ code: 'SERVICE_UNAVAILABLE', status: 401, message: 'x' })).toEqual({ retry: true });
  });

  it('reads the code and message of an error body, and copes with one that is not GraphQL', () => {
    const body = JSON.stringify({ errors: [{ message: 'The token could not be verified.', extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(failureFromResponseBody(401, 'Unauthorized', body)).toEqual({ code: 'UNAUTHENTICATED', status: 401, message: 'The token could not be verified.' });
    expect(failureFromResponseBody(502, 'Bad Gateway', '<html>oops</html>')).toEqual({ code: null, status: 502, message: 'HTTP 502 Bad Gateway' });
    expect(failureFromResponseBody(503, '', 'null')).toEqual({ code: null, status: 503, message: 'HTTP 503' });
  });
});
