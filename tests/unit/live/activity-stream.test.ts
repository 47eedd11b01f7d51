import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryFeed } from '../../../server/bus/memory.js';
import type { PulseServices } from '../../../server/resolvers/context.js';
import type { ActivityRecordInput } from '../../../server/domain/activity.js';
import type { StreamItem } from '../../../server/domain/events.js';
import type { GroupSpec } from '../../../server/live/fanout/fanout-hub.js';
import { IteratedSink, type SerializedResult } from '../../../server/live/fanout/iterated-sink.js';
import { FanoutHub } from '../../../server/live/fanout/fanout-hub.js';
import { createMemoryLeases } from '../../../server/leases/memory.js';
import { createPulseMetrics } from '../../../server/observability/metrics.js';
import { createStatsFeed } from '../../../server/live/stats-feed.js';
import { createMemoryStore } from '../../../server/store/memory.js';
import { openActivityStream, type ActivityStreamRequest } from '../../../server/live/activity-stream.js';
import { OpenStreams } from '../../../server/live/open-streams.js';
import { SharedSnapshots } from '../../../server/live/shared-snapshots.js';
import { createAddressMasker } from '../../../server/privacy/address-masking.js';
import { createMemorySaltStore } from '../../../server/privacy/salts/memory.js';
import { waitUntil } from '../../support/wait.js';

const admin = { sub: 'alice', roles: new Set(['admin'] as const) };
/** Events "executed" as their own JSON, a failure as its error code: enough to see what reached the sink, in order. */
const GROUP: GroupSpec = {
  key: 'all',
  filter: null,
  execute: (item: StreamItem) => JSON.stringify(item.type === 'StreamFailure' ? { failure: (item.error as { extensions?: { code?: string } }).extensions?.code } : item),
};

/** Opens a stream whose results come out of an iterated sink (the in-process path), with a subscriber queue of 10. */
async function open(services: PulseServices, extra: Partial<ActivityStreamRequest> = {}): Promise<AsyncIterableIterator<Record<string, unknown>>> {
  const sink = new IteratedSink(services.limits.subscriberBufferSize, services.limits.subscriberBufferBytes);
  const ended = await openActivityStream(services, { viewer: admin, filter: null, first: 10, transport: 'sse-distinct', group: GROUP, sink, ...extra });
  // A held stream's own iterator ends at once: its results come out of the sink.
  expect(await ended.next()).toEqual({ value: undefined, done: true });
  return parsed(sink.results());
}

