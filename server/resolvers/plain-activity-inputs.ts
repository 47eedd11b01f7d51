import type { RawActivityInput } from './activity-input.js';
import { parseDateTime } from './scalars.js';

/** The fields of `ActivityInput`. */
const FIELDS = new Set(['sessionId', 'userId', 'userName', 'ipAddress', 'path', 'userAgent', 'at']);

/**
 * A `[ActivityInput!]!` variable's value as GraphQL would coerce it, when
 * GraphQL would coerce it without a word: an array of objects holding only
 * `ActivityInput` fields, ids as strings, the optional strings as strings
 * or null, `at` as a `DateTime` the scalar parses. Otherwise null, and
 * GraphQL must coerce it itself: a refusal is GraphQL's to word, and the
 * coercions this does not copy (an integer ID, one object given for a list
 * of one) are rare enough to leave to it.
 *
 * GraphQL's coercion walks every field of every event, then the executor
 * walks the result again to snapshot it; on a batch of 500 events that was
 * the largest cost of an ingest request, more than the write itself.
 */
export function coercePlainActivityInputs(value: unknown): RawActivityInput[] | null {
  if (!Array.isArray(value)) return null;
  const inputs: RawActivityInput[] = new Array<RawActivityInput>(value.length);
  for (let i = 0; i < value.length; i++) {
    const input = plainInput(value[i]);
    if (input === null) return null;
    inputs[i] = input;
  }
  return inputs;
}

function plainInput(value: unknown): RawActivityInput | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const fields = value as Record<string, unknown>;
  for (const key in fields) if (!FIELDS.has(key)) return null;
  const { sessionId, userId, userName, ipAddress, path, userAgent, at } = fields;
  if (typeof sessionId !== 'string' || typeof userId !== 'string') return null;
  if (!optionalText(userName) || !optionalText(ipAddress) || !optionalText(path) || !optionalText(userAgent)) return null;
  const time = at === undefined || at === null ? at : parsedTime(at);
  if (time === false) return null;
  return { sessionId, userId, userName, ipAddress, path, userAgent, at: time };
}

function optionalText(value: unknown): value is string | null | undefined {
  return value === undefined || value === null || typeof value === 'string';
}

/** `at` as the `DateTime` scalar parses it, or false when the scalar refuses it. */
function parsedTime(value: unknown): number | false {
  try {
    return parseDateTime(value);
  } catch {
    return false;
  }
}
