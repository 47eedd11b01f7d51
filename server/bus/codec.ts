import type { ActivityChange, SessionEndReason, SessionRecord, UserRef } from '../domain/activity.js';

/**
 * The wire format of changes on the Redis channel: one JSON array per
 * store write, each element an `ActivityChange` with `null` for absent
 * optional fields. Written by the store's Lua scripts and by
 * {@link encodeChanges}; read only through {@link parseChanges}.
 */
export function encodeChanges(changes: readonly ActivityChange[]): string {
  return JSON.stringify(changes);
}

/** Raised for a bus message that is not a valid change array. */
export class MalformedChangeError extends Error {
  override name = 'MalformedChangeError';
}

type Json = Record<string, unknown>;

/**
 * Parses one bus message into changes, checking every field, so that
 * nothing malformed (a foreign publisher, a version skew) reaches a subscriber.
 * @throws MalformedChangeError when anything does not fit
 */
export function parseChanges(raw: unknown): ActivityChange[] {
  const value: unknown = typeof raw === 'string' ? safeJson(raw) : raw;
  if (!Array.isArray(value)) throw new MalformedChangeError('expected a JSON array of changes');
  return value.map(parseChange);
}

function safeJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw new MalformedChangeError('not JSON');
  }
}

function parseChange(value: unknown): ActivityChange {
  const o = object(value, 'change');
  const base = { cursor: int(o.cursor, 'cursor'), at: int(o.at, 'at') };
  switch (o.type) {
    case 'SessionStarted':
      return { ...base, type: o.type, session: parseSession(o.session) };
    case 'SessionUpdated':
      return { ...base, type: o.type, session: parseSession(o.session), previousPath: optString(o.previousPath, 'previousPath') };
    case 'SessionEnded':
      return { ...base, type: o.type, session: parseSession(o.session), reason: parseReason(o.reason) };
    case 'UserJoined':
    case 'UserLeft':
      return { ...base, type: o.type, user: parseUser(o.user), path: optString(o.path, 'path') };
    default:
      throw new MalformedChangeError(`unknown change type ${String(o.type)}`);
  }
}

function parseSession(value: unknown): SessionRecord {
  const o = object(value, 'session');
  return {
    id: string(o.id, 'session.id'),
    userId: string(o.userId, 'session.userId'),
    userName: optString(o.userName, 'session.userName'),
    ipAddress: optString(o.ipAddress, 'session.ipAddress'),
    path: optString(o.path, 'session.path'),
    userAgent: optString(o.userAgent, 'session.userAgent'),
    startedAt: int(o.startedAt, 'session.startedAt'),
    lastSeen: int(o.lastSeen, 'session.lastSeen'),
    eventCount: int(o.eventCount, 'session.eventCount'),
  };
}

function parseUser(value: unknown): UserRef {
  const o = object(value, 'user');
  return { id: string(o.id, 'user.id'), name: optString(o.name, 'user.name') };
}

function parseReason(value: unknown): SessionEndReason {
  if (value === 'IDLE_TIMEOUT' || value === 'LOGOUT') return value;
  throw new MalformedChangeError(`unknown end reason ${String(value)}`);
}

function object(value: unknown, what: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MalformedChangeError(`${what}: expected an object`);
  return value as Json;
}

function string(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new MalformedChangeError(`${what}: expected a string`);
  return value;
}

function optString(value: unknown, what: string): string | null {
  return value === null || value === undefined ? null : string(value, what);
}

function int(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new MalformedChangeError(`${what}: expected an integer`);
  return value;
}
