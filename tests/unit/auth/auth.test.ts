import { GraphQLError } from 'graphql';
import { base64url, decodeJwt, decodeProtectedHeader, exportSPKI, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticator, generateDevSecret, mintToken, requireRole, type Role, type Viewer } from '../../../server/auth/authenticator.js';
import type { ErrorCode } from '../../../server/core/errors.js';

const SECRET = generateDevSecret();
const KEY = new TextEncoder().encode(SECRET);
const auth = createAuthenticator({ secret: SECRET });

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** An HS256 token with exactly these claims (nothing added), signed with `key`. */
async function sign(claims: JWTPayload, key: Uint8Array = KEY): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(key);
}

/** Claims of a valid admin token; spread and override to break one thing at a time. */
function claims(overrides: JWTPayload = {}): JWTPayload {
  return { sub: 'alice', roles: ['admin'], iat: nowSeconds(), exp: nowSeconds() + 3600, ...overrides };
}

/** Awaits a rejection and checks it is a client-facing error with the code, and returns it. */
async function rejection(promise: Promise<unknown>, code: ErrorCode): Promise<GraphQLError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(GraphQLError);
  const graphqlError = error as GraphQLError;
  expect(graphqlError.extensions.code).toBe(code);
  return graphqlError;
}

/** Runs `fn`, expecting it to throw a client-facing error with the code, and returns it. */
function thrown(fn: () => unknown, code: ErrorCode): GraphQLError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).extensions.code).toBe(code);
    return error as GraphQLError;
  }
  throw new Error(`expected a ${code} error`);
}

/** Expects the header to be refused as UNAUTHENTICATED with a matching message that never repeats the token. */
async function expectRefused(header: string | null | undefined, message: RegExp, token?: string): Promise<void> {
  const error = await rejection(auth.verifyAuthorization(header), 'UNAUTHENTICATED');
  expect(error.message).toMatch(message);
  expect(error.extensions.http).toEqual({ status: 401 });
  if (token !== undefined && token.length > 0) expect(error.message).not.toContain(token);
}

/** Expects `Bearer <token>` to be refused. */
async function expectTokenRefused(token: string, message: RegExp): Promise<void> {
  await expectRefused(`Bearer ${token}`, message, token);
}

function rolesOf(viewer: Viewer): Role[] {
  return [...viewer.roles].sort();
}

describe('verifyAuthorization accepts', () => {
  it.each([
    [['admin'], ['admin']],
    [['ingest'], ['ingest']],
    [['admin', 'ingest'], ['admin', 'ingest']],
    [['ingest', 'superuser', 'admin'], ['admin', 'ingest']],
    [['superuser'], []],
    [[], []],
  ])('a valid token with roles %j as roles %j', async (roles, expected) => {
    const viewer = await auth.verifyAuthorization(`Bearer ${await sign(claims({ roles }))}`);
    expect(viewer.sub).toBe('alice');
    expect(rolesOf(viewer)).toEqual(expected);
  });

  it.each(['bearer', 'BEARER', 'BeArEr'])('the scheme written as %s', async (scheme) => {
    const viewer = await auth.verifyAuthorization(`${scheme} ${await sign(claims())}`);
    expect(viewer.sub).toBe('alice');
  });

  it('surrounding and repeated spaces', async () => {
    const viewer = await auth.verifyAuthorization(`  Bearer    ${await sign(claims())}  `);
    expect(viewer.sub).toBe('alice');
  });

  it('a token expired or not yet valid by less than the clock tolerance', async () => {
    await expect(auth.verifyAuthorization(`Bearer ${await sign(claims({ exp: nowSeconds() - 2 }))}`)).resolves.toBeDefined();
    await expect(auth.verifyAuthorization(`Bearer ${await sign(claims({ nbf: nowSeconds() + 2 }))}`)).resolves.toBeDefined();
  });

  it('a secret given as bytes', async () => {
    const bytesAuth = createAuthenticator({ secret: KEY });
    await expect(bytesAuth.verifyAuthorization(`Bearer ${await sign(claims())}`)).resolves.toMatchObject({ sub: 'alice' });
  });
});

