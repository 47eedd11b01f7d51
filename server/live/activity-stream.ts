import type { GraphQLError } from 'graphql';
import type { Viewer } from '../auth/authenticator.js';
import type { LiveServices } from './live-services.js';
import type { ActivityFilter } from '../domain/activity.js';
import type { CursorPosition } from '../domain/cursor.js';
import type { StreamFailure, StreamItem, WireEvent } from '../domain/events.js';
import { pulseError } from '../core/errors.js';
import type { GroupSpec, Membership } from './fanout/fanout-hub.js';
import { Member } from './fanout/member.js';
import { ChannelOutput, SinkOutput, type MemberOutput } from './fanout/member-output.js';
import type { ResultSink } from './fanout/result-sink.js';
import type { Lease } from '../leases/types.js';
import type { PulseTransport } from '../observability/metrics.js';
import type { ReplayResult } from '../store/types.js';
import { createBoundedChannel, type BoundedChannel } from './fanout/bounded-channel.js';
import { estimateBytes } from './fanout/event-weight.js';
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
  /** How the subscription arrived: its label in `pulse_subscriptions{transport}`. */
  readonly transport: PulseTransport;
  /** The fan-out group this subscription belongs to (same operation, variables and scope). */
  readonly group: GroupSpec;
  /**
   * Where the transport takes executed results directly. With it, events are
   * written as the group's shared bytes and the returned iterator only ends
   * (or yields a final failure); without it (or without an executor in
   * `group`), events come out of the iterator for the caller to execute.
   * @defaultValue none
   */
  readonly sink?: ResultSink;
  /** Ends the stream when the client goes away, even before the first event. */
  readonly signal?: AbortSignal;
  /**
   * The id of the request that opened the stream, logged with its failure:
   * a string, not the request's logger, since a stream outlives its request.
   * @defaultValue none
   */
  readonly requestId?: string;
  /**
   * The transport's way to drop this subscriber's connection (see
   * {@link DropConnection}). @defaultValue none: a dropped stream ends with a final error instead
   */
  readonly dropConnection?: DropConnection;
}

/**
 * Opens one subscriber's stream and resolves once its first event is out
 * (written to the sink) or ready (first in the iterator), so that a refusal
 * (`TOO_MANY_SUBSCRIPTIONS`) or a failing backend rejects the subscription
 * itself instead of failing the stream later.
 *
 * Everything the stream holds (lease, fan-out membership) is taken inside
 * one `try` in {@link runStream} and given back in its `finally`, which runs
 * as soon as the consumer calls `return()`, on any error, and on abort. A
 * failure after the first event becomes one final `StreamFailure` item. A
 * stream that must end while its client should come back (too slow, Redis
 * lost, shutdown) drops its connection instead, see {@link dropStream}.
 */
export async function openActivityStream(
  services: LiveServices,
  request: ActivityStreamRequest,
): Promise<AsyncIterableIterator<StreamItem>> {
  const { subscriberBufferSize, subscriberBufferBytes } = services.limits;
  const channel = createBoundedChannel<WireEvent>(subscriberBufferSize, subscriberBufferBytes);
  const { execute } = request.group;
  const sink = execute === null ? undefined : request.sink;
  const output = sink ? new SinkOutput(sink, channel, subscriberBufferBytes) : new ChannelOutput(channel);
  const firstWritten = new Promise<void>((resolve, reject) => {
    // The channel fails only after `finally` has run, so a rejected subscription has already let go of everything.
    runStream(services, request, channel, output, resolve).then(
      () => {
        channel.end();
        resolve();
      },
      (error: unknown) => {
        channel.fail(error);
        reject(error);
      },
    );
  });
  if (sink?.hold && execute) {
    // The connection is the stream: it lives on after the iterator ends, and the member ends it.
    const end = sink.hold(() => void channel.return());
    // A refused subscription lets go of the connection at once: the transport answers it as an error.
    await firstWritten.catch((error: unknown) => {
      end();
      throw error;
    });
    void lastWords(channel).then((failure) => end(failure === undefined ? undefined : execute(failure)));
    return (async function* heldByItsConnection(): AsyncIterableIterator<StreamItem> {})();
  }
  if (sink) {
    // Rejects only for a failure before the first event; a later one reaches the iterator as its last item.
    await firstWritten;
    return failureAsItem(channel);
  }
  // Rejections after the first event reach the channel instead; this one is seen and dropped.
  firstWritten.catch(() => undefined);
  const first = await channel.next();
  const rest = failureAsItem(channel);
  return first.done ? rest : withFirst<StreamItem>(first.value, rest);
}

