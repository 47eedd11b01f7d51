import type { GraphQLError } from 'graphql';
import type { Viewer } from '../auth/authenticator.js';
import type { LiveServices } from './live-services.js';
import type { ActivityFilter } from '../domain/activity.js';
import type { CursorPosition } from '../domain/cursor.js';
import type { StreamFailure, StreamItem } from '../domain/events.js';
import { pulseError } from '../core/errors.js';
import type { GroupSpec, Membership } from './fanout/fanout-hub.js';
import { Member } from './fanout/member.js';
import { SinkOutput, type MemberOutput } from './fanout/member-output.js';
import { ResultBatch, type ResultSink } from './fanout/result-sink.js';
import type { Lease } from '../leases/types.js';
import type { PulseTransport } from '../observability/metrics.js';
import type { ReplayResult } from '../store/types.js';
import { createBoundedChannel, type BoundedChannel } from './fanout/bounded-channel.js';
import { estimateBytes } from './fanout/event-weight.js';
import type { DropConnection, DropReason } from './open-streams.js';

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
   * Where the transport takes this subscriber's results: the group's shared
   * JSON, framed by the sink. Every transport hands one (see `ResultSink`).
   */
  readonly sink: ResultSink;
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
 * Opens one subscriber's stream and resolves once its first event is
 * written to the sink, so that a refusal (`TOO_MANY_SUBSCRIPTIONS`) or a
 * failing backend rejects the subscription itself instead of failing the
 * stream later.
 *
 * Every result reaches the client one way: executed once by the fan-out
 * group and written to `request.sink`, a failure after the first event
 * included (one final error result). The returned iterator yields nothing;
 * what it is for depends on the sink:
 * - a sink that can {@link ResultSink.hold | hold} its stream (a
 *   distinct-mode connection, a response Yoga writes itself) is the
 *   stream's lifetime: the iterator has ended already, so nothing of the
 *   request stays in memory while the stream lives;
 * - otherwise (graphql-ws, single-connection SSE) the protocol's own
 *   library drives the operation through its iterator: its `return()` (a
 *   client `complete`, a `DELETE`) ends the stream, and its end (after the
 *   final result, if any, is written) is the operation's `complete`.
 *
 * Everything the stream holds (lease, fan-out membership) is taken inside
 * one `try` in {@link runStream} and given back in its `finally`, which runs
 * as soon as the consumer calls `return()`, on any error, and on abort. A
 * stream that must end while its client should come back (too slow, Redis
 * lost, shutdown) drops its connection instead, see {@link dropStream}.
 */
export async function openActivityStream(services: LiveServices, request: ActivityStreamRequest): Promise<AsyncIterableIterator<StreamItem>> {
  // Carries no items: it is the stream's lifetime, and how it ended (a failure, or nothing).
  const lifetime = createBoundedChannel<never>(0);
  const { sink, group } = request;
  const output = new SinkOutput(sink, lifetime, services.limits.subscriberBufferBytes);
  const firstWritten = new Promise<void>((resolve, reject) => {
    // The channel fails only after `finally` has run, so a rejected subscription has already let go of everything.
    runStream(services, request, lifetime, output, resolve).then(
      () => {
        lifetime.end();
        resolve();
      },
      (error: unknown) => {
        lifetime.fail(error);
        reject(error);
      },
    );
  });
  const end = sink.hold?.(() => void lifetime.return());
  // A refused subscription lets go of a held connection at once: the transport answers it as an error.
  await firstWritten.catch((error: unknown) => {
    end?.();
    throw error;
  });
  const last = lastWords(lifetime).then((failure) => (failure === undefined ? undefined : group.execute(failure)));
  if (end) {
    void last.then(end);
    return ENDED();
  }
  const written = last.then((final) => {
    if (final !== undefined) sink.write(new ResultBatch([final]));
  });
  return untilWritten(lifetime, written);
}

/** How a stream's lifetime ended: its failure, or nothing for a plain end (or a consumer that left). */
function lastWords(lifetime: BoundedChannel<never>): Promise<StreamFailure | undefined> {
  return lifetime.next().then(
    () => undefined,
    (error: unknown) => ({ type: 'StreamFailure', error }),
  );
}

/** The iterator of a held stream: ended from the start. */
function ENDED(): AsyncIterableIterator<StreamItem> {
  const iterator: AsyncIterableIterator<StreamItem> = {
    next: () => Promise.resolve({ value: undefined, done: true }),
    return: () => Promise.resolve({ value: undefined, done: true }),
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

/**
 * An iterator that yields nothing and ends once the stream's last result is
 * written; `return()` ends the stream at once (its `finally` runs without
 * waiting for anything).
 */
function untilWritten(lifetime: BoundedChannel<never>, written: Promise<void>): AsyncIterableIterator<StreamItem> {
  const iterator: AsyncIterableIterator<StreamItem> = {
    next: () => written.then(() => ({ value: undefined, done: true })),
    return: () => lifetime.return(),
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

async function runStream(
  services: LiveServices,
  request: ActivityStreamRequest,
  channel: BoundedChannel<never>,
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
function dropStream(channel: BoundedChannel<never>, { dropConnection }: ActivityStreamRequest, reason: DropReason): void {
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