describe('verifyAuthorization refuses the header', () => {
  it.each([
    [null, /missing Authorization header/],
    [undefined, /missing Authorization header/],
    ['', /missing Authorization header/],
    ['   ', /missing Authorization header/],
    ['Bearer', /missing token after "Bearer"/],
    ['Bearer   ', /missing token after "Bearer"/],
    ['Bearer a.b.c d.e.f', /exactly one token/],
    ['Basic YWxpY2U6c2VjcmV0', /unsupported Authorization scheme/],
  ])('%j', async (header, message) => {
    await expectRefused(header, message);
  });

  it('a token sent without a scheme, without echoing it', async () => {
    const token = await sign(claims());
    await expectRefused(token, /unsupported Authorization scheme/, token);
  });

  it('a second token, without echoing either', async () => {
    const token = await sign(claims());
    const error = await rejection(auth.verifyAuthorization(`Bearer ${token} ${token}`), 'UNAUTHENTICATED');
    expect(error.message).not.toContain(token);
  });
});

describe('verifyAuthorization refuses the token', () => {
  it('alg none (crafted by hand, empty signature)', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const payload = base64url.encode(JSON.stringify(claims()));
    await expectTokenRefused(`${header}.${payload}.`, /algorithm is not allowed/);
  });

  it('alg none with the signature of a valid token kept', async () => {
    const [, payload, signature] = (await sign(claims())).split('.');
    const header = base64url.encode(JSON.stringify({ alg: 'none' }));
    await expectTokenRefused(`${header}.${payload}.${signature}`, /algorithm is not allowed/);
  });

  describe('with asymmetric keys', () => {
    let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
    beforeAll(async () => {
      rsa = await generateKeyPair('RS256', { extractable: true });
    });

    it('RS256 signed with a generated key pair', async () => {
      const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'RS256' }).sign(rsa.privateKey);
      await expectTokenRefused(token, /algorithm is not allowed \(only HS256/);
    });

    it('ES256 signed with a generated key pair', async () => {
      const ec = await generateKeyPair('ES256');
      const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'ES256' }).sign(ec.privateKey);
      await expectTokenRefused(token, /algorithm is not allowed/);
    });

    it('HS/RS confusion: HS256 signed with the RSA public key PEM as the secret', async () => {
      const publicPem = await exportSPKI(rsa.publicKey);
      const token = await sign(claims(), new TextEncoder().encode(publicPem));
      await expectTokenRefused(token, /signature is invalid/);
    });
  });

  it('other HMAC algorithms (HS512), since only HS256 is pinned', async () => {
    const token = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS512' }).sign(new Uint8Array(64).fill(7));
    await expectTokenRefused(token, /algorithm is not allowed/);
  });

  it('expired beyond the clock tolerance', async () => {
    await expectTokenRefused(await sign(claims({ exp: nowSeconds() - 60 })), /token has expired/);
  });

  it('without exp, which would never expire', async () => {
    const { exp: _exp, ...noExp } = claims();
    await expectTokenRefused(await sign(noExp), /lacks the required "exp" claim/);
  });

  it('nbf in the future beyond the clock tolerance', async () => {
    await expectTokenRefused(await sign(claims({ nbf: nowSeconds() + 60 })), /not valid yet/);
  });

  it('a non-numeric exp', async () => {
    await expectTokenRefused(await sign({ ...claims(), exp: 'tomorrow' } as unknown as JWTPayload), /invalid "exp" claim/);
  });

  it('signed with another secret', async () => {
    await expectTokenRefused(await sign(claims(), new TextEncoder().encode(generateDevSecret())), /signature is invalid/);
  });

  it('a tampered payload (roles widened, signature kept)', async () => {
    const [header, , signature] = (await sign(claims({ roles: ['ingest'] }))).split('.');
    const forged = base64url.encode(JSON.stringify(claims({ roles: ['admin', 'ingest'] })));
    await expectTokenRefused(`${header}.${forged}.${signature}`, /signature is invalid/);
  });

  it('a truncated signature', async () => {
    const token = await sign(claims());
    await expectTokenRefused(token.slice(0, -5), /signature is invalid|malformed/);
  });

  it.each(['garbage', 'a.b', 'a.b.c', 'a.b.c.d', '...', '%%%.%%%.%%%'])('garbage %j', async (token) => {
    await expectTokenRefused(token, /^token is malformed \(expected a signed JWT\)$/);
  });

  it('a well-formed header with a garbage payload (the signature is checked first)', async () => {
    await expectTokenRefused('eyJhbGciOiJIUzI1NiJ9.not-json.c2ln', /^token signature is invalid$/);
  });

  it('a payload that is not a JSON object', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'HS256' }));
    const payload = base64url.encode('[1,2,3]');
    const { createHmac } = await import('node:crypto');
    const signature = createHmac('sha256', KEY).update(`${header}.${payload}`).digest('base64url');
    await expectTokenRefused(`${header}.${payload}.${signature}`, /malformed/);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['a number', 42],
  ])('sub %s', async (_label, sub) => {
    await expectTokenRefused(await sign({ ...claims(), sub } as unknown as JWTPayload), /lacks a "sub"/);
  });

  it.each([
    ['missing', undefined],
    ['a string', 'admin'],
    ['an object', { admin: true }],
    ['an array with a number', ['admin', 1]],
    ['null', null],
  ])('roles %s', async (_label, roles) => {
    await expectTokenRefused(await sign({ ...claims(), roles } as unknown as JWTPayload), /"roles" claim must be an array of strings/);
  });
});

