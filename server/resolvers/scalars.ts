import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { formatCursor, parseCursor, type CursorPosition } from '../domain/cursor.js';
import { pulseError } from '../core/errors.js';

/**
 * ISO-8601 with a mandatory time zone: `2026-11-27T08:00:00Z`,
 * `2026-11-27T09:00:00.123+01:00`. `Date.parse` alone accepts far more
 * (`"1"`, `"Nov 27"`), which would turn typos into wrong times.
 */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** The longest string {@link ISO_8601} matches: `2026-11-27T08:00:00.123456789+01:00`. */
export const MAX_DATE_TIME_LENGTH = 35;

/**
 * The one input field of each scalar, named in its refusals: a scalar's
 * parser does not know where its value came from, and each is used by one
 * input field only (`ActivityInput.at`, `activityChanged(since:)`).
 */
const FIELD = { DateTime: 'at', Cursor: 'since' } as const;

/** Parses an ISO-8601 date-time into epoch ms, or throws `BAD_USER_INPUT`. */
export function parseDateTime(value: unknown): number {
  const field = FIELD.DateTime;
  if (typeof value !== 'string' || value.length > MAX_DATE_TIME_LENGTH || !ISO_8601.test(value)) {
    throw pulseError('BAD_USER_INPUT', 'DateTime must be an ISO-8601 string with a time zone, e.g. 2026-11-27T08:00:00Z', { field });
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw pulseError('BAD_USER_INPUT', `DateTime ${value} is not a real date`, { field });
  return ms;
}

function literalString(ast: ValueNode): unknown {
  return ast.kind === Kind.STRING ? ast.value : undefined;
}

/** `DateTime`: epoch ms inside Pulse, ISO-8601 in UTC on the wire. */
export const DateTimeScalar = new GraphQLScalarType<number, string>({
  name: 'DateTime',
  serialize: (value) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError('DateTime must be epoch ms');
    return new Date(value).toISOString();
  },
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(literalString(ast)),
});

function isCursorPosition(value: unknown): value is CursorPosition {
  return (
    typeof value === 'object' &&
    value !== null &&
    'epoch' in value &&
    'seqs' in value &&
    typeof value.epoch === 'string' &&
    Array.isArray(value.seqs) &&
    value.seqs.length > 0 &&
    value.seqs.every(Number.isSafeInteger)
  );
}

/** Reads a cursor argument, or throws `BAD_USER_INPUT`. */
function parseCursorArgument(value: unknown): CursorPosition {
  const cursor = parseCursor(value);
  if (!cursor) throw pulseError('BAD_USER_INPUT', 'Cursor must be a cursor string as received from Pulse', { field: FIELD.Cursor });
  return cursor;
}

/**
 * `Cursor`: a change-log position with its epoch inside Pulse, the string
 * `"<epoch>:<seq>"` on the wire, with one `.`-separated seq per partition (decimal, so it stays exact in any client).
 */
export const CursorScalar = new GraphQLScalarType<CursorPosition, string>({
  name: 'Cursor',
  serialize: (value) => {
    if (!isCursorPosition(value)) throw new TypeError('Cursor must be a CursorPosition');
    return formatCursor(value);
  },
  parseValue: parseCursorArgument,
  parseLiteral: (ast) => parseCursorArgument(literalString(ast)),
});
