import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ActivityEvent } from '../../../client/lib/index.js';
import { LiveFeed } from '../../../client/lib/live/live-feed.js';
import { FakeConnector, feedOptions } from './fake-connector.js';
import { session, stats } from './fixtures.js';

const AT = '2026-11-27T08:00:00.000Z';

describe('LiveFeed resuming (fake connector, fake timers)', () => {
  let connector: FakeConnector;
  let feed: LiveFeed;
  let events: ActivityEvent[];
  let invalid: string[];

  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
    connector = new FakeConnector();
    feed = new LiveFeed(feedOptions(connector, { watchdogMs: 0, onInvalidEvent: (problem) => invalid.push(problem) }));
    events = [];
    invalid = [];
    feed.onEvent((event) => events.push(event));
  });
  afterEach(() => {
    feed.dispose();
    vi.useRealTimers();
  });

  const reconnect = async (): Promise<void> => {
    connector.last.fail();
    await vi.advanceTimersByTimeAsync(30_000);
  };

  it('asks for no cursor on start(), then for the last one delivered on every reconnect', async () => {
    feed.start({ first: 5 });
    expect(connector.last.request.since).toBeNull();
    connector.last.snapshot();
    connector.last.event({ __typename: 'SessionStarted', cursor: 'e:11', at: AT, session: session() });
    await reconnect();
    expect(connector.last.request).toEqual({ filter: null, first: 5, since: 'e:11' });

    // The attempt failed before anything arrived: the next one asks for the same cursor.
    await reconnect();
    expect(connector.last.request.since).toBe('e:11');
    connector.last.event({ __typename: 'Resumed', cursor: 'e:11', at: AT, stats: stats() });
    connector.last.event({ __typename: 'StatsChanged', cursor: 'e:12', at: AT, stats: stats() });
    await reconnect();
    expect(connector.last.request.since).toBe('e:12');
    // The Resumed reset the backoff: this is the first attempt after one failure.
    expect(feed.status).toEqual({ kind: 'connecting', attempt: 1 });
    expect(invalid).toEqual([]);
  });

  it('counts Resumed as the start of a resumed connection, and passes it on', async () => {
    feed.start();
    connector.last.snapshot();
    await reconnect();
    connector.last.event({ __typename: 'Resumed', cursor: '10', at: AT, stats: stats() });
    expect(feed.status).toEqual({ kind: 'connected' });
    expect(events.map((e) => e.__typename)).toEqual(['Snapshot', 'Resumed']);
  });

  it('refuses Resumed on a connection that did not ask to resume', () => {
    feed.start();
    connector.last.event({ __typename: 'Resumed', cursor: '10', at: AT, stats: stats() });
    expect(invalid).toEqual(['Resumed arrived before the snapshot']);
    expect(events).toEqual([]);
  });

  it('starts afresh on start() with other options, and after stop()', async () => {
    feed.start();
    connector.last.snapshot();
    feed.start({ first: 3 });
    expect(connector.last.request.since).toBeNull();
    connector.last.snapshot();
    feed.stop();
    feed.start({ first: 3 });
    expect(connector.last.request.since).toBeNull();
  });

  it('retries TOO_MANY_SUBSCRIPTIONS a few times while resuming (its own stale lease), and reports it on a fresh start', async () => {
    const tooMany = { data: null, errors: [{ message: 'At most 2', extensions: { code: 'TOO_MANY_SUBSCRIPTIONS' } }] };
    feed.start();
    connector.last.snapshot();
    connector.last.event({ __typename: 'SessionStarted', cursor: 'e:3', at: AT, session: session() });
    await reconnect();
    for (let attempt = 1; attempt <= 5; attempt++) {
      connector.last.handlers.onResult(tooMany);
      expect(feed.status.kind).toBe('reconnecting');
      await vi.advanceTimersByTimeAsync(30_000);
    }
    connector.last.handlers.onResult(tooMany);
    expect(feed.status).toEqual({ kind: 'failed', code: 'TOO_MANY_SUBSCRIPTIONS', message: 'At most 2' });

    feed.start({ first: 7 });
    connector.last.handlers.onResult(tooMany);
    expect(feed.status).toMatchObject({ kind: 'failed', code: 'TOO_MANY_SUBSCRIPTIONS' });
  });
});
