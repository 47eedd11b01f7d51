import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { JWTPayload } from 'jose';

/** What a token's claims must satisfy: the verifier's own settings, as jose is given them. */
export interface ClaimRules {
  /** Required `iss`, when set. */
  readonly issuer?: string | undefined;
  /** Required `aud` (a string, or an array that holds it), when set. */
  readonly audience?: string | undefined;
  /** Leeway for `exp` and `nbf`, in seconds. */
  readonly toleranceS: number;
}

/** A base64url segment as a JWT encoder writes it: no padding, no other character. */
const SEGMENT = /^[A-Za-z0-9_-]+$/;
/** As jose decodes them: invalid UTF-8 is an error, not a replacement character. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });
/** The bytes of an HMAC-SHA-256. */
const MAC_BYTES = 32;

/**
 * The plainest HS256 tokens verified with Node's own HMAC, synchronously:
 * jose verifies through WebCrypto, whose asynchronous round trip costs far
 * more than the hash (about 70 µs against a few), and every subscription
 * with a token of its own pays it. This path only ever accepts: it
 * answers with the claims when the token is exactly what jose would accept
 * with the same key and rules (a header of `alg` HS256 and at most `typ`
 * JWT, a signature that matches, an `exp` not passed, an `nbf` reached,
 * numeric dates, the issuer and audience required), and with null for
 * anything else, which jose then verifies itself and refuses with its own
 * reason: so the refusals, and what is accepted, are jose's.
 */
export class Hs256Verifier {
  readonly #key: KeyObject;

  constructor(
    secret: Uint8Array,
    private readonly rules: ClaimRules,
  ) {
    this.#key = createSecretKey(secret);
  }

  /** The verified claims, or null when jose must decide (see {@link Hs256Verifier}). */
  claimsOf(token: string, nowMs: number): JWTPayload | null {
    const parts = token.split('.');
    if (parts.length !== 3) return null;
    const [header, payload, signature] = parts as [string, string, string];
    if (!SEGMENT.test(header) || !SEGMENT.test(payload) || !SEGMENT.test(signature)) return null;
    if (!isPlainHeader(parsedSegment(header))) return null;
    const mac = Buffer.from(signature, 'base64url');
    const expected = createHmac('sha256', this.#key).update(`${header}.${payload}`).digest();
    if (mac.length !== MAC_BYTES || !timingSafeEqual(mac, expected)) return null;
    const claims = parsedSegment(payload);
    return isRecord(claims) && this.#acceptable(claims, Math.floor(nowMs / 1000)) ? claims : null;
  }

  /** jose's claim checks for our rules, passed: `exp` present and numeric, every numeric date a number. */
  #acceptable(claims: Record<string, unknown>, now: number): boolean {
    const { issuer, audience, toleranceS } = this.rules;
    const { exp, nbf, iat, iss, aud } = claims;
    if (typeof exp !== 'number' || exp <= now - toleranceS) return false;
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + toleranceS)) return false;
    if (iat !== undefined && typeof iat !== 'number') return false;
    if (issuer !== undefined && iss !== issuer) return false;
    if (audience !== undefined && !(aud === audience || (Array.isArray(aud) && aud.includes(audience)))) return false;
    return true;
  }
}

/** A header jose accepts for HS256 without a word: `alg` HS256, and at most `typ` JWT. */
function isPlainHeader(header: unknown): boolean {
  if (!isRecord(header) || header.alg !== 'HS256') return false;
  const keys = Object.keys(header);
  return keys.length === 1 || (keys.length === 2 && header.typ === 'JWT');
}

/** A segment's JSON, or undefined when it is not UTF-8 JSON. */
function parsedSegment(segment: string): unknown {
  try {
    return JSON.parse(UTF8.decode(Buffer.from(segment, 'base64url')));
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
