import { BlockList, isIP } from 'node:net';

/**
 * Longest host string considered at all: an IPv6 literal is at most 45
 * characters; `net.isIP` would accept a zone id of any length after it.
 */
export const MAX_HOST_LENGTH = 64;

/** 127.0.0.0/8 and ::1, in every spelling Node's parser accepts (`0:0:0:0:0:0:0:1`, `::ffff:127.0.0.1`). */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * Whether `host` (the `HOST` setting) only listens on this machine: an
 * address in 127.0.0.0/8, `::1`, or the name `localhost`. Anything else,
 * `0.0.0.0`, `::`, a LAN address or any other name, may be reachable from
 * elsewhere and counts as exposed: when in doubt, fail closed.
 */
export function isLoopbackHost(host: string): boolean {
  if (host.length > MAX_HOST_LENGTH) return false;
  if (host.toLowerCase() === 'localhost') return true;
  const family = isIP(host);
  if (family === 0) return false;
  return LOOPBACK.check(host, family === 6 ? 'ipv6' : 'ipv4');
}