describe('issuer and audience, when configured', () => {
  const strict = createAuthenticator({ secret: SECRET, issuer: 'https://auth.example', audience: 'pulse' });
  const good = { iss: 'https://auth.example', aud: 'pulse' };

  async function refused(overrides: JWTPayload, message: RegExp): Promise<void> {
    const token = await sign({ ...claims(good), ...overrides });
    const error = await rejection(strict.verifyAuthorization(`Bearer ${token}`), 'UNAUTHENTICATED');
    expect(error.message).toMatch(message);
  }

  it('accepts the right iss and aud (aud also as an array)', async () => {
    await expect(strict.verifyAuthorization(`Bearer ${await sign(claims(good))}`)).resolves.toMatchObject({ sub: 'alice' });
    await expect(strict.verifyAuthorization(`Bearer ${await sign(claims({ ...good, aud: ['other', 'pulse'] }))}`)).resolves.toBeDefined();
  });

  it('refuses a wrong iss', async () => {
    await refused({ iss: 'https://evil.example' }, /issuer \(iss\) is not accepted/);
  });

  it('refuses a wrong aud', async () => {
    await refused({ aud: 'billing' }, /audience \(aud\) is not accepted/);
  });

  it('refuses a missing iss or aud', async () => {
    await refused({ iss: undefined }, /lacks the required "iss" claim/);
    await refused({ aud: undefined }, /lacks the required "aud" claim/);
  });

  it('ignores iss and aud when not configured', async () => {
    await expect(auth.verifyAuthorization(`Bearer ${await sign(claims({ iss: 'anyone', aud: 'anything' }))}`)).resolves.toBeDefined();
  });
});

