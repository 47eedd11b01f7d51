import { isIP } from 'node:net';
import type { ActivityRecordInput } from '../domain/activity.js';
import { pulseError } from '../core/errors.js';

/** Longest accepted value of each string field, in characters (documented in the schema). */
export const MAX_LENGTH = {
  sessionId: 128,
  userId: 128,
  userName: 128,
  path: 2048,
  userAgent: 512,
  /** The longest IPv6 text form, `ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`. */
  ipAddress: 45,
} as const;

/**
 * Why an `ipAddress` is refused, or null when it is a plain IPv4 or IPv6
 * literal. `net.isIP` alone also accepts an IPv6 zone id (`fe80::1%eth0`) of
 * any length, which would be stored and sent to every subscriber; a zone
 * names an interface of the sender's host and means nothing here.
 */
export function ipAddressProblem(value: string): string | null {
  if (value.length > MAX_LENGTH.ipAddress) return `is longer than ${MAX_LENGTH.ipAddress} characters`;
  if (value.includes('%')) return 'carries an IPv6 zone id (%...); send the address alone';
  return isIP(value) === 0 ? `${JSON.stringify(value)} is not an IPv4 or IPv6 address` : null;
}

/**
 * Why a string with a lone UTF-16 surrogate is refused: it has no UTF-8 form,
 * so Redis would store a replacement character (or its Lua JSON decoder
 * refuse the escape) and the two backends would disagree about the value.
 */
export const NOT_WELL_FORMED = 'is not well-formed Unicode (it holds a lone surrogate)';

/** An `ActivityInput` as GraphQL coerced it (`at` already parsed by the `DateTime` scalar). */
export interface RawActivityInput {
  readonly sessionId: string;
  readonly userId: string;
  readonly userName?: string | null;
  readonly ipAddress?: string | null;
  readonly path?: string | null;
  readonly userAgent?: string | null;
  readonly at?: number | null;
}

/** What the time checks compare against. */
export interface ActivityTimeBounds {
  readonly now: number;
  readonly clockSkewMs: number;
  readonly idleTimeoutMs: number;
}

/**
 * Checks one input and turns it into a store record, or throws
 * `BAD_USER_INPUT` naming the field (and the batch `index`, when given).
 */
export function validateActivityInput(
  input: RawActivityInput,
  bounds: ActivityTimeBounds,
  index?: number,
): ActivityRecordInput {
  const where = index === undefined ? {} : { index };
  const fail = (field: string, message: string): never => {
    const prefix = index === undefined ? '' : `inputs[${index}].`;
    throw pulseError('BAD_USER_INPUT', `${prefix}${field}: ${message}`, { field, ...where });
  };
  const text = (field: keyof typeof MAX_LENGTH, value: string | null | undefined, required: boolean): string | null => {
    if (value === null || value === undefined) return required ? fail(field, 'is required') : null;
    if (required && value.length === 0) fail(field, 'must not be empty');
    if (value.length > MAX_LENGTH[field]) fail(field, `is longer than ${MAX_LENGTH[field]} characters`);
    if (!value.isWellFormed()) fail(field, NOT_WELL_FORMED);
    return value;
  };
  const ipAddress = input.ipAddress ?? null;
  const ipProblem = ipAddress === null ? null : ipAddressProblem(ipAddress);
  if (ipProblem !== null) fail('ipAddress', ipProblem);
  const at = input.at ?? bounds.now;
  if (at > bounds.now + bounds.clockSkewMs) fail('at', `lies more than ${bounds.clockSkewMs} ms in the future`);
  if (at < bounds.now - bounds.idleTimeoutMs) fail('at', `is older than the idle timeout (${bounds.idleTimeoutMs} ms): the session would already have expired`);
  return {
    sessionId: text('sessionId', input.sessionId, true) as string,
    userId: text('userId', input.userId, true) as string,
    userName: text('userName', input.userName, false),
    ipAddress,
    path: text('path', input.path, false),
    userAgent: text('userAgent', input.userAgent, false),
    at,
  };
}
