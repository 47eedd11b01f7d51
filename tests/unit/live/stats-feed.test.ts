import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryFeed } from '../../../server/bus/memory.js';
import type { ActivityRecordInput, StatsRecord } from '../../../server/domain/activity.js';
import { createStatsFeed, STATS_RESYNC_MS, type StatsFeed } from '../../../server/live/stats-feed.js';
import type { ActivityStore } from '../../../server/store/types.js';
import { createMemoryStore } from '../../../server/store/memory.js';

const INTERVAL_MS = 1_000;

const visit = (sessionId: string, at: number): ActivityRecordInput => ({
  sessionId,
  userId: `user-${sessionId}`,
  userName: null,
  ipAddress: null,
  path: '/home',
  userAgent: null,
  at,
});

/**
 * The stats feed on the real memory store and change feed, with Vitest's
 * fake clock: `StatsChanged` leads as well as trails. A change after a
 * quiet interval sends its figures at once (a dashboard's counts never lag
 * its table); changes within the interval are coalesced into one send at
 * its end.
 */
describe('the stats feed', () => {
  let feed: StatsFeed;
  let sent: { at: number; stats: StatsRecord }[];
  let record: (sessionId: string) => Promise<void>;

  beforeEach(async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 11, 2, 12) });
    const { feed: changes, deliver } = createMemoryFeed();
    const store = createMemoryStore({ deliver });
    record = async (sessionId) => void (await store.record([visit(sessionId, Date.now())], Date.now()));
    feed = createStatsFeed({ store, bus: changes, clock: { now: () => Date.now() }, intervalMs: INTERVAL_MS, topPathsLimit: 5, onError: (error) => { throw error; } });
    sent = [];
    await feed.subscribe((stats) => void sent.push({ at: Date.now(), stats }));
  });
  afterEach(() => {
    feed.close();
    vi.useRealTimers();
  });

  it('sends the figures right after a change that follows a quiet interval, even just after a periodic tick', async () => {
    // Just after the third tick computed (and found nothing new): the worst moment for a trailing-only feed.
    await vi.advanceTimersByTimeAsync(3 * INTERVAL_MS + 10);
    expect(sent).toEqual([]);
    const changedAt = Date.now();
    await record('a');
    await vi.advanceTimersByTimeAsync(60);
    expect(sent.map((s) => s.stats.activeSessions)).toEqual([1]);
    expect((sent[0]?.at ?? Infinity) - changedAt).toBeLessThanOrEqual(60);
  });

  it('coalesces the changes that follow within the interval into one send at its end', async () => {
    await vi.advanceTimersByTimeAsync(3 * INTERVAL_MS + 10);
    await record('a');
    await vi.advanceTimersByTimeAsync(60);
    const leadAt = sent[0]?.at ?? 0;
    for (const id of ['b', 'c', 'd']) {
      await vi.advanceTimersByTimeAsync(100);
      await record(id);
    }
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(sent.map((s) => [s.at - leadAt, s.stats.activeSessions])).toEqual([
      [0, 1],
      [INTERVAL_MS, 4],
    ]);
    expect(leadAt).toBeGreaterThan(0);
  });

  it('never sends twice within one interval, whatever the rate of changes', async () => {
    await vi.advanceTimersByTimeAsync(3 * INTERVAL_MS);
    for (let i = 0; i < 50; i++) {
      await record(`s${i}`);
      await vi.advanceTimersByTimeAsync(73);
    }
    await vi.advanceTimersByTimeAsync(2 * INTERVAL_MS);
    expect(sent.length).toBeGreaterThan(2);
    sent.slice(1).forEach((send, i) => expect(send.at - (sent[i]?.at ?? 0)).toBeGreaterThanOrEqual(INTERVAL_MS));
    expect(sent.at(-1)?.stats.activeSessions).toBe(50);
  });
});

/**
 * Between changes the feed computes only while time can move a figure:
 * every interval while the last minute holds events (the decay is sent), at
 * minute boundaries while only the per-minute history does, and never once
 * both are empty. It reads the store only after a change, or once per
 * STATS_RESYNC_MS; otherwise it carries its figures forward. On Redis
 * Cluster each read is a script per partition, per process.
 */
