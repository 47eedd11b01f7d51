import { afterEach, describe, expect, it, vi } from 'vitest';
import type { IpMode } from '../../../server/config/index.js';
import type { Clock } from '../../../server/core/clock.js';
import { createAddressMasker, type Addressed, type AddressMasker } from '../../../server/privacy/address-masking.js';
import { canonicalAddress } from '../../../server/privacy/ip-address.js';
import { pseudonymize, PSEUDONYM_HEX_LENGTH } from '../../../server/privacy/pseudonym.js';
import { createMemorySaltStore } from '../../../server/privacy/salts/memory.js';
import { DAY_MS, dateOf, dayOf, type Day, type SaltStore } from '../../../server/privacy/salts/types.js';

/** 2026-12-02 12:00 UTC: the middle of a day, far from its edges. */
const NOON = Date.UTC(2026, 11, 2, 12);

/** A clock the test moves by hand. */
function handClock(start = NOON) {
  let now = start;
  return { now: () => now, set: (at: number) => void (now = at) };
}

/** The memory salt store, counting how often the masker asks it. */
function countedSalts(clock: Clock) {
  const store = createMemorySaltStore(clock);
  const asked: Day[] = [];
  const salts: SaltStore = {
    saltOf: (day) => {
      asked.push(day);
      return store.saltOf(day);
    },
    close: () => store.close(),
  };
  return { salts, asked, store };
}

interface Event extends Addressed {
  readonly sessionId: string;
}

const event = (sessionId: string, ipAddress: string | null): Event => ({ sessionId, ipAddress });

/** The addresses as the masker gave them, awaited when it had to wait. */
async function masked(masker: AddressMasker, addresses: readonly (string | null)[], at = NOON): Promise<(string | null)[]> {
  const out = await masker.mask(
    addresses.map((address, i) => event(`s${i}`, address)),
    at,
  );
  return out.map((e) => e.ipAddress);
}

const SPELLINGS = {
  ipv4: '203.0.113.77',
  ipv6Compressed: '2001:db8:85a3::8a2e:370:7334',
  ipv6Full: '2001:0db8:85a3:0000:0000:8a2e:0370:7334',
  ipv4Mapped: '::ffff:203.0.113.77',
} as const;

