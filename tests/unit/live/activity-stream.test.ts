import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryBus } from '../../../server/bus/memory.js';
import type { PulseServices } from '../../../server/resolvers/context.js';
import type { ActivityRecordInput } from '../../../server/domain/activity.js';
import type { WireEvent } from '../../../server/domain/events.js';
import { FanoutHub } from '../../../server/live/fanout/fanout-hub.js';
import { createMemoryLeases } from '../../../server/leases/memory.js';
import { createPulseMetrics } from '../../../server/observability/metrics.js';
import { createStatsFeed } from '../../../server/live/stats-feed.js';
import { createMemoryStore } from '../../../server/store/memory.js';
import { openActivityStream } from '../../../server/live/activity-stream.js';
import { OpenStreams } from '../../../server/live/open-streams.js';
import { SharedSnapshots } from '../../../server/live/shared-snapshots.js';
import { waitUntil } from '../../support/wait.js';

const admin = { sub: 'alice', roles: new Set(['admin'] as const) };
/** Members that take items and execute them themselves (no transport sink). */
const ITEMS = { key: 'items', filter: null, execute: null };

function event(sessionId: string, userId: string, at: number): ActivityRecordInput {
  return { sessionId, userId, userName: null, ipAddress: null, path: '/', userAgent: null, at };
}

async function slowConsumerDisconnects(services: PulseServices): Promise<number | undefined> {
  return (await services.metrics.slowConsumerDisconnects.get()).values[0]?.value;
}

describe('openActivityStream (in process, memory engines)', () => {
  let services: PulseServices;

  beforeEach(() => {
    const bus = createMemoryBus();
    const store = createMemoryStore({ bus });
    const clock = { now: () => Date.now() };
    const statsFeed = createStatsFeed({ store, bus, clock, intervalMs: 60_000, topPathsLimit: 10, onError: () => {} });
    services = {
      store,
      bus,
      leases: createMemoryLeases(),
      statsFeed,
      clock,
      logger: pino({ level: 'silent' }),
      limits: { idleTimeoutMs: 60_000, clockSkewMs: 5_000, maxBatchSize: 100, maxSubscriptionsPerAdmin: 2, subscriberBufferSize: 10, subscriberBufferBytes: 1_048_576 },
      metrics: createPulseMetrics(),
      openStreams: new OpenStreams(),
      fanout: new FanoutHub({ bus, statsFeed, onDelivered: () => {} }),
      snapshots: new SharedSnapshots((query) => store.snapshot(query, clock.now(), 10)),
    };
  });
  afterEach(() => services.statsFeed.close());

  it('starts with a snapshot whose cursor is the newest change, then sends only newer changes', async () => {
    await services.store.record([event('s1', 'u1', Date.now())], Date.now());
    const stream = await openActivityStream(services, { viewer: admin, filter: null, first: 10, transport: 'sse-distinct', group: ITEMS });
    const first = (await stream.next()).value as WireEvent;
    expect(first).toMatchObject({ type: 'Snapshot', cursor: { seq: 2 }, resume: 'FRESH' });
    await services.store.record([event('s2', 'u2', Date.now())], Date.now());
    expect(((await stream.next()).value as WireEvent).cursor).toEqual({ epoch: (first as WireEvent).cursor.epoch, seq: 3 });
    await stream.return?.();
    await waitUntil(() => services.openStreams.count === 0 && services.leases.heldCount === 0, 5_000, { what: 'the stream is released' });
  });

  it('cuts off a subscriber that stops reading once its buffer is full, and frees what it held', async () => {
    const stream = await openActivityStream(services, { viewer: admin, filter: null, first: 10, transport: 'sse-distinct', group: ITEMS });
    // Nobody reads: 30 changes (start + join per session) overflow the buffer of 10.
    for (let i = 0; i < 15; i++) await services.store.record([event(`s${i}`, `u${i}`, Date.now())], Date.now());
    await waitUntil(() => services.openStreams.count === 0, 5_000, { what: 'the slow stream is closed' });
    expect(services.leases.heldCount).toBe(0);
    expect(services.bus.listenerCount).toBe(0);
    expect(services.fanout.groupCount).toBe(0);
    // What it had queued is dropped; it learns why in one final item.
    const items = [];
    for await (const item of stream) items.push(item);
    expect(items).toEqual([expect.objectContaining({ type: 'Snapshot' }), { type: 'StreamFailure', error: expect.objectContaining({ extensions: expect.objectContaining({ code: 'SLOW_CONSUMER' }) }) }]);
    // Counted once, although every change after the overflow was refused too.
    expect(await slowConsumerDisconnects(services)).toBe(1);
  });

  it('does not count a subscriber that left as a slow consumer', async () => {
    const stream = await openActivityStream(services, { viewer: admin, filter: null, first: 10, transport: 'sse-distinct', group: ITEMS });
    await stream.next();
    await stream.return?.();
    // Changes published before the stream's `finally` removed its listener meet a closed, empty channel.
    for (let i = 0; i < 15; i++) await services.store.record([event(`s${i}`, `u${i}`, Date.now())], Date.now());
    await waitUntil(() => services.openStreams.count === 0, 5_000, { what: 'the stream is released' });
    expect(await slowConsumerDisconnects(services)).toBe(0);
  });

  it('refuses a third stream of one admin before it starts', async () => {
    const streams = [
      await openActivityStream(services, { viewer: admin, filter: null, first: 10, transport: 'sse-distinct', group: ITEMS }),
      await openActivityStream(services, { viewer: admin, filter: null, first: 10, transport: 'sse-distinct', group: ITEMS }),
    ];
    await expect(openActivityStream(services, { viewer: admin, filter: null, first: 10, transport: 'sse-distinct', group: ITEMS })).rejects.toMatchObject({
      extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' },
    });
    expect(services.openStreams.count).toBe(2);
    await Promise.all(streams.map((s) => s.return?.()));
    await waitUntil(() => services.leases.heldCount === 0, 5_000, { what: 'both leases are released' });
  });

  it('ends before its first event when the client aborts, releasing its lease', async () => {
    const abort = new AbortController();
    abort.abort();
    const stream = await openActivityStream(services, { viewer: admin, filter: null, first: 10, transport: 'sse-distinct', group: ITEMS, signal: abort.signal });
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    await waitUntil(() => services.openStreams.count === 0 && services.leases.heldCount === 0, 5_000, { what: 'nothing is held' });
  });
});
