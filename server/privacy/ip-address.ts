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
  if (isIPv4(address)) return truncateV4(address);
  // Parsed once: truncating the canonical form would parse the address twice.
  const groups = checkedIpv6Groups(address);
  if (isV4Mapped(groups)) return truncateV4(mappedV4(groups));
  return formatIpv6(groups.map((group, index) => (index < IPV6_KEPT_BITS / 16 ? group : 0)));
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
  return groups[5] === 0xffff && groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0;
}

/**
 * The eight 16-bit groups of a valid IPv6 literal, `::` expanded and a
 * trailing dotted IPv4 part folded in. Plain loops: it runs once per event
 * with an IPv6 address in `IP_MODE=truncate` and `hash`, where `flatMap` and
 * spreads cost several times more.
 */
export function ipv6Groups(address: string): number[] {
  const gap = address.indexOf('::');
  if (gap === -1) return pushGroups([], address);
  const groups = pushGroups([], address.slice(0, gap));
  const right = pushGroups([], address.slice(gap + 2));
  while (groups.length + right.length < 8) groups.push(0);
  for (const group of right) groups.push(group);
  return groups;
}

/** Appends the groups of `part` (colon-separated hex, perhaps ending in a dotted IPv4 part) to `groups`. */
function pushGroups(groups: number[], part: string): number[] {
  if (part === '') return groups;
  for (const piece of part.split(':')) {
    if (!piece.includes('.')) {
      groups.push(Number.parseInt(piece, 16));
      continue;
    }
    const [a = 0, b = 0, c = 0, d = 0] = piece.split('.').map(Number);
    groups.push((a << 8) | b, (c << 8) | d);
  }
  return groups;
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
  const groups = checkedIpv6Groups(address);
  if (isV4Mapped(groups)) return mappedV4(groups);
  return formatIpv6(groups);
}

/**
 * {@link ipv6Groups} of an address that must be an IPv6 literal without a zone id.
 * @throws TypeError for anything else
 */
function checkedIpv6Groups(address: string): number[] {
  if (!isIPv6(address) || address.includes('%')) throw new TypeError('not an IPv4 or IPv6 literal');
  return ipv6Groups(address);
}
