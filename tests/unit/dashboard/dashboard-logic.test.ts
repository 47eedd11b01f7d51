import { describe, expect, it } from 'vitest';
import { formatAgo, niceCeiling, parseInstant, secondsUntil } from '../../../client/dashboard/format.js';
import { createTokenStore, TOKEN_STORAGE_KEY, tokenFromFragment, type TokenEnvironment } from '../../../client/dashboard/token.js';
import { FAILURE_MESSAGES, statusLabel } from '../../../client/dashboard/views/connection.js';

describe('dashboard formatting', () => {
  it.each([
    [0, '0 s ago'],
    [12_400, '12 s ago'],
    [59_999, '59 s ago'],
    [60_000, '1 min ago'],
    [3_599_000, '59 min ago'],
    [7_200_000, '2 h ago'],
    [-3_000, '0 s ago'],
  ])('shows an age of %i ms as %j', (age, text) => {
    expect(formatAgo(1_000_000_000 - age, 1_000_000_000)).toBe(text);
  });

  it('counts down in whole seconds, reaching 0 only when the time has come', () => {
    expect(secondsUntil(10_000, 7_001)).toBe(3);
    expect(secondsUntil(10_000, 9_999)).toBe(1);
    expect(secondsUntil(10_000, 10_000)).toBe(0);
    expect(secondsUntil(10_000, 12_000)).toBe(0);
  });

  it.each([
    [0, 10],
    [7, 10],
    [11, 20],
    [72, 100],
    [100, 100],
    [101, 200],
    [2_345, 5_000],
  ])('scales the chart for a peak of %i to %i', (peak, max) => {
    expect(niceCeiling(peak, 10)).toBe(max);
  });

  it('reads instants, and nothing from a malformed one', () => {
    expect(parseInstant('2026-11-27T08:00:00.000Z')).toBe(Date.UTC(2026, 10, 27, 8));
    expect(parseInstant('yesterday')).toBeUndefined();
    expect(parseInstant(null)).toBeUndefined();
  });
});

describe('the connection indicator text', () => {
  it('counts down to the next try and names the attempt', () => {
    const status = { kind: 'reconnecting', attempt: 2, delayMs: 3000, retryAt: 10_000, reason: 'network error' } as const;
    expect(statusLabel(status, 7_100)).toBe('Reconnecting in 3 s (attempt 2)');
    expect(statusLabel(status, 10_000)).toBe('Reconnecting now (attempt 2)');
  });

  it('has a message for every refusal retrying cannot fix', () => {
    expect(FAILURE_MESSAGES.TOO_MANY_SUBSCRIPTIONS).toMatch(/^Too many subscriptions: .*Close another dashboard tab and press Start\.$/);
    expect(FAILURE_MESSAGES.UNAUTHENTICATED).toMatch(/^Your token was refused/);
    expect(FAILURE_MESSAGES.FORBIDDEN).toMatch(/admin role/);
  });
});

/** A window's location, history and storage, recorded. */
function fakeWindow(hash: string, stored: string | null = null) {
  const storage = new Map<string, string>(stored === null ? [] : [[TOKEN_STORAGE_KEY, stored]]);
  const replaced: string[] = [];
  const env: TokenEnvironment = {
    location: { hash, pathname: '/', search: '?tab=users' },
    history: { state: null, replaceState: (_state, _unused, url) => void replaced.push(String(url)) },
    storage: {
      getItem: (key) => storage.get(key) ?? null,
      setItem: (key, value) => void storage.set(key, value),
      removeItem: (key) => void storage.delete(key),
    },
  };
  return { env, storage, replaced };
}

describe('the admin token', () => {
  it('is read from #token=…', () => {
    expect(tokenFromFragment('#token=eyJ.abc.def')).toBe('eyJ.abc.def');
    expect(tokenFromFragment('#token=eyJ%2Eabc')).toBe('eyJ.abc');
    expect(tokenFromFragment('#other=1')).toBeNull();
    expect(tokenFromFragment('#token=')).toBeNull();
    expect(tokenFromFragment('')).toBeNull();
  });

  it('moves from the address bar into sessionStorage', () => {
    const { env, storage, replaced } = fakeWindow('#token=eyJ.link');
    const tokens = createTokenStore(env);
    expect(tokens.get()).toBe('eyJ.link');
    expect(replaced).toEqual(['/?tab=users']);
    expect(storage.get(TOKEN_STORAGE_KEY)).toBe('eyJ.link');
  });

  it('comes from sessionStorage after a reload, and leaves the address bar alone', () => {
    const { env, replaced } = fakeWindow('', 'eyJ.stored');
    expect(createTokenStore(env).get()).toBe('eyJ.stored');
    expect(replaced).toEqual([]);
  });

  it('is replaced by a typed one and forgotten on sign-out', () => {
    const { env, storage } = fakeWindow('');
    const tokens = createTokenStore(env);
    expect(tokens.get()).toBeNull();
    tokens.set('  eyJ.typed  ');
    expect(tokens.get()).toBe('eyJ.typed');
    expect(storage.get(TOKEN_STORAGE_KEY)).toBe('eyJ.typed');
    tokens.clear();
    expect(tokens.get()).toBeNull();
    expect(storage.has(TOKEN_STORAGE_KEY)).toBe(false);
  });

  it('lives in memory when storage throws', () => {
    const { env } = fakeWindow('#token=eyJ.link');
    const broken: TokenEnvironment = {
      ...env,
      storage: {
        getItem: () => {
          throw new Error('SecurityError');
        },
        setItem: () => {
          throw new Error('QuotaExceededError');
        },
        removeItem: () => {
          throw new Error('SecurityError');
        },
      },
    };
    const tokens = createTokenStore(broken);
    expect(tokens.get()).toBe('eyJ.link');
    tokens.set('eyJ.other');
    expect(tokens.get()).toBe('eyJ.other');
  });
});