function parsed(results: AsyncIterableIterator<SerializedResult>): AsyncIterableIterator<Record<string, unknown>> {
  const iterator: AsyncIterableIterator<Record<string, unknown>> = {
    next: async () => {
      const step = await results.next();
      return step.done ? step : { value: JSON.parse(step.value.stringify()) as Record<string, unknown>, done: false };
    },
    return: async () => {
      await results.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

function event(sessionId: string, userId: string, at: number): ActivityRecordInput {
  return { sessionId, userId, userName: null, ipAddress: null, path: '/', userAgent: null, at };
}

async function slowConsumerDisconnects(services: PulseServices): Promise<number | undefined> {
  return (await services.metrics.slowConsumerDisconnects.get()).values[0]?.value;
}

describe('openActivityStream (in process, memory engines)', () => {
  let services: PulseServices;

  beforeEach(() => {
    const { feed: bus, deliver } = createMemoryFeed();
    const store = createMemoryStore({ deliver });
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
      privacy: { addresses: createAddressMasker({ mode: 'full', salts: createMemorySaltStore(clock), clock }), historyMaxAgeMs: 600_000 },
    };
  });
  afterEach(() => services.statsFeed.close());

  it('starts with a snapshot whose cursor is the newest change, then sends only newer changes', async () => {
    await services.store.record([event('s1', 'u1', Date.now())], Date.now());
    const stream = await open(services);
    const first = (await stream.next()).value as { cursor: { epoch: string } };
    expect(first).toMatchObject({ type: 'Snapshot', cursor: { seqs: [2] }, resume: 'FRESH' });
    await services.store.record([event('s2', 'u2', Date.now())], Date.now());
    expect(((await stream.next()).value as { cursor: unknown }).cursor).toEqual({ epoch: first.cursor.epoch, seqs: [3] });
    await stream.return?.();
    await waitUntil(() => services.openStreams.count === 0 && services.leases.heldCount === 0, 5_000, { what: 'the stream is released' });
  });

  it('cuts off a subscriber that stops reading once its buffer is full, and frees what it held', async () => {
    const stream = await open(services);
    // Nobody reads: 30 changes (start + join per session) overflow the buffer of 10.
    for (let i = 0; i < 15; i++) await services.store.record([event(`s${i}`, `u${i}`, Date.now())], Date.now());
    await waitUntil(() => services.openStreams.count === 0, 5_000, { what: 'the slow stream is closed' });
    expect(services.leases.heldCount).toBe(0);
    expect(services.bus.listenerCount).toBe(0);
    expect(services.fanout.groupCount).toBe(0);
    // What it had queued (its snapshot included) is dropped; it learns why in one final result.
    const items = [];
    for await (const item of stream) items.push(item);
    expect(items).toEqual([{ failure: 'SLOW_CONSUMER' }]);
    // Counted once, although every change after the overflow was refused too.
    expect(await slowConsumerDisconnects(services)).toBe(1);
  });

  it('does not count a subscriber that left as a slow consumer', async () => {
    const stream = await open(services);
    await stream.next();
    await stream.return?.();
    // Changes published before the stream's `finally` removed its listener meet a closed, empty channel.
    for (let i = 0; i < 15; i++) await services.store.record([event(`s${i}`, `u${i}`, Date.now())], Date.now());
    await waitUntil(() => services.openStreams.count === 0, 5_000, { what: 'the stream is released' });
    expect(await slowConsumerDisconnects(services)).toBe(0);
  });

  it('refuses a third stream of one admin before it starts', async () => {
    const streams = [
      await open(services),
      await open(services),
    ];
    await expect(open(services)).rejects.toMatchObject({
      extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' },
    });
    expect(services.openStreams.count).toBe(2);
    await Promise.all(streams.map((s) => s.return?.()));
    await waitUntil(() => services.leases.heldCount === 0, 5_000, { what: 'both leases are released' });
  });

  // Resumers share the group of fresh subscribers (see group-key.ts): here every stream is in one group whatever its `since`.
  it('lets resumers join a busy group: each gets Resumed, then every change after its own cursor once, while changes keep flowing', async () => {
    services = { ...services, limits: { ...services.limits, maxSubscriptionsPerAdmin: 20, subscriberBufferSize: 200 } };
    for (let i = 0; i < 10; i++) await services.store.record([event(`s${i}`, `u${i}`, Date.now())], Date.now());
    const fresh = await open(services);
    const { cursor: position } = (await fresh.next()).value as { cursor: { epoch: string; seqs: number[] } };
    // The memory store has one partition: a position is one number.
    const cursor = { epoch: position.epoch, seq: position.seqs[0] as number };
    const RECORDS = 60;
    const opening: Array<{ since: number; stream: Promise<AsyncIterableIterator<Record<string, unknown>>> }> = [];
    for (let i = 0; i < RECORDS; i++) {
      // Not awaited: each resumer's replay read and its joining race the records that follow.
      if (i % 6 === 0) {
        const since = cursor.seq - 5 + i;
        opening.push({ since, stream: open(services, { since: { epoch: cursor.epoch, seqs: [since] } }) });
      }
      await services.store.record([event(`t${i % 4}`, `v${i % 4}`, Date.now())], Date.now());
    }
    const last = await services.store.replay({ epoch: cursor.epoch, since: [cursor.seq], limit: 1_000 }, Date.now());
    if (!last.recovered) throw new Error('the history lost what the test needs');
    const lastSeq = last.changes.at(-1)?.cursor ?? cursor.seq;
    expect(services.fanout.groupCount).toBe(1);

    const cursorsUntilLast = async (stream: AsyncIterableIterator<Record<string, unknown>>): Promise<number[]> => {
      const seen: number[] = [];
      while (seen.at(-1) !== lastSeq) {
        const item = (await stream.next()).value as { type: string; cursor: { seqs: number[] } };
        if (item.type !== 'StatsChanged') seen.push(item.cursor.seqs[0] as number);
      }
      return seen;
    };
    const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, k) => from + k);
    for (const { since, stream } of opening) {
      const resumed = await stream;
      expect((await resumed.next()).value, `the resumer from ${since}`).toMatchObject({ type: 'Resumed', cursor: { seqs: [since] } });
      // The filter lets every change through, so "no gap, no repeat" is "every next number".
      expect(await cursorsUntilLast(resumed), `the resumer from ${since}`).toEqual(range(since + 1, lastSeq));
      await resumed.return?.();
    }
    expect(await cursorsUntilLast(fresh)).toEqual(range(cursor.seq + 1, lastSeq));
    await fresh.return?.();
    await waitUntil(() => services.openStreams.count === 0 && services.fanout.groupCount === 0, 5_000, { what: 'every stream is released' });
  });

  it('ends before its first event when the client aborts, releasing its lease', async () => {
    const abort = new AbortController();
    abort.abort();
    const stream = await open(services, { signal: abort.signal });
    expect(await stream.next()).toEqual({ value: undefined, done: true });
    await waitUntil(() => services.openStreams.count === 0 && services.leases.heldCount === 0, 5_000, { what: 'nothing is held' });
  });
});
