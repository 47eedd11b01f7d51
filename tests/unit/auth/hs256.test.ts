import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { jwtVerify, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAuthenticator, generateDevSecret, mintToken } from '../../../server/auth/authenticator.js';
import { Hs256Verifier } from '../../../server/auth/hs256.js';

const SECRET = new TextEncoder().encode(generateDevSecret());
const OTHER = new TextEncoder().encode(generateDevSecret());
const NOW_MS = Date.UTC(2026, 11, 2, 12, 0, 0);
const NOW = Math.floor(NOW_MS / 1000);
const TOLERANCE_S = 5;

const segment = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** A token signed with HMAC-SHA-256 whatever its header says, so that jose is the one to judge the header. */
function token(header: unknown, payload: unknown, key: Uint8Array = SECRET): string {
  const signed = `${segment(header)}.${segment(payload)}`;
  return `${signed}.${createHmac('sha256', key).update(signed).digest('base64url')}`;
}

/** What jose says of a token under the same rules: its claims, or null for a refusal. */
async function joseClaims(jwt: string, rules: { issuer?: string; audience?: string }): Promise<JWTPayload | null> {
  const options = { algorithms: ['HS256'], clockTolerance: TOLERANCE_S, requiredClaims: ['exp'], currentDate: new Date(NOW_MS), ...rules };
  return jwtVerify(jwt, SECRET, options).then(
    ({ payload }) => payload,
    () => null,
  );
}

// Weighted towards what verifies, so that accepting is tried often: the property must see both answers.
const dates = fc.oneof(
  { arbitrary: fc.integer({ min: NOW - 20, max: NOW + 20 }), weight: 6 },
  { arbitrary: fc.constant(undefined), weight: 2 },
  { arbitrary: fc.constantFrom('soon', null, NOW + 0.5, [NOW + 100], Number.MAX_VALUE), weight: 2 },
);
const headers = fc.oneof(
  { arbitrary: fc.constantFrom({ alg: 'HS256', typ: 'JWT' }, { alg: 'HS256' }), weight: 6 },
  {
    arbitrary: fc.constantFrom({ typ: 'JWT', alg: 'HS256' }, { alg: 'HS384' }, { alg: 'none' }, { alg: 'HS256', typ: 'at+jwt' }, { alg: 'HS256', crit: ['b64'], b64: false }, { alg: 'HS256', kid: 'k' }, ['HS256'], 'not json', null),
    weight: 4,
  },
);
const claims = fc.record(
  {
    sub: fc.constantFrom('alice', '', 7),
    roles: fc.constantFrom(['admin'], ['ingest'], 'admin'),
    exp: dates,
    nbf: dates,
    iat: dates,
    iss: fc.constantFrom('pulse', 'other', 1),
    aud: fc.constantFrom('dash', ['dash', 'x'], ['x'], 'other', 3),
  },
  { requiredKeys: [] },
);
const rules = fc.record({ issuer: fc.constantFrom('pulse', undefined), audience: fc.constantFrom('dash', undefined) }, { requiredKeys: [] });
const tamper = fc.oneof({ arbitrary: fc.constant('none'), weight: 6 }, { arbitrary: fc.constantFrom('other key', 'flipped signature', 'padded', 'extra segment', 'payload not json'), weight: 4 });

/** One token of the arbitraries, broken in one of the ways above. */
function tampered(header: unknown, payload: unknown, how: string): string {
  if (how === 'other key') return token(header, payload, OTHER);
  const jwt = token(header, payload);
  if (how === 'flipped signature') return `${jwt.slice(0, -2)}${jwt.endsWith('A') ? 'B' : 'A'}${jwt.slice(-1)}`;
  if (how === 'padded') return `${jwt}=`;
  if (how === 'extra segment') return `${jwt}.x`;
  if (how === 'payload not json') return token(header, 'not json');
  return jwt;
}

describe('Hs256Verifier (the fast path in front of jose)', () => {
  it('accepts only what jose accepts under the same key and rules, with the same claims', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(headers, claims, rules, tamper, async (header, payload, rule, how) => {
        const jwt = tampered(header, payload, how);
        const fast = new Hs256Verifier(SECRET, { ...rule, toleranceS: TOLERANCE_S }).claimsOf(jwt, NOW_MS);
        if (fast === null) return;
        accepted += 1;
        expect(await joseClaims(jwt, rule)).toEqual(fast);
      }),
      { numRuns: 3000 },
    );
    // The property must not hold by never accepting.
    expect(accepted).toBeGreaterThan(50);
  });

  it('takes every token Pulse mints, so that jose is only asked about the rest', async () => {
    const jwt = await mintToken({ secret: SECRET, sub: 'alice', roles: ['admin'], issuer: 'pulse', audience: 'dash' });
    expect(new Hs256Verifier(SECRET, { issuer: 'pulse', audience: 'dash', toleranceS: TOLERANCE_S }).claimsOf(jwt, Date.now())).toMatchObject({ sub: 'alice', roles: ['admin'] });
  });

  it('leaves a token at the edge of its lifetime to jose exactly as jose judges it', async () => {
    for (const exp of [NOW - TOLERANCE_S, NOW - TOLERANCE_S + 1]) {
      const jwt = token({ alg: 'HS256', typ: 'JWT' }, { sub: 'a', roles: [], exp });
      const fast = new Hs256Verifier(SECRET, { toleranceS: TOLERANCE_S }).claimsOf(jwt, NOW_MS);
      expect(fast !== null, `exp ${exp - NOW} s from now`).toBe((await joseClaims(jwt, {})) !== null);
    }
  });

  it('keeps the authenticator refusing as before, with jose saying why', async () => {
    const auth = createAuthenticator({ secret: SECRET, now: () => new Date(NOW_MS) });
    const expired = token({ alg: 'HS256', typ: 'JWT' }, { sub: 'alice', roles: ['admin'], exp: NOW - 60 });
    await expect(auth.verifyAuthorization(`Bearer ${expired}`)).rejects.toThrow('token has expired');
    const forged = token({ alg: 'HS256', typ: 'JWT' }, { sub: 'alice', roles: ['admin'], exp: NOW + 60 }, OTHER);
    await expect(auth.verifyAuthorization(`Bearer ${forged}`)).rejects.toThrow('token signature is invalid');
  });
});
