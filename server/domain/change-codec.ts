import type { ActivityChange, SessionEndReason, UserRef } from './activity.js';
import { jsonReader } from './json-reader.js';

/**
 * The wire format of changes on the Redis channel: one JSON array per
 * store write, each element an `ActivityChange` with `null` for absent
 * optional fields. The store's Lua scripts write it (they are the only
 * publisher); this is the same encoding in TypeScript, the reference the
 * contract suites publish with. Read only through {@link parseChanges}.
 * It lives in `domain/` because both the store (writer, and reader of its
 * scripts' replies) and the change feed (reader) need it.
 */
export function encodeChanges(changes: readonly ActivityChange[]): string {
  return JSON.stringify(changes);
}

/** Raised for a channel message that is not a valid change array. */
export class MalformedChangeError extends Error {
  override name = 'MalformedChangeError';
}

const read = jsonReader((message) => new MalformedChangeError(message));

/**
 * Parses one channel message into changes, checking every field, so that
 * nothing malformed (a foreign publisher, a version skew) reaches a subscriber.
 * @throws MalformedChangeError when anything does not fit
 */
export function parseChanges(raw: unknown): ActivityChange[] {
  const value: unknown = typeof raw === 'string' ? read.json(raw) : raw;
  if (!Array.isArray(value)) throw new MalformedChangeError('expected a JSON array of changes');
  return value.map(parseChange);
}

function parseChange(value: unknown): ActivityChange {
  const o = read.object(value, 'change');
  const base = { cursor: read.int(o.cursor, 'cursor'), at: read.int(o.at, 'at') };
  switch (o.type) {
    case 'SessionStarted':
      return { ...base, type: o.type, session: read.session(o.session) };
    case 'SessionUpdated':
      return { ...base, type: o.type, session: read.session(o.session), previousPath: read.optString(o.previousPath, 'previousPath') };
    case 'SessionEnded':
      return { ...base, type: o.type, session: read.session(o.session), reason: parseReason(o.reason) };
    case 'UserJoined':
      return { ...base, type: o.type, user: parseUser(o.user), path: read.optString(o.path, 'path') };
    case 'UserLeft': {
      const left = { ...base, type: o.type, user: parseUser(o.user), path: read.optString(o.path, 'path') };
      if (o.erased === undefined) return left;
      if (o.erased !== true) throw new MalformedChangeError('erased must be true when present');
      return { ...left, erased: true };
    }
    default:
      throw new MalformedChangeError(`unknown change type ${String(o.type)}`);
  }
}

function parseUser(value: unknown): UserRef {
  const o = read.object(value, 'user');
  return { id: read.string(o.id, 'user.id'), name: read.optString(o.name, 'user.name') };
}

function parseReason(value: unknown): SessionEndReason {
  if (value === 'IDLE_TIMEOUT' || value === 'LOGOUT' || value === 'ERASED') return value;
  throw new MalformedChangeError(`unknown end reason ${String(value)}`);
}
