import type { IpMode } from '../config/index.js';
import type { Clock } from '../core/clock.js';
import { canonicalAddress, truncateAddress } from './ip-address.js';
import { pseudonymize } from './pseudonym.js';
import { CurrentSalt } from './salts/current-salt.js';
import { dayOf, type SaltStore } from './salts/types.js';

/** What carries an address to mask: the write path's validated records. */
export interface Addressed {
  readonly ipAddress: string | null;
}

/** A value at once, or a promise of it when it needs I/O first. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * `IP_MODE` applied to the write path, after validation and before the
 * store: what it gives back is all that is ever stored, published, kept in
 * the history or logged of an address.
 */
export interface AddressMasker {
  /** The `IP_MODE` it applies, for `Query.privacy`. */
  readonly mode: IpMode;
  /**
   * `batch` with every `ipAddress` as {@link AddressMasker.mode} keeps it:
   * - `full`: `batch` itself, at once (no copy, no await);
   * - `truncate`: the network, IPv4 /24 and IPv6 /48 (`truncateAddress`);
   * - `hash`: a pseudonym under the salt of `receivedAt`'s UTC day
   *   (`pseudonymize` of `canonicalAddress`), at once while this process
   *   holds that salt, else after one salt lookup for the whole batch;
   * - `drop`: null.
   *
   * Records without an address are passed through as they are.
   * @param receivedAt - when Pulse received the batch (epoch ms)
   * @throws (the promise rejects) with the salt store's error in `hash` mode: the write must fail then, never store the address unmasked
   */
  mask<T extends Addressed>(batch: readonly T[], receivedAt: number): MaybePromise<readonly T[]>;
  /** Stops the timer that forgets a held salt. */
  close(): void;
}

/** Options of {@link createAddressMasker}. */
export interface AddressMaskerOptions {
  readonly mode: IpMode;
  /** Where `hash` mode's daily salts live (memory, or Redis shared by every process); the other modes never ask it. */
  readonly salts: SaltStore;
  /** The process clock, by which a held salt is forgotten when its day ends. */
  readonly clock: Clock;
}

/** Creates the masker of `mode`. */
export function createAddressMasker(options: AddressMaskerOptions): AddressMasker {
  return MASKERS[options.mode](options);
}

const MASKERS: Readonly<Record<IpMode, (options: AddressMaskerOptions) => AddressMasker>> = {
  full: () => ({ mode: 'full', mask: (batch) => batch, close() {} }),
  truncate: () => ({ mode: 'truncate', mask: (batch) => eachAddress(batch, truncateAddress), close() {} }),
  hash: ({ salts, clock }) => hashMasker(new CurrentSalt(salts, clock)),
  drop: () => ({ mode: 'drop', mask: (batch) => eachAddress(batch, () => null), close() {} }),
};

function hashMasker(current: CurrentSalt): AddressMasker {
  return {
    mode: 'hash',
    mask(batch, receivedAt) {
      // A batch without addresses needs no salt: no lookup, and no salt made for a day that hashes nothing.
      if (!batch.some(hasAddress)) return batch;
      const salt = current.of(dayOf(receivedAt));
      return salt instanceof Uint8Array ? pseudonymized(batch, salt) : salt.then((found) => pseudonymized(batch, found));
    },
    close: () => current.close(),
  };
}

function pseudonymized<T extends Addressed>(batch: readonly T[], salt: Uint8Array): readonly T[] {
  // One spelling per address first, so `2001:DB8::1` and `2001:db8::1` share a pseudonym.
  return eachAddress(batch, (address) => pseudonymize(canonicalAddress(address), salt));
}

function eachAddress<T extends Addressed>(batch: readonly T[], masked: (address: string) => string | null): readonly T[] {
  return batch.map((input) => (input.ipAddress === null ? input : { ...input, ipAddress: masked(input.ipAddress) }));
}

function hasAddress(input: Addressed): boolean {
  return input.ipAddress !== null;
}