describe('the stats feed between changes', () => {
  let feed: StatsFeed;
  let sent: StatsRecord[];
  let reads: number;
  let record: (sessionId: string) => Promise<void>;
  let store: ActivityStore;
  let deaf: boolean;

  beforeEach(async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 11, 2, 12, 0, 5) });
    const { feed: changes, deliver } = createMemoryFeed();
    // While `deaf`, a write's changes never reach the feed: a change lost in a Redis outage.
    store = createMemoryStore({ deliver: (changes) => (deaf ? undefined : deliver(changes)) });
    deaf = false;
    reads = 0;
    const counted = { ...store, stats: (now: number, limit: number) => ((reads += 1), store.stats(now, limit)) };
    record = async (sessionId) => void (await store.record([visit(sessionId, Date.now())], Date.now()));
    feed = createStatsFeed({ store: counted, bus: changes, clock: { now: () => Date.now() }, intervalMs: INTERVAL_MS, topPathsLimit: 5, onError: (error) => { throw error; } });
    sent = [];
    await feed.subscribe((stats) => void sent.push(stats));
  });
  afterEach(() => {
    feed.close();
    vi.useRealTimers();
  });

  it('reads nothing while no event was ever received, however long it waits', async () => {
    const baseline = reads;
    await vi.advanceTimersByTimeAsync(120 * INTERVAL_MS);
    expect(reads - baseline).toBe(0);
    expect(sent).toEqual([]);
  });

  it('keeps sending the decay of the last minute, then reads once a minute while only the history holds events', async () => {
    await record('a');
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(sent.at(-1)?.eventsLastMinute).toBe(1);
    // The event leaves the last minute: the decay is sent without any change.
    await vi.advanceTimersByTimeAsync(61 * INTERVAL_MS);
    expect(sent.at(-1)?.eventsLastMinute).toBe(0);
    // From here only the per-minute history moves: at most one read per minute boundary.
    const before = reads;
    await vi.advanceTimersByTimeAsync(5 * 60 * INTERVAL_MS);
    expect(reads - before).toBeGreaterThanOrEqual(4);
    expect(reads - before).toBeLessThanOrEqual(6);
  });

  it('sends the decay second by second as the store would, reading it only once per resync period', async () => {
    const recordedAt: number[] = [];
    for (const [id, gap] of [['a', 0], ['b', 7], ['c', 19], ['d', 0]] as const) {
      await vi.advanceTimersByTimeAsync(gap * INTERVAL_MS);
      recordedAt.push(Date.now());
      await record(id);
    }
    await vi.advanceTimersByTimeAsync(2 * INTERVAL_MS);
    expect(sent.at(-1)?.eventsLastMinute).toBe(4);
    const before = reads;
    const sentBefore = sent.length;
    await vi.advanceTimersByTimeAsync(75 * INTERVAL_MS);
    const later = sent.slice(sentBefore);
    // Every figure sent is what the store has at that moment, per-second counts included (a new
    // minute moved the per-minute history while the last minute still held all four events).
    for (const figures of later) expect(figures).toEqual(await store.stats(figures.at, 5));
    expect(later.map((s) => s.eventsLastMinute)).toEqual([4, 3, 2, 0]);
    // One event left the minute, then another, then the last two together: each decay sent once,
    // within an interval of the event's leaving.
    const decay = later.slice(1);
    for (const [i, figures] of decay.entries()) {
      const leftAt = (recordedAt[i] ?? 0) + 60_000;
      expect(figures.at).toBeGreaterThanOrEqual(leftAt);
      expect(figures.at - leftAt).toBeLessThanOrEqual(INTERVAL_MS);
    }
    // Seventy-five seconds of figures, the store read at most once per 30 s resync period (against 75 reads before).
    expect(reads - before).toBeLessThanOrEqual(3);
  });

  it('reads the store after a change, whatever it carried forward', async () => {
    await record('a');
    await vi.advanceTimersByTimeAsync(3 * INTERVAL_MS);
    const before = reads;
    await record('b');
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(reads - before).toBe(1);
    expect(sent.at(-1)).toMatchObject({ activeSessions: 2, eventsLastMinute: 2 });
  });

  it('reads again within STATS_RESYNC_MS, so a change the feed never heard is made good', async () => {
    await record('a');
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    deaf = true;
    await record('lost');
    deaf = false;
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(sent.at(-1)).toMatchObject({ activeSessions: 1 });
    await vi.advanceTimersByTimeAsync(STATS_RESYNC_MS);
    expect(sent.at(-1)).toMatchObject({ activeSessions: 2 });
  });
});
