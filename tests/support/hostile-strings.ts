import fc from 'fast-check';

/**
 * fast-check arbitraries for strings a hostile client sends: any code point,
 * lone UTF-16 surrogates, lengths right around a bound and far past it, and
 * every IP address form `net.isIP` knows, zone ids included.
 */

/** A lone UTF-16 surrogate: it has no UTF-8 form, so backends would disagree about it. */
export const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit));

/** Short pieces of anything: any code point, surrogates alone, control characters, the separators Pulse uses. */
const piece = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.string({ unit: 'grapheme', maxLength: 3 }),
  loneSurrogate,
  fc.constantFrom('\u0000', '%', ':', '/', '\n', '"', '\\', '😀', '\u00e9', '\u200d', '\ufffd'),
);

/** Text made of {@link piece}s, up to about 150 UTF-16 units. */
export const anyText = fc.array(piece, { maxLength: 25 }).map((pieces) => pieces.join(''));

/** A string whose length is within 2 of `bound` (UTF-16 units), sometimes ending in an astral character that straddles it. */
export function nearBound(bound: number): fc.Arbitrary<string> {
  return fc
    .tuple(fc.integer({ min: Math.max(0, bound - 2), max: bound + 2 }), fc.constantFrom('a', '\u00e9', '\u4e2d'), fc.boolean())
    .map(([length, unit, astral]) => (astral && length >= 2 ? unit.repeat(length - 2) + '😀' : unit.repeat(length)));
}

/** Far past any bound: kilobytes of repeated text. */
export const overlong = fc.tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 4 }), fc.integer({ min: 1000, max: 5000 })).map(([text, times]) => text.repeat(times));

/** IPv4 and IPv6 in every form `net.isIP` takes, and near misses: zone ids (short and 5,000 long), brackets, case, spaces, ports. */
export const ipForms = fc.oneof(
  fc.ipV4(),
  fc.ipV4Extended(),
  fc.ipV6(),
  fc.ipV6().map((ip) => ip.toUpperCase()),
  fc.ipV4().map((ip) => `::ffff:${ip}`),
  fc.tuple(fc.ipV6(), fc.string({ maxLength: 12 })).map(([ip, zone]) => `${ip}%${zone}`),
  fc.ipV6().map((ip) => `${ip}%${'a'.repeat(5000)}`),
  fc.constant(`fe80::1%${'a'.repeat(5000)}`),
  fc.constant('ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255'),
  fc.tuple(fc.ipV6(), fc.constantFrom('[', ' ', '\n', '\u0000')).map(([ip, around]) => `${around}${ip}${around === '[' ? ']' : ''}`),
  fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 65535 })).map(([ip, port]) => `${ip}:${port}`),
);

/** Everything above, for a field bounded at `bound` characters. */
export function hostileString(bound: number): fc.Arbitrary<string> {
  return fc.oneof(anyText, nearBound(bound), overlong, ipForms);
}

/**
 * ISO-8601 date-times near `now` in every form the `DateTime` scalar's
 * pattern allows (with and without seconds, 0 to 9 decimals, `Z` or an
 * offset), and near misses (no zone, a space, out-of-range fields).
 */
export function dateTimeForms(now: number): fc.Arbitrary<string> {
  const valid = fc
    .tuple(fc.integer({ min: -900_000, max: 60_000 }), fc.integer({ min: -14, max: 14 }), fc.integer({ min: 0, max: 9 }), fc.boolean())
    .map(([offsetMs, zoneHours, decimals, seconds]) => isoAt(now + offsetMs, zoneHours * 60, seconds ? decimals : -1));
  const broken = fc.oneof(
    valid.map((text) => text.replace(/(Z|[+-]\d{2}:\d{2})$/, '')),
    valid.map((text) => text.replace('T', ' ')),
    valid.map((text) => `${text}${'0'.repeat(5000)}`),
    fc.constantFrom('2026-02-30T10:00:00Z', '2026-13-01T00:00:00Z', '2026-01-01T24:61:00Z', '1', 'now', ''),
  );
  return fc.oneof(valid, broken, anyText);
}

/** `ms` written in the zone `offsetMinutes` east of UTC, with `decimals` second decimals (-1: no seconds). */
function isoAt(ms: number, offsetMinutes: number, decimals: number): string {
  const local = new Date(ms + offsetMinutes * 60_000).toISOString();
  const fraction = local.slice(20, 23).padEnd(9, '0').slice(0, decimals);
  const time = decimals < 0 ? local.slice(0, 16) : `${local.slice(0, 19)}${decimals > 0 ? `.${fraction}` : ''}`;
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const zone = offsetMinutes === 0 ? 'Z' : `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${time}${zone}`;
}
