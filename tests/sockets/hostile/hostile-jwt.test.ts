import { exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, postGraphQL, subscribe, type Subscription } from '../../support/clients.js';
import { ACTIVITY } from '../../support/operations.js';
import { startTestPulse, type TestPulse } from '../../support/pulse.js';
import { probeSse, refusalOf } from '../../support/refusal.js';

const ISSUER = 'https://issuer.pulse.test';
const AUDIENCE = 'pulse-test';
const now = (): number => Math.floor(Date.now() / 1000);

/** Claims of a token the server would accept (admin role, right issuer and audience, fresh). */
const goodClaims = (): JWTPayload => ({ sub: 'mallory', roles: ['admin'], iss: ISSUER, aud: AUDIENCE, iat: now(), exp: now() + 3600 });

function hs256(secret: string | Uint8Array, claims: JWTPayload): Promise<string> {
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(key);
}

/** Swaps a signed token's payload for another, keeping header and signature. */
function withPayload(token: string, claims: JWTPayload): string {
  const [header, , signature] = token.split('.');
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

/** Every hostile token, by name, made for the server's secret. */
async function hostileTokens(secret: string): Promise<ReadonlyArray<readonly [string, string]>> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const publicPem = await exportSPKI(publicKey);
  const claims = goodClaims();
  const valid = await hs256(secret, claims);
  return [
    ['alg none', new UnsecuredJWT(claims).encode()],
    ['alg none with a forged signature part', `${new UnsecuredJWT(claims).encode()}${valid.split('.')[2]}`],
    ['HS256 signed with the RSA public key PEM (key confusion)', await hs256(publicPem, claims)],
    ['RS256', await new SignJWT(claims).setProtectedHeader({ alg: 'RS256' }).sign(privateKey)],
    ['HS512 with the right secret', await new SignJWT(claims).setProtectedHeader({ alg: 'HS512' }).sign(new TextEncoder().encode(secret))],
    ['expired', await hs256(secret, { ...claims, iat: now() - 7200, exp: now() - 3600 })],
    ['not yet valid', await hs256(secret, { ...claims, nbf: now() + 3600 })],
    ['without exp', await hs256(secret, { sub: 'mallory', roles: ['admin'], iss: ISSUER, aud: AUDIENCE })],
    ['wrong issuer', await hs256(secret, { ...claims, iss: 'https://evil.test' })],
    ['no issuer', await hs256(secret, { ...claims, iss: undefined })],
    ['wrong audience', await hs256(secret, { ...claims, aud: 'someone-else' })],
    ['another secret', await hs256('another-secret-that-is-long-enough-000', claims)],
    ['tampered payload (role raised)', withPayload(await hs256(secret, { ...claims, roles: ['ingest'] }), claims)],
    ['tampered payload (subject changed)', withPayload(valid, { ...claims, sub: 'alice' })],
    ['truncated signature', valid.slice(0, -4)],
    ['garbage', 'garbage'],
    ['three empty parts', '..'],
    ['binary noise', Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37) % 256)).toString('base64')],
  ];
}

describe('hostile JWTs on every transport', () => {
  let pulse: TestPulse;
  let tokens: ReadonlyArray<readonly [string, string]>;
  const opened: Subscription[] = [];

  beforeAll(async () => {
    pulse = await startTestPulse({ env: { JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE } });
    tokens = await hostileTokens(pulse.secret);
  });
  afterAll(async () => {
    opened.forEach((sub) => sub.dispose());
    await pulse.close();
  });

  it('accepts the well-formed token the hostile ones are made from (control)', async () => {
    const { status, body } = await postGraphQL(pulse.graphqlUrl, await hs256(pulse.secret, goodClaims()), '{ stats { activeUsers } }');
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
  });

  // Names are listed here so each token gets its own test; the tokens themselves need the server's secret.
  const NAMES = [
    'alg none', 'alg none with a forged signature part', 'HS256 signed with the RSA public key PEM (key confusion)', 'RS256',
    'HS512 with the right secret', 'expired', 'not yet valid', 'without exp', 'wrong issuer', 'no issuer', 'wrong audience',
    'another secret', 'tampered payload (role raised)', 'tampered payload (subject changed)', 'truncated signature', 'garbage',
    'three empty parts', 'binary noise',
  ];
  const tokenNamed = (name: string): string => {
    const token = tokens.find(([n]) => n === name)?.[1];
    if (token === undefined) throw new Error(`no token named ${name}`);
    return token;
  };

  it('covers every token it makes', () => {
    expect(tokens.map(([name]) => name)).toEqual(NAMES);
  });

  describe.each(NAMES)('a token: %s', (name) => {
    it('is refused over HTTP POST with 401 UNAUTHENTICATED', async () => {
      const { status, body } = await postGraphQL(pulse.graphqlUrl, tokenNamed(name), '{ stats { activeUsers } }');
      expect(status).toBe(401);
      expect(errorCode(body)).toBe('UNAUTHENTICATED');
      expect(JSON.stringify(body)).not.toContain(tokenNamed(name).slice(-12));
    });

    it('is refused over SSE (distinct) with 401 UNAUTHENTICATED', async () => {
      expect(await probeSse(pulse.graphqlUrl, tokenNamed(name), ACTIVITY)).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    });

    it('is refused over SSE (distinct) at the stream endpoint with 401 UNAUTHENTICATED', async () => {
      expect(await probeSse(`${pulse.graphqlUrl}/stream`, tokenNamed(name), ACTIVITY)).toEqual({ status: 401, code: 'UNAUTHENTICATED' });
    });

    it('is refused over SSE (single connection) at the reservation PUT with 401 UNAUTHENTICATED', async () => {
      const response = await fetch(`${pulse.graphqlUrl}/stream`, { method: 'PUT', headers: { authorization: `Bearer ${tokenNamed(name)}`, accept: 'text/plain' } });
      expect(response.status).toBe(401);
      expect(errorCode((await response.json()) as { errors?: [] })).toBe('UNAUTHENTICATED');
    });

    it('is refused over graphql-ws with close 4401', async () => {
      const sub = subscribe('ws', { graphqlUrl: pulse.graphqlUrl, token: tokenNamed(name) }, ACTIVITY);
      opened.push(sub);
      expect(await refusalOf(sub)).toEqual({ closeCode: 4401 });
    });
  });
});
