import type { HeldLease, HeldLeases } from './held.js';

/**
 * One call of sync.lua as the Redis leases build it: what was queued since
 * the last call, turned into the script's operations (`code`, holder
 * position, two numbers each) and a way to take each reply. Kept apart from
 * the queueing (./redis.ts) because it is the one place that must agree
 * with the script's ARGV layout.
 */

/** An acquire waiting for its call. */
export interface Acquire {
  readonly holder: string;
  readonly limit: number;
  /** The lease's number, should it be granted. */
  readonly lease: number;
  readonly resolve: (lease: HeldLease | null) => void;
  readonly reject: (error: unknown) => void;
}

/** A release waiting for its call. */
export interface Release {
  readonly holder: string;
  readonly lease: number;
}

/** One call's operations as sync.lua takes them, and what to do with each reply. */
export interface SyncCall {
  /** The holders the call touches, in the order of their KEYS pairs (positions from 1). */
  readonly holders: string[];
  readonly args: Array<string | number>;
  /** Per operation, in order: how its reply is taken. */
  readonly replies: Array<(reply: number) => void>;
  readonly acquires: readonly Acquire[];
  readonly releases: readonly Release[];
  readonly restores: ReadonlySet<string>;
  /** Whether this process held leases Redis should have when the call was made. */
  readonly heldAny: boolean;
}

/** What goes into one call, taken from the queues by the caller. */
export interface SyncCallInput {
  readonly held: HeldLeases;
  readonly releases: readonly Release[];
  /** Holders whose leases Redis may have wrong: put back as `held` has them. */
  readonly restores: ReadonlySet<string>;
  readonly acquires: readonly Acquire[];
  /** Holders to check this call (empty unless a renewal is due). */
  readonly checks: readonly string[];
  /** Takes an acquire's answer. */
  readonly onAcquired: (acquire: Acquire, granted: boolean) => void;
  /** A check found Redis's count of `holder` wrong. */
  readonly onWrongCount: (holder: string) => void;
}

const ignore = (): void => {};

/** Builds one call: releases, then restores, then acquires, then checks. */
export function buildSyncCall({ held, releases, restores, acquires, checks, onAcquired, onWrongCount }: SyncCallInput): SyncCall {
  const holders: string[] = [];
  const positions = new Map<string, number>();
  const positionOf = (holder: string): number => {
    let position = positions.get(holder);
    if (position === undefined) positions.set(holder, (position = holders.push(holder)));
    return position;
  };
  const args: Array<string | number> = [];
  const replies: Array<(reply: number) => void> = [];
  const op = (code: string, holder: string, x: number, y: number, onReply: (reply: number) => void = ignore): void => {
    args.push(code, positionOf(holder), x, y);
    replies.push(onReply);
  };
  const heldAny = held.size > 0;
  for (const { holder, lease } of releases) if (!restores.has(holder)) op('r', holder, lease, 0);
  // Put back as this process knows them with nothing else out: a release queued with them is included.
  for (const holder of restores) {
    op('c', holder, 0, 0);
    const leases = held.leasesOf(holder);
    for (const lease of leases) op('s', holder, lease, leases.length);
  }
  for (const acquire of acquires) op('a', acquire.holder, acquire.limit, acquire.lease, (reply) => onAcquired(acquire, reply === 1));
  // Only holders this call changes nothing of: what they should hold is exact.
  for (const holder of checks) {
    const [lease] = held.leasesOf(holder);
    if (!positions.has(holder) && lease !== undefined) op('v', holder, held.countOf(holder), lease, (reply) => reply === 1 || onWrongCount(holder));
  }
  return { holders, args, replies, acquires, releases, restores, heldAny };
}