/** How a held stream's channel ended: its failure as a last item, or nothing for a plain end. */
async function lastWords(channel: BoundedChannel<WireEvent>): Promise<StreamFailure | undefined> {
  for await (const item of failureAsItem(channel)) if (item.type === 'StreamFailure') return item;
  return undefined;
}

async function runStream(
  services: LiveServices,
  request: ActivityStreamRequest,
  channel: BoundedChannel<WireEvent>,
  output: MemberOutput,
  onStarted: () => void,
): Promise<void> {
  const { viewer, signal, requestId } = request;
  const { leases, limits, metrics, fanout } = services;
  const onAbort = (): void => void channel.return();
  let lease: Lease | null = null;
  let membership: Membership | undefined;
  let counted = false;
  // Dropped at its token's expiry too: nothing outlives the token that opened it.
  const unregister = services.openStreams.add((reason) => dropStream(channel, request, reason), viewer.acceptedUntil);
  try {
    signal?.addEventListener('abort', onAbort);
    if (signal?.aborted) return;
    lease = await leases.acquire(viewer.sub, limits.maxSubscriptionsPerAdmin);
    if (!lease) {
      services.metrics.limitRefusals.inc({ limit: 'MAX_SUBSCRIPTIONS_PER_ADMIN' });
      throw pulseError(
        'TOO_MANY_SUBSCRIPTIONS',
        `At most ${limits.maxSubscriptionsPerAdmin} concurrent subscriptions per admin; close one before opening another.`,
        { limit: limits.maxSubscriptionsPerAdmin },
      );
    }
    membership = await fanout.join(request.group, (group) =>
      new Member(group, output, limits, {
        onBug: (err) => {
          services.logger.error({ err, requestId }, 'activity stream failed');
          channel.fail(err);
        },
        onTooSlow: () => {
          metrics.slowConsumerDisconnects.inc();
          dropStream(channel, request, 'slow_consumer');
        },
      }),
    );
    await startMember(services, request, membership.member);
    // Counted here, not by the transport: a held stream outlives its operation's iterator.
    metrics.subscriptionsOpened.inc();
    metrics.subscriptions.inc({ transport: request.transport });
    counted = true;
    onStarted();
    await channel.closed;
  } finally {
    if (counted) metrics.subscriptions.dec({ transport: request.transport });
    signal?.removeEventListener('abort', onAbort);
    membership?.leave();
    unregister();
    await lease?.release();
  }
}

const DROP_ERRORS: Record<DropReason, () => GraphQLError> = {
  slow_consumer: () => pulseError('SLOW_CONSUMER', 'This subscriber did not read fast enough and was disconnected; reconnect to resume.'),
  shutdown: () => pulseError('SERVICE_UNAVAILABLE', 'This Pulse process is shutting down; reconnect to resume.'),
  backend_lost: () => pulseError('SERVICE_UNAVAILABLE', 'The connection to Redis was lost; reconnect to resume.'),
  token_expired: () => pulseError('UNAUTHENTICATED', 'The token of this subscription has expired; reconnect with a fresh token to resume.'),
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
 * Sends the member's first event, once its group holds changes back for it:
 * `Resumed` and the replayed changes when `since` can be resumed from, else
 * a `Snapshot` that says why not.
 */
async function startMember(services: LiveServices, { since, first, filter }: ActivityStreamRequest, member: Member): Promise<void> {
  const { store, clock, limits } = services;
  const limit = replayLimit(limits.subscriberBufferSize);
  const replay = since ? fitting(await store.replay({ epoch: since.epoch, sinceSeq: since.seq, limit }, clock.now()), limits.subscriberBufferBytes) : null;
  if (since && replay?.recovered) {
    const stats = await store.stats(clock.now(), TOP_PATHS_MAX);
    return member.resume({ type: 'Resumed', cursor: since.seq, at: clock.now(), stats }, since.epoch, replay.changes);
  }
  const shared = await services.snapshots.read({ first, filter });
  const { epoch, ...snapshot } = shared;
  // Stamped with when it was read, so subscribers that share a read share its executed bytes too.
  member.goLive({ type: 'Snapshot', at: snapshot.stats.at, ...snapshot, resume: replay?.recovered === false ? replay.reason : 'FRESH' }, epoch, shared);
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
