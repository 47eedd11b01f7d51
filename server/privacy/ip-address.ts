import { isIPv4, isIPv6 } from 'node:net';

/** Bits of an IPv4 address kept by {@link truncateAddress}: its /24, as Matomo's two-byte mask keeps. */
export const IPV4_KEPT_BITS = 24;
/** Bits of an IPv6 address kept by {@link truncateAddress}: its /48, a site's routing prefix. */
export const IPV6_KEPT_BITS = 48;

/**
 * The network address of `address`'s /24 (IPv4) or /48 (IPv6), in canonical
 * form (RFC 5952 for IPv6): `203.0.113.7` → `203.0.113.0`,
 * `2001:db8:85a3:8d3:1319:8a2e:370:7348` → `2001:db8:85a3::`. An
 * IPv4-mapped IPv6 address (`::ffff:203.0.113.7`) is an IPv4 address and is
 * truncated as one (`203.0.113.0`): its /48 would keep nothing at all.
 * @param address - an IPv4 or IPv6 literal without a zone id, as the input validation accepts
 * @throws TypeError for anything else
 */
export function truncateAddress(address: string): string {
  const canonical = canonicalAddress(address);
  if (isIPv4(canonical)) return truncateV4(canonical);
  return formatIpv6(ipv6Groups(canonical).map((group, index) => (index < IPV6_KEPT_BITS / 16 ? group : 0)));
}

function truncateV4(address: string): string {
  const octets = address.split('.');
  return `${octets.slice(0, IPV4_KEPT_BITS / 8).join('.')}.0`;
}

/** The IPv4 address in the last 32 bits of `::ffff:a.b.c.d`. */
function mappedV4(groups: readonly number[]): string {
  const [, , , , , , high = 0, low = 0] = groups;
  return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
}

function isV4Mapped(groups: readonly number[]): boolean {
  return groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
}

/** The eight 16-bit groups of a valid IPv6 literal, `::` expanded and a trailing dotted IPv4 part folded in. */
export function ipv6Groups(address: string): number[] {
  const [head = '', tail] = address.split('::') as [string, string | undefined];
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').flatMap(groupsOf));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const zeros = tail === undefined ? [] : new Array<number>(8 - left.length - right.length).fill(0);
  return [...left, ...zeros, ...right];
}

function groupsOf(piece: string): number[] {
  if (!piece.includes('.')) return [Number.parseInt(piece, 16)];
  const [a = 0, b = 0, c = 0, d = 0] = piece.split('.').map(Number);
  return [(a << 8) | b, (c << 8) | d];
}

/** RFC 5952: lower case, no leading zeros, the longest run of two or more zero groups (the first on a tie) as `::`. */
export function formatIpv6(groups: readonly number[]): string {
  let best = { start: -1, length: 0 };
  for (let start = 0; start < groups.length; ) {
    let end = start;
    while (end < groups.length && groups[end] === 0) end++;
    if (end - start > best.length && end - start >= 2) best = { start, length: end - start };
    start = end === start ? start + 1 : end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (best.start === -1) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
}

/**
 * One spelling per address, so that a pseudonym does not depend on how a
 * client wrote it: IPv4 as it is, IPv6 in RFC 5952 form, an IPv4-mapped IPv6
 * address as its IPv4 address.
 * @throws TypeError for anything but an IPv4 or IPv6 literal without a zone id
 */
export function canonicalAddress(address: string): string {
  if (isIPv4(address)) return address;
  if (!isIPv6(address) || address.includes('%')) throw new TypeError('not an IPv4 or IPv6 literal');
  const groups = ipv6Groups(address);
  if (isV4Mapped(groups)) return mappedV4(groups);
  return formatIpv6(groups);
}
