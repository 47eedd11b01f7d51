import { describe, expect, it } from 'vitest';
import type { Viewer } from '../../../server/auth/authenticator.js';
import { VerifiedTokens } from '../../../server/auth/verified-tokens.js';

const viewer = (sub: string): Viewer => ({ sub, roles: new Set(['admin']) });

describe('VerifiedTokens', () => {
  it('answers until the acceptance time, then forgets', () => {
    const tokens = new VerifiedTokens();
    const alice = viewer('alice');
    tokens.set('t1', alice, 1000);
    expect(tokens.get('t1', 999)).toBe(alice);
    expect(tokens.get('t1', 1000)).toBeUndefined();
    expect(tokens.size).toBe(0);
    expect(tokens.get('unknown', 0)).toBeUndefined();
  });

  it('keeps at most its capacity, dropping the least recently used', () => {
    const tokens = new VerifiedTokens(2);
    tokens.set('a', viewer('a'), 10_000);
    tokens.set('b', viewer('b'), 10_000);
    expect(tokens.get('a', 0)?.sub).toBe('a');
    tokens.set('c', viewer('c'), 10_000);
    expect(tokens.size).toBe(2);
    expect(tokens.get('b', 0)).toBeUndefined();
    expect(tokens.get('a', 0)?.sub).toBe('a');
    expect(tokens.get('c', 0)?.sub).toBe('c');
  });
});