describe('clock', () => {
  it('checks exp and nbf against the injected time, with the configured tolerance', async () => {
    const at = new Date('2030-01-01T00:00:00Z');
    const atSeconds = at.getTime() / 1000;
    const clocked = createAuthenticator({ secret: SECRET, now: () => at, clockToleranceMs: 1000 });
    const verify = async (overrides: JWTPayload) => clocked.verifyAuthorization(`Bearer ${await sign(claims(overrides))}`);
    await expect(verify({ nbf: atSeconds - 10, exp: atSeconds + 10 })).resolves.toBeDefined();
    expect((await rejection(verify({ exp: atSeconds - 2 }), 'UNAUTHENTICATED')).message).toMatch(/expired/);
    expect((await rejection(verify({ nbf: atSeconds + 2, exp: atSeconds + 10 }), 'UNAUTHENTICATED')).message).toMatch(/not valid yet/);
  });

  it('tells until when the token is accepted (exp plus the tolerance), the instant its verification starts failing', async () => {
    let at = new Date('2030-01-01T00:00:00Z');
    const atSeconds = at.getTime() / 1000;
    const clocked = createAuthenticator({ secret: SECRET, now: () => at, clockToleranceMs: 1500 });
    const token = await sign(claims({ exp: atSeconds + 10 }));
    const viewer = await clocked.verifyAuthorization(`Bearer ${token}`);
    expect(viewer.acceptedUntil).toBe((atSeconds + 10) * 1000 + 1500);
    // A fresh verifier (no cache) agrees: just before, accepted; at it, refused.
    at = new Date((viewer.acceptedUntil ?? 0) - 1);
    await expect(createAuthenticator({ secret: SECRET, now: () => at, clockToleranceMs: 1500 }).verifyAuthorization(`Bearer ${token}`)).resolves.toBeDefined();
    at = new Date((viewer.acceptedUntil ?? 0) + 1000);
    await rejection(createAuthenticator({ secret: SECRET, now: () => at, clockToleranceMs: 1500 }).verifyAuthorization(`Bearer ${token}`), 'UNAUTHENTICATED');
  });
});

describe('verified tokens, remembered', () => {
  it('accepts a token verified before without a new verification, until it expires, however long its cache entry lives', async () => {
    let at = new Date('2030-01-01T00:00:00Z');
    const atSeconds = at.getTime() / 1000;
    const clocked = createAuthenticator({ secret: SECRET, now: () => at, clockToleranceMs: 1000 });
    const header = `Bearer ${await sign(claims({ exp: atSeconds + 10 }))}`;
    const first = await clocked.verifyAuthorization(header);
    // The same viewer object: the second call was a cache hit, not a second verification.
    expect(await clocked.verifyAuthorization(header)).toBe(first);
    at = new Date((atSeconds + 10.5) * 1000);
    expect(await clocked.verifyAuthorization(header)).toBe(first);
    at = new Date((atSeconds + 11) * 1000);
    expect((await rejection(clocked.verifyAuthorization(header), 'UNAUTHENTICATED')).message).toMatch(/expired/);
  });

  it('never accepts a token that differs from a verified one by a single character', async () => {
    const token = await sign(claims({}));
    await createAuthenticator({ secret: SECRET }).verifyAuthorization(`Bearer ${token}`);
    const authenticator = createAuthenticator({ secret: SECRET });
    await authenticator.verifyAuthorization(`Bearer ${token}`);
    // The signature's first character: its last one carries two padding bits that base64url decoders ignore,
    // so changing it from 'A' to 'B' would leave the signature as it was (and the test passing by luck or failing).
    const signatureStart = token.lastIndexOf('.') + 1;
    const tampered = `${token.slice(0, signatureStart)}${token[signatureStart] === 'A' ? 'B' : 'A'}${token.slice(signatureStart + 1)}`;
    await rejection(authenticator.verifyAuthorization(`Bearer ${tampered}`), 'UNAUTHENTICATED');
  });
});

describe('createAuthenticator', () => {
  it('refuses a secret shorter than 32 bytes', () => {
    expect(() => createAuthenticator({ secret: 'too-short' })).toThrow(/at least 32 bytes/);
    expect(() => createAuthenticator({ secret: new Uint8Array(31) })).toThrow(/at least 32 bytes/);
  });
});

