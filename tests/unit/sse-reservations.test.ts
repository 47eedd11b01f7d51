import { describe, expect, it } from 'vitest';
import { createReservationRegistry, type ReservationTimers } from '../../server/transports/sse-reservations.js';

/** Timers that fire only when the test says so. */
function manualTimers(): ReservationTimers & { fireAll(): void; readonly pending: number } {
  const scheduled = new Map<number, () => void>();
  let next = 0;
  return {
    setTimeout: (callback) => {
      scheduled.set(++next, callback);
      return next;
    },
    clearTimeout: (handle) => void scheduled.delete(handle as number),
    fireAll: () => {
      const callbacks = [...scheduled.values()];
      scheduled.clear();
      callbacks.forEach((callback) => callback());
    },
    get pending() {
      return scheduled.size;
    },
  };
}

function registry(maxPerOwner = 2) {
  const timers = manualTimers();
  const expired: string[] = [];
  let n = 0;
  const reservations = createReservationRegistry({ ttlMs: 1000, maxPerOwner, onExpire: (token) => expired.push(token), timers, newToken: () => `t${++n}` });
  return { reservations, timers, expired };
}

describe('createReservationRegistry', () => {
  it('bounds pending reservations per owner, and frees a slot when one connects', () => {
    const { reservations } = registry(2);
    expect(reservations.reserve('alice')).toBe('t1');
    expect(reservations.reserve('alice')).toBe('t2');
    expect(reservations.reserve('alice')).toBeNull();
    expect(reservations.reserve('bob')).toBe('t3');
    expect(reservations.claim('t1', 'alice')).toBe(true);
    expect(reservations.pendingOf('alice')).toBe(1);
    expect(reservations.reserve('alice')).toBe('t4');
  });

  it('claims a token once, and only for its owner', () => {
    const { reservations } = registry();
    const token = reservations.reserve('alice') ?? '';
    expect(reservations.claim(token, 'mallory')).toBe(false);
    expect(reservations.claim(token, 'alice')).toBe(true);
    expect(reservations.claim(token, 'alice')).toBe(false);
    expect(reservations.claim('never-issued', 'alice')).toBe(false);
  });

  it('expires a reservation that never connects, once, and stops its timer when claimed', () => {
    const { reservations, timers, expired } = registry();
    const lapsing = reservations.reserve('alice') ?? '';
    const claimed = reservations.reserve('alice') ?? '';
    reservations.claim(claimed, 'alice');
    expect(timers.pending).toBe(1);
    timers.fireAll();
    expect(expired).toEqual([lapsing]);
    expect(reservations.claim(lapsing, 'alice')).toBe(false);
    expect(reservations.pendingOf('alice')).toBe(0);
  });

  it('drops every pending reservation on close', () => {
    const { reservations, timers, expired } = registry();
    reservations.reserve('alice');
    reservations.reserve('bob');
    reservations.close();
    expect(expired).toEqual(['t1', 't2']);
    expect(timers.pending).toBe(0);
  });
});
