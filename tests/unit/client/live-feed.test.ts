import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ActivityEvent, ConnectionStatus } from '../../../client/lib/index.js';
import { LiveFeed, type LiveFeedOptions } from '../../../client/lib/live/live-feed.js';
import { FakeConnector, FakePage, feedOptions } from './fake-connector.js';
import { must, oneOfEach, session } from './fixtures.js';

type Reconnecting = Extract<ConnectionStatus, { kind: 'reconnecting' }>;

describe('LiveFeed (fake connector, fake timers)', () => {
  let connector: FakeConnector;
  let statuses: ConnectionStatus[];
  let events: ActivityEvent[];
  let invalid: Array<{ problem: string; raw: unknown }>;
  const feeds: LiveFeed[] = [];

  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
    connector = new FakeConnector();
  });
  afterEach(() => {
    feeds.splice(0).forEach((feed) => feed.dispose());
    vi.useRealTimers();
  });

  const create = (options: Partial<LiveFeedOptions> = {}): LiveFeed => {
    const feed = new LiveFeed(feedOptions(connector, { onInvalidEvent: (problem, raw) => invalid.push({ problem, raw }), ...options }));
    feeds.push(feed);
    statuses = [];
    events = [];
    invalid = [];
    feed.onStatus((status) => statuses.push(status));
    feed.onEvent((event) => events.push(event));
    return feed;
  };
  const reconnects = (): Reconnecting[] => statuses.filter((s): s is Reconnecting => s.kind === 'reconnecting');
  /** Fails the current connection and runs its reconnect timer; returns the delay chosen. */
  const failAndWait = async (failure = {}): Promise<number> => {
    connector.last.fail(failure);
    const { delayMs } = must(reconnects().at(-1));
    await vi.advanceTimersByTimeAsync(delayMs);
    return delayMs;
  };

  describe('reconnecting', () => {
    it('waits a growing, capped delay between attempts, reconnecting exactly when it said', async () => {
      create().start();
      const delays: number[] = [];
      for (let i = 0; i < 8; i++) {
        const opened = connector.opened.length;
        connector.last.fail();
        const { delayMs, attempt, retryAt } = must(reconnects().at(-1));
        expect(attempt).toBe(i + 1);
        expect(retryAt).toBe(Date.now() + delayMs);
        await vi.advanceTimersByTimeAsync(delayMs - 1);
        expect(connector.opened).toHaveLength(opened);
        await vi.advanceTimersByTimeAsync(1);
        expect(connector.opened).toHaveLength(opened + 1);
        expect(statuses.at(-1)).toEqual({ kind: 'connecting', attempt: i + 1 });
        delays.push(delayMs);
      }
      // random() = 0.5 draws three quarters of each ceiling (1 s, 2 s, 4 s ... capped at 30 s).
      expect(delays).toEqual([750, 1_500, 3_000, 6_000, 12_000, 22_500, 22_500, 22_500]);
    });

    it('draws each delay within its jitter bounds, never shorter than the one before until capped', async () => {
      const draws = [0.99, 0, 0.5, 0.99, 0, 0.2, 0.7, 0.01, 0.99, 0];
      create({ random: () => draws.shift() ?? 0 }).start();
      const delays: number[] = [];
      for (let i = 0; i < 10; i++) delays.push(await failAndWait());
      delays.forEach((delay, i) => {
        const ceiling = Math.min(30_000, 1_000 * 2 ** i);
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
        if (i > 0 && ceiling < 30_000) expect(delay).toBeGreaterThanOrEqual(must(delays[i - 1]));
      });
    });

    it('resets the delay once a connection delivers its snapshot, and only then', async () => {
      create().start();
      expect(await failAndWait()).toBe(750);
      expect(await failAndWait()).toBe(1_500);
      connector.last.bytes(); // bytes alone are not a success
      expect(await failAndWait()).toBe(3_000);
      connector.last.snapshot();
      expect(statuses.at(-1)).toEqual({ kind: 'connected' });
      expect(await failAndWait()).toBe(750);
      expect(statuses.filter((s) => s.kind === 'connecting').at(-1)).toEqual({ kind: 'connecting', attempt: 1 });
    });

    it('keeps one reconnect pending however many errors arrive', async () => {
      create({ watchdogMs: 5_000 }).start();
      const first = connector.last;
      first.snapshot();
      first.fail();
      first.fail({ status: 503 });
      first.handlers.onResult({ errors: [{ message: 'down', extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
      await vi.advanceTimersByTimeAsync(600); // past the watchdog's reach, before the reconnect (750)
      expect(reconnects()).toHaveLength(1);
      expect(vi.getTimerCount()).toBe(1);
      await vi.advanceTimersByTimeAsync(150);
      expect(connector.opened).toHaveLength(2);
      first.fail(); // a late error from the old connection changes nothing
      expect(reconnects()).toHaveLength(1);
      expect(connector.unclosed).toEqual([connector.last]);
    });

    it('closes the failed connection before scheduling the next', () => {
      create().start();
      const first = connector.last;
      first.fail();
      expect(first.closed).toBe(true);
      expect(statuses.at(-1)).toMatchObject({ kind: 'reconnecting', reason: 'connection reset' });
    });

    it.each([
      { failure: { status: 401, message: 'HTTP 401' }, code: 'UNAUTHENTICATED' },
      { failure: { status: 403, message: 'HTTP 403' }, code: 'FORBIDDEN' },
      { failure: { code: 'UNAUTHENTICATED', status: 401, message: 'The token could not be verified.' }, code: 'UNAUTHENTICATED' },
      { failure: { code: 'FORBIDDEN', message: 'A subscription needs the admin role.' }, code: 'FORBIDDEN' },
      { failure: { code: 'TOO_MANY_SUBSCRIPTIONS', status: 429, message: 'At most 2' }, code: 'TOO_MANY_SUBSCRIPTIONS' },
      { failure: { status: 429, message: 'HTTP 429' }, code: 'TOO_MANY_SUBSCRIPTIONS' },
    ])('does not retry $failure.status $failure.code: failed $code', async ({ failure, code }) => {
      create().start();
      connector.last.fail(failure);
      expect(statuses.at(-1)).toEqual({ kind: 'failed', code, message: failure.message });
      expect(vi.getTimerCount()).toBe(0);
      await vi.advanceTimersByTimeAsync(10 * 60_000);
      expect(connector.opened).toHaveLength(1);
      expect(connector.last.closed).toBe(true);
    });

    it('does not retry a refusal that arrives as a GraphQL error result (single connection mode)', () => {
      create().start();
      connector.last.handlers.onResult({ data: null, errors: [{ message: 'At most 2', extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } }] });
      expect(statuses.at(-1)).toEqual({ kind: 'failed', code: 'TOO_MANY_SUBSCRIPTIONS', message: 'At most 2' });
      expect(vi.getTimerCount()).toBe(0);
    });

    it.each([{ status: 503, code: 'SERVICE_UNAVAILABLE' }, { status: 503, code: 'SLOW_CONSUMER' }, { status: 503 }, { status: 502 }, { code: 'INTERNAL' }, {}])(
      'retries %o',
      (failure) => {
        create().start();
        connector.last.fail(failure);
        expect(statuses.at(-1)?.kind).toBe('reconnecting');
      },
    );

    it('tries again on start() after failing', () => {
      const feed = create();
      feed.start();
      connector.last.fail({ status: 401 });
      feed.start();
      expect(connector.opened).toHaveLength(2);
      expect(statuses.at(-1)).toEqual({ kind: 'connecting', attempt: 0 });
    });
  });

  describe('the watchdog', () => {
    it('reconnects after the configured silence', async () => {
      create().start();
      connector.last.snapshot();
      await vi.advanceTimersByTimeAsync(29_999);
      expect(statuses.at(-1)).toEqual({ kind: 'connected' });
      await vi.advanceTimersByTimeAsync(1);
      expect(statuses.at(-1)).toMatchObject({ kind: 'reconnecting', attempt: 1, reason: 'no data for 30000 ms' });
      expect(must(connector.opened[0]).closed).toBe(true);
    });

    it('does not fire while bytes keep arriving, however long', async () => {
      create().start();
      connector.last.snapshot();
      for (let i = 0; i < 50; i++) {
        await vi.advanceTimersByTimeAsync(12_000);
        connector.last.bytes();
      }
      expect(statuses.map((s) => s.kind)).toEqual(['connecting', 'connected']);
      expect(connector.opened).toHaveLength(1);
    });

    it('also catches an attempt that never answers', async () => {
      create({ watchdogMs: 10_000 }).start();
      await vi.advanceTimersByTimeAsync(10_000);
      expect(statuses.at(-1)).toMatchObject({ kind: 'reconnecting', reason: 'no data for 10000 ms' });
    });

    it('can be turned off', async () => {
      create({ watchdogMs: 0 }).start();
      connector.last.snapshot();
      await vi.advanceTimersByTimeAsync(60 * 60_000);
      expect(statuses.at(-1)).toEqual({ kind: 'connected' });
    });
  });

  describe('events', () => {
    it('delivers valid events of every type, snapshot first', () => {
      create().start();
      for (const event of oneOfEach()) connector.last.event(event);
      expect(events).toEqual(oneOfEach());
      expect(invalid).toEqual([]);
    });

    it('drops and reports malformed events, and goes on with the next', () => {
      create().start();
      connector.last.snapshot();
      const broken = { __typename: 'SessionStarted', cursor: '11', at: '2026-11-27T08:00:00Z', session: { ...session(), lastSeen: 42 } };
      connector.last.event(broken);
      connector.last.event({ __typename: 'Mystery', cursor: '12', at: '2026-11-27T08:00:00Z' });
      connector.last.handlers.onResult('not a result');
      connector.last.event({ __typename: 'SessionStarted', cursor: '13', at: '2026-11-27T08:00:00Z', session: session() });
      expect(events.map((e) => e.cursor)).toEqual(['10', '13']);
      expect(invalid.map((i) => i.problem)).toEqual([
        'SessionStarted.session.lastSeen: expected an ISO-8601 DateTime, got number 42',
        'event: unexpected __typename "Mystery"',
        'event: expected an object, got the string "not a result"',
      ]);
      expect(must(invalid[0]).raw).toBe(broken);
      expect(statuses.at(-1)).toEqual({ kind: 'connected' });
    });

    it('drops a change that arrives before the snapshot, which would otherwise hide a gap', () => {
      create().start();
      connector.last.event(oneOfEach()[1]);
      expect(events).toEqual([]);
      expect(invalid.map((i) => i.problem)).toEqual(['SessionStarted arrived before the snapshot']);
    });

    it('sends a fresh snapshot first after every reconnect', async () => {
      create().start();
      connector.last.snapshot();
      connector.last.event(oneOfEach()[1]);
      await failAndWait();
      connector.last.snapshot();
      expect(events.map((e) => e.__typename)).toEqual(['Snapshot', 'SessionStarted', 'Snapshot']);
    });

    it('keeps going when a listener throws', async () => {
      const feed = create();
      const thrown: unknown[] = [];
      const onError = (error: unknown): void => void thrown.push(error);
      process.on('uncaughtException', onError);
      try {
        feed.onEvent(() => {
          throw new Error('view bug');
        });
        feed.start();
        connector.last.snapshot();
        await Promise.resolve();
      } finally {
        process.off('uncaughtException', onError);
      }
      expect(thrown).toEqual([new Error('view bug')]);
      expect(events).toHaveLength(1);
      expect(statuses.at(-1)).toEqual({ kind: 'connected' });
    });
  });

  describe('start and stop', () => {
    it('start() is idempotent, and reconnects when the options change', () => {
      const feed = create();
      feed.start({ filter: { userId: 'a' }, first: 5 });
      feed.start({ filter: { userId: 'a' }, first: 5 });
      expect(connector.opened).toHaveLength(1);
      feed.start({ filter: { userId: 'b' }, first: 5 });
      expect(connector.opened).toHaveLength(2);
      expect(must(connector.opened[0]).closed).toBe(true);
      expect(connector.last.request).toEqual({ filter: { userId: 'b' }, first: 5, since: null });
    });

    it('start() during a pending reconnect keeps its backoff', () => {
      const feed = create();
      feed.start();
      connector.last.fail();
      feed.start();
      expect(connector.opened).toHaveLength(1);
      expect(vi.getTimerCount()).toBe(1);
    });

    it('stop() closes the stream, cancels a pending reconnect and says stopped', async () => {
      const feed = create();
      feed.start();
      connector.last.fail();
      feed.stop();
      expect(feed.status).toEqual({ kind: 'stopped' });
      expect(vi.getTimerCount()).toBe(0);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(connector.opened).toHaveLength(1);
    });
  });

  describe('the page lifecycle', () => {
    it('pauses while the page is hidden and resumes, with a fresh connection, when it is shown', () => {
      const page = new FakePage();
      const feed = create({ lifecycle: page });
      feed.start();
      connector.last.snapshot();
      page.hide();
      expect(feed.status).toEqual({ kind: 'paused' });
      expect(connector.unclosed).toEqual([]);
      page.show();
      expect(statuses.map((s) => s.kind)).toEqual(['connecting', 'connected', 'paused', 'connecting']);
      expect(connector.unclosed).toHaveLength(1);
    });

    it('pauses on pagehide and cancels a pending reconnect meanwhile', () => {
      const page = new FakePage();
      const feed = create({ lifecycle: page });
      feed.start();
      connector.last.fail();
      page.visibilityState = 'hidden';
      page.fire('pagehide');
      expect(feed.status).toEqual({ kind: 'paused' });
      expect(vi.getTimerCount()).toBe(0);
    });

    it('starts paused on a hidden page, and connects once it is shown', () => {
      const page = new FakePage();
      page.visibilityState = 'hidden';
      create({ lifecycle: page }).start();
      expect(connector.opened).toEqual([]);
      expect(statuses).toEqual([{ kind: 'paused' }]);
      page.show();
      expect(connector.opened).toHaveLength(1);
    });

    it('closes the stream on beforeunload, and resumes if the page stays after all', async () => {
      const page = new FakePage();
      const feed = create({ lifecycle: page });
      feed.start();
      page.fire('beforeunload');
      expect(feed.status).toEqual({ kind: 'paused' });
      expect(connector.unclosed).toEqual([]);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(feed.status.kind).toBe('connecting');
    });

    it('does not resume a stopped feed', () => {
      const page = new FakePage();
      const feed = create({ lifecycle: page });
      feed.start();
      feed.stop();
      page.hide();
      page.show();
      expect(feed.status).toEqual({ kind: 'stopped' });
      expect(connector.opened).toHaveLength(1);
    });

    it('adds its listeners once per page however many feeds are created and started, and removes them with the last', () => {
      const page = new FakePage();
      const [first, second, third] = [create({ lifecycle: page }), create({ lifecycle: page }), create({ lifecycle: page })];
      const many = [first, second, third];
      expect(page.listenerCounts()).toEqual({}); // nothing until started
      for (const feed of many) {
        feed.start();
        feed.start();
        feed.start({ first: 3 });
      }
      const once = { visibilitychange: 1, pagehide: 1, pageshow: 1, beforeunload: 1 };
      expect(page.listenerCounts()).toEqual(once);
      page.hide();
      expect(many.map((feed) => feed.status.kind)).toEqual(['paused', 'paused', 'paused']);
      page.show();
      first.stop();
      second.dispose();
      expect(page.listenerCounts()).toEqual(once);
      third.dispose();
      expect(page.listenerCounts()).toEqual({});
      first.start();
      expect(page.listenerCounts()).toEqual(once);
      first.dispose();
      expect(page.listenerCounts()).toEqual({});
    });

    it('removes its listeners when it fails for good', () => {
      const page = new FakePage();
      create({ lifecycle: page }).start();
      connector.last.fail({ status: 401 });
      expect(page.listenerCounts()).toEqual({});
    });
  });
});
