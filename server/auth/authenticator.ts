import { randomBytes } from 'node:crypto';
import type { GraphQLError } from 'graphql';
import { errors, jwtVerify, SignJWT, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { pulseError } from '../core/errors.js';
import { Hs256Verifier } from './hs256.js';
import { VerifiedTokens } from './verified-tokens.js';
import { ROLES, type Role, type Viewer } from './viewer.js';

// Who a caller is lives in viewer.ts, which the token cache needs too; re-exported for the rest of Pulse.
export { ROLES, type Role, type Viewer };

/** Verifies `Authorization` headers (also sent as WebSocket `connectionParams.authorization`). */
export interface Authenticator {
  /**
   * Checks a `Bearer <jwt>` header and answers who is calling.
   * @throws GraphQLError with `extensions.code` `UNAUTHENTICATED` for a missing,
   * malformed, forged, expired, not yet valid or otherwise unacceptable token; the
   * message says which, but never contains the token
   */
  verifyAuthorization(header: string | null | undefined): Promise<Viewer>;
}

/** Options of {@link createAuthenticator}. */
export interface AuthenticatorOptions {
  /** The HS256 secret, at least 32 bytes (a string is used as its UTF-8 bytes). */
  readonly secret: Uint8Array | string;
  /** Required `iss` claim; unchecked when absent. */
  readonly issuer?: string | undefined;
  /** Required `aud` claim; unchecked when absent. */
  readonly audience?: string | undefined;
  /**
   * Leeway for `exp` and `nbf` against clocks that disagree a little
   * (`CLOCK_SKEW_MS`); also how long past `exp` what a token opened lives
   * (see {@link Viewer.acceptedUntil}).
   * @defaultValue 5000
   */
  readonly clockToleranceMs?: number;
  /**
   * The current time, for tests.
   * @defaultValue the system clock
   */
  readonly now?: () => Date;
}

/** The one algorithm accepted: pinning it is what defeats `alg: none` and HS/RS key confusion. */
const ALGORITHM = 'HS256';
const MIN_SECRET_BYTES = 32;

/**
 * Creates the token verifier for one secret.
 * @throws Error when the secret is shorter than 32 bytes (a programming or
 * configuration mistake, caught at start rather than per request)
 */
export function createAuthenticator({ secret, issuer, audience, clockToleranceMs = 5000, now }: AuthenticatorOptions): Authenticator {
  const key = secretKey(secret);
  const verifyOptions: JWTVerifyOptions = { algorithms: [ALGORITHM], issuer, audience, clockTolerance: clockToleranceMs / 1000, requiredClaims: ['exp'] };
  // Accepts what jose would, only faster; anything else goes to jose, which decides and says why.
  const fast = new Hs256Verifier(key, { issuer, audience, toleranceS: clockToleranceMs / 1000 });
  const verified = new VerifiedTokens();
  return {
    async verifyAuthorization(header) {
      const token = bearerToken(header);
      const at = now?.() ?? new Date();
      const known = verified.get(token, at.getTime());
      if (known !== undefined) return known;
      const payload = fast.claimsOf(token, at.getTime()) ?? (await verifyToken(token, key, now === undefined ? verifyOptions : { ...verifyOptions, currentDate: at }));
      // `exp` is required, so verified tokens always have one.
      const acceptedUntil = (payload.exp as number) * 1000 + clockToleranceMs;
      const viewer = viewerFromClaims(payload, acceptedUntil);
      verified.set(token, viewer, acceptedUntil);
      return viewer;
    },
  };
}

function secretKey(secret: Uint8Array | string): Uint8Array {
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  if (key.byteLength < MIN_SECRET_BYTES) throw new Error(`the JWT secret must be at least ${MIN_SECRET_BYTES} bytes for ${ALGORITHM}`);
  return key;
}

/** Takes the token out of `Bearer <token>`: scheme case-insensitive, exactly one token. */
function bearerToken(header: string | null | undefined): string {
  const parts = (header ?? '').trim().split(/\s+/).filter((part) => part.length > 0);
  const [scheme, token] = parts;
  if (scheme === undefined) throw unauthenticated('missing Authorization header; send "Authorization: Bearer <token>"');
  // The first word may itself be a token sent without a scheme, so it is never echoed.
  if (scheme.toLowerCase() !== 'bearer') throw unauthenticated('unsupported Authorization scheme; send "Authorization: Bearer <token>"');
  if (token === undefined) throw unauthenticated('missing token after "Bearer"');
  if (parts.length > 2) throw unauthenticated('expected exactly one token after "Bearer"');
  return token;
}

async function verifyToken(token: string, key: Uint8Array, options: JWTVerifyOptions): Promise<JWTPayload> {
  try {
    const { payload } = await jwtVerify(token, key, options);
    return payload;
  } catch (error) {
    throw unauthenticated(describeJoseError(error));
  }
}

/** Our own wording for each failure: clear to the caller, and free of the token (jose's messages are too, but we do not rely on it). */
function describeJoseError(error: unknown): string {
  if (error instanceof errors.JWTExpired) return 'token has expired';
  if (error instanceof errors.JWTClaimValidationFailed) return describeClaimFailure(error.claim, error.reason);
  if (error instanceof errors.JOSEAlgNotAllowed) return `token algorithm is not allowed (only ${ALGORITHM} is accepted)`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'token signature is invalid';
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'token is malformed (expected a signed JWT)';
  return 'token could not be verified';
}

function describeClaimFailure(claim: string, reason: string): string {
  if (reason === 'missing') return `token lacks the required "${claim}" claim`;
  switch (claim) {
    case 'nbf':
      return 'token is not valid yet (nbf is in the future)';
    case 'iss':
      return 'token issuer (iss) is not accepted';
    case 'aud':
      return 'token audience (aud) is not accepted';
    default:
      return `token has an invalid "${claim}" claim`;
  }
}

/**
 * Reads the viewer from verified claims; the signature proves who wrote them, not that they are well-formed.
 * Built as one literal: every viewer then shares one shape, where a spread gave each its own (a stream holds its viewer for its life).
 */
function viewerFromClaims(payload: JWTPayload, acceptedUntil: number): Viewer {
  const { sub, roles } = payload;
  if (typeof sub !== 'string' || sub.length === 0) throw unauthenticated('token lacks a "sub" (subject) claim');
  if (!Array.isArray(roles) || !roles.every((role): role is string => typeof role === 'string')) {
    throw unauthenticated('token "roles" claim must be an array of strings');
  }
  return { sub, roles: roleSet(roles.filter(isRole)), acceptedUntil };
}

/** One set per combination of roles, shared by every viewer that has it: a stream holds its viewer for its life. */
const ROLE_SETS = new Map<string, ReadonlySet<Role>>();

function roleSet(roles: readonly Role[]): ReadonlySet<Role> {
  const known = [...new Set(roles)].sort();
  const key = known.join(',');
  let set = ROLE_SETS.get(key);
  if (set === undefined) ROLE_SETS.set(key, (set = new Set(known)));
  return set;
}

function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

function unauthenticated(message: string): GraphQLError {
  return pulseError('UNAUTHENTICATED', message);
}

/**
 * Lets a viewer through when it holds at least one of the roles.
 * @param what - the operation, for the message (e.g. `activityChanged`)
 * @returns the viewer, now known to be present
 * @throws GraphQLError `UNAUTHENTICATED` when there is no viewer, `FORBIDDEN` when no role matches
 */
export function requireRole(viewer: Viewer | null, anyOf: readonly Role[], what: string): Viewer {
  if (viewer === null) throw unauthenticated(`${what} requires authentication; send "Authorization: Bearer <token>"`);
  if (anyOf.some((role) => viewer.roles.has(role))) return viewer;
  throw pulseError('FORBIDDEN', `${what} requires the ${anyOf.join(' or ')} role`);
}

/** Options of {@link mintToken}. */
export interface MintTokenOptions {
  /** The HS256 secret the server verifies with, at least 32 bytes. */
  readonly secret: Uint8Array | string;
  /** The subject: the admin's or ingesting application's id. */
  readonly sub: string;
  /** Roles to grant. */
  readonly roles: readonly Role[];
  /**
   * Lifetime: a number of seconds, or a jose time span such as `'1h'`, `'30d'`.
   * @defaultValue '12h'
   */
  readonly expiresIn?: string | number;
  /** `iss` claim; set it when the server has `JWT_ISSUER`. */
  readonly issuer?: string | undefined;
  /** `aud` claim; set it when the server has `JWT_AUDIENCE`. */
  readonly audience?: string | undefined;
}

/**
 * Signs an HS256 token that {@link createAuthenticator} with the same
 * secret (and issuer/audience) accepts. For dev mode, the token CLI and tests.
 * @throws Error for a secret under 32 bytes; TypeError for an unreadable `expiresIn`
 */
export async function mintToken({ secret, sub, roles, expiresIn = '12h', issuer, audience }: MintTokenOptions): Promise<string> {
  const jwt = new SignJWT({ roles: [...roles] })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt()
    // jose reads a bare number as an absolute timestamp; ours is a lifetime, like jsonwebtoken's.
    .setExpirationTime(typeof expiresIn === 'number' ? `${expiresIn}s` : expiresIn);
  if (issuer !== undefined) jwt.setIssuer(issuer);
  if (audience !== undefined) jwt.setAudience(audience);
  return jwt.sign(secretKey(secret));
}

/** A fresh random secret (32 bytes, base64url) for dev mode, where no `JWT_SECRET` is set. */
export function generateDevSecret(): string {
  return randomBytes(32).toString('base64url');
}
