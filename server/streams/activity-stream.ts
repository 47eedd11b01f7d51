import type { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { Viewer } from '../auth.js';
import type { PulseServices } from '../context.js';
import type { ActivityChange, ActivityFilter, StatsRecord } from '../domain/activity.js';
import type { CursorPosition } from '../domain/cursor.js';
import { toWire, type ResumedEvent, type SnapshotEvent, type StreamItem, type SubscriptionEvent, type WireEvent } from '../domain/events.js';
import { pulseError } from '../errors.js';
import type { Lease } from '../limits/types.js';
import { statsDiffer } from '../stats-feed.js';
import type { ReplayResult } from '../store/types.js';
import { changeMatches } from './activity-filter.js';
import { createBoundedChannel, type BoundedChannel } from './bounded-channel.js';
import { estimateBytes } from './event-weight.js';
import { failureAsItem } from './failure-as-item.js';
import type { DropConnection, DropReason } from './open-streams.js';
import { withFirst } from './with-first.js';

/** The most `Stats.topPaths(limit)` may ask for; stats are computed this deep. */
export const TOP_PATHS_MAX = 50;

/** What one `activityChanged` subscription asks for. */
export interface ActivityStreamRequest {
  readonly viewer: Viewer;
  readonly filter: ActivityFilter | null;
  /** Users in the snapshot's first page. */
  readonly first: number;
  /** Resume after this cursor instead of starting from a snapshot (when the history still holds what follows it). @defaultValue null */
  readonly since?: CursorPosition | null;
  /** Ends the stream when the client goes away, even before the first event. */
  readonly signal?: AbortSignal;
  /** Where a failure of this stream is logged (the request's logger). @defaultValue services.logger */
  readonly logger?: Logger;
  /**
   * The transport's way to drop this subscriber's connection (see
   * {@link DropConnection}). @defaultValue none: a dropped stream ends with a final error instead
   */
  readonly dropConnection?: DropConnection;
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
 * A stream that must end while its client should come back (too slow,
 * Redis lost, shutdown) drops its connection instead, see {@link dropStream}.
 */
export async function openActivityStream(
  services: PulseServices,
  request: ActivityStreamRequest,
): Promise<AsyncIterableIterator<StreamItem>> {
  const { subscriberBufferSize, subscriberBufferBytes } = services.limits;
  const channel = createBoundedChannel<WireEvent>(subscriberBufferSize, subscriberBufferBytes);
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
  request: ActivityStreamRequest,
  channel: BoundedChannel<WireEvent>,
): Promise<void> {
  const { viewer, filter, signal, logger = services.logger } = request;
  const { bus, leases, statsFeed, limits, metrics } = services;
  const onAbort = (): void => void channel.return();
  let lease: Lease | null = null;
  let stopBus: (() => void) | undefined;
  let stopStats: (() => void) | undefined;
  const unregister = services.openStreams.add((reason) => dropStream(channel, request, reason));
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
    const feed = new SubscriberFeed(channel, filter, limits, {
      onBug: (err) => logger.error({ err }, 'activity stream failed'),
      onTooSlow: () => {
        metrics.slowConsumerDisconnects.inc();
        dropStream(channel, request, 'slow_consumer');
      },
    });
    stopBus = await bus.subscribe((change) => feed.onChange(change));
    await startFeed(services, request, feed);
    stopStats = await statsFeed.subscribe((stats) => feed.onStats(stats));
    await channel.closed;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    stopStats?.();
    stopBus?.();
    unregister();
    await lease?.release();
  }
}

const DROP_ERRORS: Record<DropReason, () => GraphQLError> = {
  slow_consumer: () => pulseError('SLOW_CONSUMER', 'This subscriber did not read fast enough and was disconnected; reconnect to resume.'),
  shutdown: () => pulseError('SERVICE_UNAVAILABLE', 'This Pulse process is shutting down; reconnect to resume.'),
  backend_lost: () => pulseError('SERVICE_UNAVAILABLE', 'The connection to Redis was lost; reconnect to resume.'),
};

/**
 * Ends a stream whose client should reconnect and resume: drops the
 * connection first (no `complete`, which clients take as final), then fails
 * the channel, which frees its queue at once and runs the `finally`. The
 * final error only reaches a client whose transport had nothing to drop.
 */
function dropStream(channel: BoundedChannel<WireEvent>, { dropConnection }: ActivityStreamRequest, reason: DropReason): void {
  if (!channel.open) return;
  dropConnection?.(reason);
  channel.fail(DROP_ERRORS[reason]());
}

/**
 * Most changes one resume replays: half the subscriber's queue, so that live
 * changes arriving while it catches up still fit. Further behind than that,
 * a snapshot is the cheaper way back.
 */
export function replayLimit(subscriberBufferSize: number): number {
  return Math.floor(subscriberBufferSize / 2);
}

/**
 * Sends the stream's first event, once its bus listener holds changes back:
 * `Resumed` and the replayed changes when `since` can be resumed from, else
 * a `Snapshot` that says why not.
 */
async function startFeed(services: PulseServices, { since, first, filter }: ActivityStreamRequest, feed: SubscriberFeed): Promise<void> {
  const { store, clock, limits } = services;
  const limit = replayLimit(limits.subscriberBufferSize);
  const replay = since ? fitting(await store.replay({ epoch: since.epoch, sinceSeq: since.seq, limit }, clock.now()), limits.subscriberBufferBytes) : null;
  if (since && replay?.recovered) {
    const stats = await store.stats(clock.now(), TOP_PATHS_MAX);
    return feed.resume({ type: 'Resumed', cursor: since.seq, at: clock.now(), stats }, since.epoch, replay);
  }
  const { epoch, ...snapshot } = await store.snapshot({ first, filter }, clock.now(), TOP_PATHS_MAX);
  feed.goLive({ type: 'Snapshot', at: clock.now(), ...snapshot, resume: replay?.recovered === false ? replay.reason : 'FRESH' }, epoch);
}

/**
 * A replay that would fill more than half the subscriber's byte bound counts
 * as too old: pushed at once it would cut the subscriber off as slow, and
 * its reconnect would do the same again.
 */
function fitting(replay: ReplayResult, bufferBytes: number): ReplayResult {
  if (!replay.recovered) return replay;
  const bytes = replay.changes.reduce((sum, change) => sum + estimateBytes(change), 0);
  return bytes > bufferBytes / 2 ? { recovered: false, reason: 'CURSOR_TOO_OLD' } : replay;
}

/** What a {@link SubscriberFeed} reports besides its events. */
interface FeedObserver {
  /** A bug in delivery ended the stream. */
  onBug(error: unknown): void;
  /** The subscriber's queue overflowed (reported once per stream). */
  onTooSlow(): void;
}

/** The bounds of one subscriber's queue (and of the changes held back while its first event is read). */
type FeedBounds = Pick<PulseServices['limits'], 'subscriberBufferSize' | 'subscriberBufferBytes'>;

/**
 * One subscriber's ordering logic: changes that arrive while the snapshot
 * (or the replay) is read are held back, then only those newer than the
 * last cursor sent are delivered, so the seam has no gap and no duplicate.
 * A resume is the same seam twice: replayed changes after `since`, then
 * held ones after the last replayed.
 */
class SubscriberFeed {
  #held: ActivityChange[] | null = [];
  #heldBytes = 0;
  #cursor = 0;
  /** The epoch of the log this stream's cursors count in; known from the first event on. */
  #epoch = '';
  #stats: StatsRecord | null = null;
  #cutOff = false;

  constructor(
    private readonly channel: BoundedChannel<WireEvent>,
    private readonly filter: ActivityFilter | null,
    private readonly bounds: FeedBounds,
    private readonly observer: FeedObserver,
  ) {}

  onChange(change: ActivityChange): void {
    if (this.#held === null) return this.#guard(() => this.#deliver(change));
    this.#heldBytes += estimateBytes(change);
    if (this.#held.length >= this.bounds.subscriberBufferSize || this.#heldBytes > this.bounds.subscriberBufferBytes) return this.#tooSlow();
    this.#held.push(change);
  }

  goLive(snapshot: SnapshotEvent, epoch: string): void {
    this.#start(snapshot, epoch, []);
  }

  resume(resumed: ResumedEvent, epoch: string, { changes }: ReplayResult & { recovered: true }): void {
    this.#start(resumed, epoch, changes);
  }

  #start(first: SnapshotEvent | ResumedEvent, epoch: string, replayed: readonly ActivityChange[]): void {
    const held = this.#held ?? [];
    this.#held = null;
    this.#epoch = epoch;
    this.#cursor = first.cursor;
    this.#stats = first.stats;
    this.#push(first);
    this.#guard(() => [...replayed, ...held].forEach((change) => this.#deliver(change)));
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
    if (!this.channel.push(toWire(event, this.#epoch), estimateBytes(event)) && this.channel.open) this.#tooSlow();
  }

  /** Changes keep arriving until the `finally` removes the listener, so this may run more than once. */
  #tooSlow(): void {
    if (this.#cutOff) return;
    this.#cutOff = true;
    // What it held back would never be sent: free it now, not when the `finally` runs.
    if (this.#held) this.#held = [];
    this.observer.onTooSlow();
  }
}
