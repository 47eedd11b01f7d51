import { isIPv4, isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalAddress, truncateAddress } from '../../../server/privacy/ip-address.js';
import { pseudonymize, PSEUDONYM_HEX_LENGTH } from '../../../server/privacy/pseudonym.js';

describe('truncateAddress', () => {
  it.each([
    ['203.0.113.7', '203.0.113.0'],
    ['10.0.0.255', '10.0.0.0'],
    ['0.0.0.0', '0.0.0.0'],
    ['2001:db8:85a3:8d3:1319:8a2e:370:7348', '2001:db8:85a3::'],
    ['2001:DB8:85A3::1', '2001:db8:85a3::'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::'],
    ['::1', '::'],
    ['fe80::1', 'fe80::'],
    ['::ffff:203.0.113.7', '203.0.113.0'],
    ['::ffff:cb00:7107', '203.0.113.0'],
    ['64:ff9b::203.0.113.7', '64:ff9b::'],
  ])('keeps the network address of %s: %s', (address, expected) => {
    expect(truncateAddress(address)).toBe(expected);
  });

  it('refuses what is not an address literal', () => {
    for (const bad of ['', 'localhost', 'fe80::1%eth0', '1.2.3', '::ffff:1.2.3.4.5']) expect(() => truncateAddress(bad)).toThrow(TypeError);
  });

  it('gives an address of the same family that keeps only the first 24 or 48 bits (property)', () => {
    fc.assert(
      fc.property(fc.ipV4(), (address) => {
        const truncated = truncateAddress(address);
        expect(isIPv4(truncated)).toBe(true);
        expect(truncated.split('.').slice(0, 3)).toEqual(address.split('.').slice(0, 3));
        expect(truncated.endsWith('.0')).toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.ipV6(), (address) => {
        const truncated = truncateAddress(address);
        expect(isIPv4(truncated) || isIPv6(truncated)).toBe(true);
        // Idempotent: truncating twice keeps the same network, and equal spellings give equal networks.
        expect(truncateAddress(truncated)).toBe(truncated);
        expect(truncateAddress(canonicalAddress(address))).toBe(truncated);
        expect(truncateAddress(address.toUpperCase())).toBe(truncated);
      }),
    );
  });

  it('writes IPv6 in RFC 5952 form, which Node parses back to the same address (property)', () => {
    fc.assert(
      fc.property(fc.ipV6(), (address) => {
        const canonical = canonicalAddress(address);
        expect(canonical).toBe(canonical.toLowerCase());
        expect(canonical).not.toMatch(/(^|:)0[0-9a-f]/);
        expect(canonicalAddress(canonical)).toBe(canonical);
        expect(new URL(`http://[${isIPv4(canonical) ? `::ffff:${canonical}` : canonical}]/`).hostname.length).toBeGreaterThan(2);
      }),
    );
  });
});

describe('pseudonymize', () => {
  const salt = Buffer.alloc(32, 7);

  it('is a short hex string, the same for the same address and salt, different under another salt', () => {
    const one = pseudonymize('203.0.113.7', salt);
    expect(one).toMatch(new RegExp(`^[0-9a-f]{${PSEUDONYM_HEX_LENGTH}}$`));
    expect(pseudonymize('203.0.113.7', salt)).toBe(one);
    expect(pseudonymize('203.0.113.7', Buffer.alloc(32, 8))).not.toBe(one);
    expect(pseudonymize('203.0.113.8', salt)).not.toBe(one);
  });

  it('never contains the address (property)', () => {
    fc.assert(
      fc.property(fc.ipV4(), (address) => {
        expect(pseudonymize(address, salt)).not.toContain(address);
      }),
    );
  });
});