describe('createAddressMasker', () => {
  const maskers: AddressMasker[] = [];
  const open = (mode: IpMode, clock: Clock = handClock()) => {
    const counted = countedSalts(clock);
    const masker = createAddressMasker({ mode, salts: counted.salts, clock });
    maskers.push(masker);
    return { masker, ...counted };
  };
  afterEach(() => {
    for (const masker of maskers.splice(0)) masker.close();
    vi.useRealTimers();
  });

  describe('full', () => {
    it('gives the batch itself back, at once: no copy, no promise, no salt', () => {
      const { masker, asked } = open('full');
      const batch = [event('a', SPELLINGS.ipv4), event('b', SPELLINGS.ipv6Full), event('c', null)];
      expect(masker.mask(batch, NOON)).toBe(batch);
      expect(asked).toEqual([]);
      expect(masker.mode).toBe('full');
    });
  });

  describe('truncate', () => {
    it('keeps the /24 of IPv4 and the /48 of IPv6, as network addresses, whatever the spelling', async () => {
      const { masker, asked } = open('truncate');
      expect(await masked(masker, Object.values(SPELLINGS))).toEqual(['203.0.113.0', '2001:db8:85a3::', '2001:db8:85a3::', '203.0.113.0']);
      expect(await masked(masker, ['2001:DB8:85A3:8D3:1319:8A2E:370:7348', '::1', '10.1.2.3'])).toEqual(['2001:db8:85a3::', '::', '10.1.2.0']);
      expect(asked).toEqual([]);
    });

    it('answers at once and leaves events without an address as they are', () => {
      const { masker } = open('truncate');
      const bare = event('bare', null);
      const out = masker.mask([bare, event('x', '198.51.100.9')], NOON);
      expect(out).not.toBeInstanceOf(Promise);
      expect(out).toEqual([bare, { sessionId: 'x', ipAddress: '198.51.100.0' }]);
      expect((out as readonly Event[])[0]).toBe(bare);
    });
  });

  describe('drop', () => {
    it('stores no address at all: null for every spelling', async () => {
      const { masker, asked } = open('drop');
      expect(await masked(masker, [...Object.values(SPELLINGS), null])).toEqual([null, null, null, null, null]);
      expect(masker.mask([event('x', SPELLINGS.ipv4)], NOON)).not.toBeInstanceOf(Promise);
      expect(asked).toEqual([]);
    });
  });

  describe('hash', () => {
    it("gives the keyed pseudonym of the canonical address under the day's salt", async () => {
      const { masker, store } = open('hash');
      const salt = await store.saltOf(dayOf(NOON));
      const out = await masked(masker, [SPELLINGS.ipv4, SPELLINGS.ipv6Compressed, null]);
      expect(out).toEqual([pseudonymize('203.0.113.77', salt), pseudonymize('2001:db8:85a3::8a2e:370:7334', salt), null]);
      for (const pseudonym of out.slice(0, 2)) expect(pseudonym).toMatch(new RegExp(`^[0-9a-f]{${PSEUDONYM_HEX_LENGTH}}$`));
      expect(out.join()).not.toContain('203.0.113');
    });

    it('gives one pseudonym per address, however it is spelled', async () => {
      const { masker } = open('hash');
      const [v4, compressed, full, mapped, upper] = await masked(masker, [...Object.values(SPELLINGS), SPELLINGS.ipv6Compressed.toUpperCase()]);
      expect(mapped).toBe(v4);
      expect(full).toBe(compressed);
      expect(upper).toBe(compressed);
      expect(v4).not.toBe(compressed);
      expect(canonicalAddress(SPELLINGS.ipv4Mapped)).toBe(SPELLINGS.ipv4);
    });

    it('gives another pseudonym on another (UTC) day', async () => {
      const clock = handClock();
      const { masker } = open('hash', clock);
      const [today] = await masked(masker, [SPELLINGS.ipv4], NOON);
      const [laterToday] = await masked(masker, [SPELLINGS.ipv4], NOON + 11 * 3_600_000);
      clock.set(NOON + DAY_MS);
      const [tomorrow] = await masked(masker, [SPELLINGS.ipv4], NOON + DAY_MS);
      expect(laterToday).toBe(today);
      expect(tomorrow).not.toBe(today);
    });

    it("asks the salt store once per day: later batches use the salt it holds, at once", async () => {
      const { masker, asked } = open('hash');
      await masked(masker, [SPELLINGS.ipv4]);
      const again = masker.mask([event('x', SPELLINGS.ipv6Full), event('y', SPELLINGS.ipv4)], NOON + 60_000);
      expect(again).not.toBeInstanceOf(Promise);
      expect(asked).toEqual([dayOf(NOON)]);
    });

    it("shares one lookup among the batches that arrive before the day's salt does", async () => {
      const { masker, asked } = open('hash');
      const first = masker.mask([event('a', SPELLINGS.ipv4)], NOON);
      const second = masker.mask([event('b', SPELLINGS.ipv4)], NOON + 1);
      expect(first).toBeInstanceOf(Promise);
      const [[a], [b]] = await Promise.all([first, second]);
      expect(a?.ipAddress).toBe(b?.ipAddress);
      expect(asked).toEqual([dayOf(NOON)]);
    });

    it('needs no salt for a batch without addresses', () => {
      const { masker, asked } = open('hash');
      const batch = [event('a', null), event('b', null)];
      expect(masker.mask(batch, NOON)).toBe(batch);
      expect(asked).toEqual([]);
    });

    it("fails the batch when the salt cannot be had, and asks again for the next one", async () => {
      const clock = handClock();
      const real = createMemorySaltStore(clock);
      let failing = true;
      const salts: SaltStore = {
        saltOf: (day) => (failing ? Promise.reject(new Error('salt store down')) : real.saltOf(day)),
        close: () => real.close(),
      };
      const masker = createAddressMasker({ mode: 'hash', salts, clock });
      maskers.push(masker);
      await expect(masker.mask([event('a', SPELLINGS.ipv4)], NOON)).rejects.toThrow('salt store down');
      failing = false;
      const [ok] = await masker.mask([event('a', SPELLINGS.ipv4)], NOON);
      expect(ok?.ipAddress).toBe(pseudonymize(SPELLINGS.ipv4, await real.saltOf(dayOf(NOON))));
    });

    it('forgets the held salt when its day ends, so an idle process keeps none past it', async () => {
      vi.useFakeTimers({ now: NOON });
      const clock = { now: () => Date.now() };
      const { masker, asked } = open('hash', clock);
      await masked(masker, [SPELLINGS.ipv4]);
      vi.advanceTimersByTime(12 * 3_600_000 - 1);
      expect(masker.mask([event('a', SPELLINGS.ipv4)], NOON)).not.toBeInstanceOf(Promise);
      vi.advanceTimersByTime(1);
      // Forgotten: even a batch dated in that day has to ask the store again.
      expect(masker.mask([event('a', SPELLINGS.ipv4)], NOON)).toBeInstanceOf(Promise);
      expect(asked).toEqual([dayOf(NOON), dayOf(NOON)]);
    });
  });
});

describe("a salt's day", () => {
  it('is the UTC day of the receipt time, named by its date in the Redis key', () => {
    expect(dateOf(dayOf(Date.UTC(2026, 11, 1, 23, 59, 59, 999)))).toBe('2026-12-01');
    expect(dateOf(dayOf(Date.UTC(2026, 11, 2)))).toBe('2026-12-02');
    expect(dateOf(0)).toBe('1970-01-01');
  });
});
