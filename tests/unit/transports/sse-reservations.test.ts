import { describe, expect, it } from 'vitest';
import { MalformedOperationError, encodeStreamOperation, parseOperationParams, parseStreamOperation, type StreamOperation } from '../../../server/transports/sse-single/operation.js';
import { createMemoryReservations, type ReservationTimers } from '../../../server/transports/sse-single/reservations-memory.js';
import { encodeRouterMessage, parseRouterMessage, MalformedRouterMessageError } from '../../../server/transports/sse-single/routing-wire.js';

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
  let n = 0;
  const reservations = createMemoryReservations({ ttlMs: 1000, maxPerOwner, maxStreamsPerOwner: 2, maxQueued: 2, timers, newToken: () => `t${++n}` });
  return { reservations, timers };
}

const operation = (operationId: string, sub = 'alice'): StreamOperation => ({
  operationId,
  params: { query: '{ __typename }', variables: { first: 1 }, operationName: null, extensions: { operationId } },
  viewer: { sub, roles: new Set(['admin']) },
  requestId: `req-${operationId}`,
});

describe('createMemoryReservations (timing and cleanup; the behaviour is in the contract suite)', () => {
  it('expires a reservation that never connects, with its queued operations, and stops its timer when connected', async () => {
    const { reservations, timers } = registry();
    const lapsing = (await reservations.reserve('alice')) ?? '';
    const connected = (await reservations.reserve('alice')) ?? '';
    expect(await reservations.submit(lapsing, 'alice', operation('q1'))).toEqual({ state: 'queued' });
    await reservations.connect(connected, 'alice', 'process-1');
    expect(timers.pending).toBe(1);
    timers.fireAll();
    expect(await reservations.connect(lapsing, 'alice', 'process-1')).toEqual({ state: 'unknown' });
    expect(await reservations.submit(lapsing, 'alice', operation('q2'))).toEqual({ state: 'unknown' });
    expect(await reservations.pendingOf('alice')).toBe(0);
    // The connected one has no expiry: it lives until released.
    expect(await reservations.submit(connected, 'alice', operation('q3'))).toEqual({ state: 'held', holder: 'process-1' });
  });

  it('drops every reservation, stream count and timer on close', async () => {
    const { reservations, timers } = registry();
    const token = (await reservations.reserve('alice')) ?? '';
    await reservations.reserve('bob');
    const connected = (await reservations.reserve('carol')) ?? '';
    await reservations.connect(connected, 'carol', 'process-1');
    await reservations.close();
    expect(timers.pending).toBe(0);
    expect(await reservations.connect(token, 'alice', 'process-1')).toEqual({ state: 'unknown' });
    expect(await reservations.pendingOf('bob')).toBe(0);
    expect(await reservations.connectedOf('carol')).toBe(0);
  });
});

describe('operation params and stream operations on the wire', () => {
  it('takes what graphql-sse sends and refuses what it would', () => {
    expect(parseOperationParams({ query: '{ a }', extensions: { operationId: 'x' } })).toEqual({
      query: '{ a }',
      variables: null,
      operationName: null,
      extensions: { operationId: 'x' },
    });
    for (const bad of [null, [], { query: 5 }, {}, { query: '{ a }', variables: 'x' }, { query: '{ a }', variables: [] }, { query: '{ a }', extensions: 1 }]) {
      expect(() => parseOperationParams(bad), JSON.stringify(bad)).toThrow(MalformedOperationError);
    }
  });

  it('round-trips an operation, roles included, and refuses unknown roles', () => {
    const original = operation('op-1');
    expect(parseStreamOperation(encodeStreamOperation(original))).toEqual(original);
    const forged = JSON.parse(encodeStreamOperation(original)) as { viewer: { roles: string[] } };
    forged.viewer.roles = ['root'];
    expect(() => parseStreamOperation(JSON.stringify(forged))).toThrow(/unknown role/);
    expect(() => parseStreamOperation('not json')).toThrow(MalformedOperationError);
  });

  it('round-trips routing messages and refuses malformed ones', () => {
    const run = { kind: 'request', call: 'c1', replyTo: 'p1', request: { kind: 'run', token: 't', operation: operation('op-1') } } as const;
    expect(parseRouterMessage(encodeRouterMessage(run))).toEqual(run);
    const cancel = { kind: 'request', call: 'c2', replyTo: 'p1', request: { kind: 'cancel', token: 't', sub: 'alice', operationId: 'op-1', requestId: 'r' } } as const;
    expect(parseRouterMessage(encodeRouterMessage(cancel))).toEqual(cancel);
    const answer = { kind: 'answer', call: 'c1', answer: { status: 503, code: 'SERVICE_UNAVAILABLE', message: 'later' } } as const;
    expect(parseRouterMessage(encodeRouterMessage(answer))).toEqual(answer);
    for (const bad of ['{', '[]', '{"kind":"answer","call":"c","answer":{"status":99}}', '{"kind":"answer","call":"c","answer":{"status":404,"code":"NOPE"}}', '{"kind":"x","call":"c"}']) {
      expect(() => parseRouterMessage(bad), bad).toThrow(MalformedRouterMessageError);
    }
  });
});
