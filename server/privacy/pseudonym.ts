import { createHmac } from 'node:crypto';

/** Hex characters of a pseudonym: 64 bits, enough to tell a day's addresses apart, too few to serve as a lookup key elsewhere. */
export const PSEUDONYM_HEX_LENGTH = 16;

/**
 * A keyed pseudonym of an address: HMAC-SHA-256 under `salt`, as
 * {@link PSEUDONYM_HEX_LENGTH} hex characters. Without the salt, which is
 * random, rotated daily and deleted after 48 h, the address cannot be
 * recovered by hashing every IPv4 address, as a plain hash could be.
 */
export function pseudonymize(address: string, salt: Uint8Array): string {
  return createHmac('sha256', salt).update(address).digest('hex').slice(0, PSEUDONYM_HEX_LENGTH);
}
