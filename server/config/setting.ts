/**
 * What one setting is: everything Pulse needs to read, check, summarise and
 * document it, declared once in the settings table (`settings.ts`), from
 * which the `Config` type, the flags, the validation, the start-up summary
 * and the README table are all derived.
 */

/** A value that passed its parser, or what was expected instead. */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly expected: string };

/** What a default may depend on: settings declared before it, and facts of the machine. */
export interface DefaultContext {
  /** Whether a setting is given at all (flag or environment), whatever its value. */
  isSet(env: string): boolean;
  /** A setting declared earlier in the table, already read. */
  valueOf(key: string): unknown;
  /** `os.availableParallelism()`, or what a test passes. */
  readonly cores: number;
}

/** How the setting may be given on the command line. */
export type FlagKind =
  /** `--name value` or `--name=value`. */
  | 'value'
  /** Bare `--name` means on; `--name=false` is allowed. */
  | 'switch'
  /** Environment only: a command line is visible to every user of the machine (`ps`). */
  | 'secret';

/** One row of the settings table. */
export interface Setting<T> {
  /** The environment variable, e.g. `IDLE_TIMEOUT_MS`; its flag is the kebab case (`--idle-timeout-ms`). */
  readonly env: string;
  readonly flag: FlagKind;
  /** Turns the raw text into the value, or says what was expected. */
  readonly parse: (raw: string) => Parsed<T>;
  /** The value when the setting is not given (a function when it depends on others). */
  readonly fallback: T | ((context: DefaultContext) => T);
  /** How the raw value appears in a problem line: secrets never appear, URLs lose their password. */
  readonly show?: (raw: string) => string;
  /** An empty value counts as unset (shells often leave `DEMO=`). */
  readonly emptyIsUnset?: boolean;
  /** The README's default column, in Markdown. */
  readonly defaultDoc: string;
  /** The README's meaning column, in Markdown: one paragraph. */
  readonly doc: string;
  /**
   * The start-up summary's `name=value` part; `null` leaves the setting out
   * (it is part of another's), `undefined` prints `key=value`.
   */
  readonly summary?: ((value: T) => string | null) | null;
}

/** Declares a setting; only for the inference of `T`. */
export function setting<T>(spec: Setting<T>): Setting<T> {
  return spec;
}

/** The value type of a setting. */
export type SettingValue<S> = S extends Setting<infer T> ? T : never;

/** Node clamps longer timer delays to 1 ms (with a warning), so a huge interval would spin. */
export const MAX_TIMER_MS = 2_147_483_647;

/** Bounds of an integer setting. */
export interface IntegerRange {
  readonly min: number;
  readonly max?: number;
  readonly unit?: 'ms';
}

/** A plain decimal integer within `range`. */
export function integer(range: IntegerRange): (raw: string) => Parsed<number> {
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  return (raw) => {
    const value = /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (Number.isSafeInteger(value) && value >= range.min && value <= max) return { ok: true, value };
    return { ok: false, expected: describeRange(range) };
  };
}

function describeRange({ min, max, unit }: IntegerRange): string {
  const what = unit === 'ms' ? 'a whole number of milliseconds' : 'a whole number (plain decimal digits)';
  return max === undefined ? `${what}, at least ${min}` : `${what} from ${min} to ${max}`;
}

/** Any text that `check` accepts; `check` returns what was expected, or `undefined` when the text is fine. */
export function text(check: (raw: string) => string | undefined): (raw: string) => Parsed<string> {
  return (raw) => {
    const expected = check(raw);
    return expected === undefined ? { ok: true, value: raw } : { ok: false, expected };
  };
}

/** One of a fixed list of words. */
export function oneOf<T extends string>(choices: readonly T[]): (raw: string) => Parsed<T> {
  return (raw) => {
    const match = choices.find((choice) => choice === raw);
    return match === undefined ? { ok: false, expected: `one of ${choices.join(', ')}` } : { ok: true, value: match };
  };
}

/** `1`/`true` or `0`/`false`. */
export function yesNo(raw: string): Parsed<boolean> {
  if (raw === '1' || raw === 'true') return { ok: true, value: true };
  if (raw === '0' || raw === 'false') return { ok: true, value: false };
  return { ok: false, expected: '1 or true to turn it on, 0 or false to turn it off' };
}

/** How a secret appears in a problem line. */
export const HIDDEN = (): string => '(value not shown)';
