import type { Logger } from 'pino';
import type { Viewer } from '../auth.js';
import type { PulseServices } from '../context.js';
import type { ActivityChange, ActivityFilter, StatsRecord } from '../domain/activity.js';
import type { StreamItem, SubscriptionEvent } from '../domain/events.js';
import { pulseError } from '../errors.js';
import type { Lease } from '../limits/types.js';
import { statsDiffer } from '../stats-feed.js';
import { changeMatches } from './activity-filter.js';
import { createBoundedChannel, type BoundedChannel } from './bounded-channel.js';
import { failureAsItem } from './failure-as-item.js';
import { withFirst } from './with-first.js';

/** The most `Stats.topPaths(limit)` may ask for; stats are computed this deep. */
export const TOP_PATHS_MAX = 50;

/** What one `activityChanged` subscription asks for. */
export interface ActivityStreamRequest {
  readonly viewer: Viewer;
  readonly filter: ActivityFilter | null;
  /** Users in the snapshot's first page. */
  readonly first: number;
  /** Ends the stream when the client goes away, even before the first event. */
  readonly signal?: AbortSignal;
  /** Where a failure of this stream is logged (the request's logger). @defaultValue services.logger */
  readonly logger?: Logger;
}

/**
 * Opens one subscriber's stream and resolves once its snapshot is ready, so
 * that a refusal (`TOO_MANY_SUBSCRIPTIONS`) or a failing backend rejects the
 * subscription itself instead of failing the stream later.
 *
 * Everything the stream holds (lease, bus listener, stats listener) is taken
 * inside one `try` in {@link runStream} and given back in its `finally`, which
 * runs as soon as the consumer calls `return()`, on any error, and on abort.
 * A failure after the first event becomes one final `StreamFailure` item.
 */
export async function openActivityStream(
  services: PulseServices,
  request: ActivityStreamRequest,
): Promise<AsyncIterableIterator<StreamItem>> {
  const channel = createBoundedChannel<SubscriptionEvent>(services.limits.subscriberBufferSize);
  // The channel fails only after `finally` has run, so a rejected subscription has already let go of everything.
  runStream(services, request, channel).then(
    () => channel.end(),
    (error: unknown) => channel.fail(error),
  );
  const first = await channel.next();
  const rest = failureAsItem(channel);
  return first.done ? rest : withFirst<StreamItem>(first.value, rest);
}

async function runStream(
  services: PulseServices,
  { viewer, filter, first, signal, logger = services.logger }: ActivityStreamRequest,
  channel: BoundedChannel<SubscriptionEvent>,
): Promise<void> {
  const { store, bus, leases, statsFeed, clock, limits, metrics } = services;
  const onAbort = (): void => void channel.return();
  let lease: Lease | null = null;
  let stopBus: (() => void) | undefined;
  let stopStats: (() => void) | undefined;
  services.openStreams.count++;
  try {
    signal?.addEventListener('abort', onAbort);
    if (signal?.aborted) return;
    lease = await leases.acquire(viewer.sub, limits.maxSubscriptionsPerAdmin);
    if (!lease) {
      throw pulseError(
        'TOO_MANY_SUBSCRIPTIONS',
        `At most ${limits.maxSubscriptionsPerAdmin} concurrent subscriptions per admin; close one before opening another.`,
        { limit: limits.maxSubscriptionsPerAdmin },
      );
    }
    const feed = new SubscriberFeed(channel, filter, limits.subscriberBufferSize, {
      onBug: (err) => logger.error({ err }, 'activity stream failed'),
      onCutOff: () => metrics.slowConsumerDisconnects.inc(),
    });
    stopBus = await bus.subscribe((change) => feed.onChange(change));
    const snapshot = await store.snapshot({ first, filter }, clock.now(), TOP_PATHS_MAX);
    feed.goLive({ type: 'Snapshot', at: clock.now(), ...snapshot });
    stopStats = await statsFeed.subscribe((stats) => feed.onStats(stats));
    await channel.closed;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    stopStats?.();
    stopBus?.();
    services.openStreams.count--;
    await lease?.release();
  }
}

/** What a {@link SubscriberFeed} reports besides its events. */
interface FeedObserver {
  /** A bug in delivery ended the stream. */
  onBug(error: unknown): void;
  /** The subscriber was cut off as a slow consumer (once per stream). */
  onCutOff(): void;
}

/**
 * One subscriber's ordering logic: changes that arrive while the snapshot
 * is read are held back, then only those newer than the snapshot's cursor
 * are delivered, so the seam has no gap and no duplicate.
 */
class SubscriberFeed {
  #held: ActivityChange[] | null = [];
  #cursor = 0;
  #stats: StatsRecord | null = null;
  #cutOff = false;

  constructor(
    private readonly channel: BoundedChannel<SubscriptionEvent>,
    private readonly filter: ActivityFilter | null,
    private readonly bound: number,
    private readonly observer: FeedObserver,
  ) {}

  onChange(change: ActivityChange): void {
    if (this.#held === null) return this.#guard(() => this.#deliver(change));
    if (this.#held.length >= this.bound) return this.#tooSlow();
    this.#held.push(change);
  }

  goLive(snapshot: SubscriptionEvent & { type: 'Snapshot' }): void {
    const held = this.#held ?? [];
    this.#held = null;
    this.#cursor = snapshot.cursor;
    this.#stats = snapshot.stats;
    this.#push(snapshot);
    this.#guard(() => held.forEach((change) => this.#deliver(change)));
  }

  onStats(stats: StatsRecord): void {
    if (this.#stats !== null && !statsDiffer(this.#stats, stats)) return;
    this.#stats = stats;
    this.#push({ type: 'StatsChanged', cursor: this.#cursor, at: stats.at, stats });
  }

  #deliver(change: ActivityChange): void {
    if (change.cursor <= this.#cursor) return;
    this.#cursor = change.cursor;
    if (changeMatches(change, this.filter)) this.#push(change);
  }

  /** A bug in delivery ends this stream (and frees what it holds), never the process. */
  #guard(deliver: () => void): void {
    try {
      deliver();
    } catch (error) {
      this.observer.onBug(error);
      this.channel.fail(error);
    }
  }

  /**
   * A refused push means a full queue or a closed channel (the client left,
   * or was already cut off); only a full queue is slowness.
   */
  #push(event: SubscriptionEvent): void {
    if (!this.channel.push(event) && this.channel.size >= this.bound) this.#tooSlow();
  }

  /** Changes keep arriving until the `finally` removes the listener, so this may run more than once. */
  #tooSlow(): void {
    if (this.#cutOff) return;
    this.#cutOff = true;
    this.observer.onCutOff();
    this.channel.fail(
      pulseError('SLOW_CONSUMER', `More than ${this.bound} events were waiting for this subscriber; reconnect to resume.`),
    );
  }
}