describe('requireRole', () => {
  const viewer = (...roles: Role[]): Viewer => ({ sub: 'alice', roles: new Set(roles) });

  it('refuses a missing viewer as UNAUTHENTICATED', () => {
    const error = thrown(() => requireRole(null, ['admin'], 'activityChanged'), 'UNAUTHENTICATED');
    expect(error.message).toMatch(/^activityChanged requires authentication/);
  });

  it('refuses a viewer without any of the roles as FORBIDDEN', () => {
    for (const who of [viewer(), viewer('ingest')]) {
      const error = thrown(() => requireRole(who, ['admin'], 'activityChanged'), 'FORBIDDEN');
      expect(error.message).toBe('activityChanged requires the admin role');
      expect(error.extensions.http).toEqual({ status: 403 });
    }
  });

  it('names every accepted role', () => {
    const error = thrown(() => requireRole(viewer(), ['admin', 'ingest'], 'recordActivity'), 'FORBIDDEN');
    expect(error.message).toBe('recordActivity requires the admin or ingest role');
  });

  it('returns the viewer when one role matches', () => {
    const admin = viewer('admin');
    expect(requireRole(admin, ['admin'], 'activeUsers')).toBe(admin);
    const both = viewer('ingest', 'admin');
    expect(requireRole(both, ['ingest'], 'recordActivity')).toBe(both);
    expect(requireRole(viewer('ingest'), ['admin', 'ingest'], 'recordActivity').sub).toBe('alice');
  });
});

describe('mintToken', () => {
  it('round-trips through the authenticator, HS256 with iat and a 12 h default lifetime', async () => {
    const token = await mintToken({ secret: SECRET, sub: 'bob', roles: ['admin', 'ingest'] });
    const viewer = await auth.verifyAuthorization(`Bearer ${token}`);
    expect(viewer.sub).toBe('bob');
    expect(rolesOf(viewer)).toEqual(['admin', 'ingest']);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const { iat, exp } = decodeJwt(token);
    expect(iat).toBeCloseTo(nowSeconds(), -1);
    expect((exp ?? 0) - (iat ?? 0)).toBe(12 * 3600);
  });

  it('reads a number as seconds of lifetime and a string as a time span', async () => {
    const inSeconds = decodeJwt(await mintToken({ secret: SECRET, sub: 'bob', roles: ['ingest'], expiresIn: 90 }));
    expect((inSeconds.exp ?? 0) - (inSeconds.iat ?? 0)).toBe(90);
    const span = decodeJwt(await mintToken({ secret: SECRET, sub: 'bob', roles: ['ingest'], expiresIn: '1h' }));
    expect((span.exp ?? 0) - (span.iat ?? 0)).toBe(3600);
  });

  it('mints a token that expires, so it is refused afterwards', async () => {
    const token = await mintToken({ secret: SECRET, sub: 'bob', roles: ['admin'], expiresIn: -60 });
    await expectTokenRefused(token, /expired/);
  });

  it('sets iss and aud for a server that requires them', async () => {
    const strict = createAuthenticator({ secret: SECRET, issuer: 'iss-1', audience: 'aud-1' });
    const token = await mintToken({ secret: SECRET, sub: 'bob', roles: ['admin'], issuer: 'iss-1', audience: 'aud-1' });
    await expect(strict.verifyAuthorization(`Bearer ${token}`)).resolves.toMatchObject({ sub: 'bob' });
    const plain = await mintToken({ secret: SECRET, sub: 'bob', roles: ['admin'] });
    expect((await rejection(strict.verifyAuthorization(`Bearer ${plain}`), 'UNAUTHENTICATED')).message).toMatch(/"iss"/);
  });

  it('refuses a short secret and an unreadable lifetime', async () => {
    await expect(mintToken({ secret: 'short', sub: 'bob', roles: ['admin'] })).rejects.toThrow(/at least 32 bytes/);
    await expect(mintToken({ secret: SECRET, sub: 'bob', roles: ['admin'], expiresIn: 'soon' })).rejects.toThrow(TypeError);
  });
});

describe('generateDevSecret', () => {
  it('makes 32 random bytes, base64url', () => {
    const a = generateDevSecret();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(generateDevSecret()).not.toBe(a);
  });
});
