import type { SessionRecord } from './activity.js';

/**
 * Checked readers for JSON that crosses a boundary (bus messages, Redis
 * script replies). Each returns the typed value or throws the error its
 * owner chose, naming the field, so one bad field never passes as data.
 */
export interface JsonReader {
  /** Parses a JSON string. */
  json(raw: unknown): unknown;
  object(value: unknown, what: string): Record<string, unknown>;
  /** A list; an empty object counts as empty, since Lua's cjson writes an empty table as `{}`. */
  list(value: unknown, what: string): unknown[];
  string(value: unknown, what: string): string;
  /** A string, or null for JSON null or a missing field. */
  optString(value: unknown, what: string): string | null;
  /** A safe integer. */
  int(value: unknown, what: string): number;
  /** A whole {@link SessionRecord}. */
  session(value: unknown): SessionRecord;
}

/**
 * Builds the readers.
 * @param makeError - the error to throw, given what was wrong
 */
export function jsonReader(makeError: (message: string) => Error): JsonReader {
  const fail = (message: string): never => {
    throw makeError(message);
  };
  const reader: JsonReader = {
    json(raw) {
      if (typeof raw !== 'string') return fail('expected a JSON string');
      try {
        return JSON.parse(raw);
      } catch {
        return fail('not JSON');
      }
    },
    object: (value, what) =>
      typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : fail(`${what}: expected an object`),
    list(value, what) {
      if (Array.isArray(value)) return value;
      if (typeof value === 'object' && value !== null && Object.keys(value).length === 0) return [];
      return fail(`${what}: expected a list`);
    },
    string: (value, what) => (typeof value === 'string' ? value : fail(`${what}: expected a string`)),
    optString: (value, what) => (value === null || value === undefined ? null : reader.string(value, what)),
    int: (value, what) => (typeof value === 'number' && Number.isSafeInteger(value) ? value : fail(`${what}: expected an integer`)),
    session(value) {
      const o = reader.object(value, 'session');
      return {
        id: reader.string(o.id, 'session.id'),
        userId: reader.string(o.userId, 'session.userId'),
        userName: reader.optString(o.userName, 'session.userName'),
        ipAddress: reader.optString(o.ipAddress, 'session.ipAddress'),
        path: reader.optString(o.path, 'session.path'),
        userAgent: reader.optString(o.userAgent, 'session.userAgent'),
        startedAt: reader.int(o.startedAt, 'session.startedAt'),
        lastSeen: reader.int(o.lastSeen, 'session.lastSeen'),
        eventCount: reader.int(o.eventCount, 'session.eventCount'),
      };
    },
  };
  return reader;
}
