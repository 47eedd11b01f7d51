/**
 * Tiny runtime decoders: each checks an `unknown` value against one type and
 * either returns it, typed, or says what is wrong and where. Composed by
 * {@link object}, a decoder's type must name every field of its TypeScript
 * type, so the compiler keeps runtime checks and generated types in step.
 */

/** A decoded value, or the first problem found. */
export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

/** Checks `value` (found at `path`, for messages) against `T`. */
export type Decoder<T> = (value: unknown, path: string) => Decoded<T>;

/** Names a value for a problem message: `null`, `an array`, `the string "x"`, `number 7`. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

function problem(path: string, expected: string, value: unknown): { readonly ok: false; readonly problem: string } {
  return { ok: false, problem: `${path}: expected ${expected}, got ${describeValue(value)}` };
}

function ok<T>(value: T): Decoded<T> {
  return { ok: true, value };
}

/** Whether `value` is a plain object (not null, not an array). */
export function isRecord(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Any string. */
export const string: Decoder<string> = (value, path) => (typeof value === 'string' ? ok(value) : problem(path, 'a string', value));

/** A string with at least one character (ids, cursors). */
export const nonEmptyString: Decoder<string> = (value, path) =>
  typeof value === 'string' && value.length > 0 ? ok(value) : problem(path, 'a non-empty string', value);

/** A whole number. */
export const int: Decoder<number> = (value, path) => (Number.isInteger(value) ? ok(value as number) : problem(path, 'an integer', value));

/** `true` or `false`. */
export const boolean: Decoder<boolean> = (value, path) => (typeof value === 'boolean' ? ok(value) : problem(path, 'a boolean', value));

// The server's own DateTime grammar (ISO-8601 with a time zone); `Date.parse` alone accepts "1".
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** A `DateTime`: an ISO-8601 string with a time zone that names a real instant. */
export const dateTime: Decoder<string> = (value, path) =>
  typeof value === 'string' && ISO_8601.test(value) && !Number.isNaN(Date.parse(value)) ? ok(value) : problem(path, 'an ISO-8601 DateTime', value);

/** Exactly `expected`. */
export function literal<const L extends string>(expected: L): Decoder<L> {
  return (value, path) => (value === expected ? ok(expected) : problem(path, JSON.stringify(expected), value));
}

/** One of `values` (an enum). */
export function oneOf<const L extends string>(values: readonly L[]): Decoder<L> {
  return (value, path) =>
    typeof value === 'string' && (values as readonly string[]).includes(value) ? ok(value as L) : problem(path, `one of ${values.join(', ')}`, value);
}

/** `null`, or what `decoder` accepts. */
export function nullable<T>(decoder: Decoder<T>): Decoder<T | null> {
  return (value, path) => (value === null ? ok(null) : decoder(value, path));
}

/** An array whose every item `item` accepts. */
export function array<T>(item: Decoder<T>): Decoder<T[]> {
  return (value, path) => {
    if (!Array.isArray(value)) return problem(path, 'an array', value);
    const items: T[] = [];
    for (const [index, entry] of value.entries()) {
      const decoded = item(entry, `${path}[${index}]`);
      if (!decoded.ok) return decoded;
      items.push(decoded.value);
    }
    return ok(items);
  };
}

/**
 * An object with every field in `fields` (each checked by its decoder).
 * The result holds those fields only: anything else the value carried is
 * dropped, so nothing unchecked reaches the caller.
 */
export function object<T extends object>(fields: { readonly [K in keyof T]-?: Decoder<T[K]> }): Decoder<T> {
  const names = Object.keys(fields) as Array<keyof T & string>;
  return (value, path) => {
    if (!isRecord(value)) return problem(path, 'an object', value);
    const result: Partial<T> = {};
    for (const name of names) {
      const decoded = fields[name](value[name], `${path}.${name}`);
      if (!decoded.ok) return decoded;
      result[name] = decoded.value;
    }
    // Every key of T was decoded just above.
    return ok(result as T);
  };
}
