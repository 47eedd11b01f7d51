import type { Viewer } from '../auth/authenticator.js';
import type { LiveServices } from './live-services.js';
import type { ActivityFilter } from '../domain/activity.js';
import type { CursorPosition } from '../domain/cursor.js';
import type { StreamItem } from '../domain/events.js';
import type { GroupSpec } from './fanout/fanout-hub.js';
import { Member, type MemberObserver } from './fanout/member.js';
import type { MemberOutput } from './fanout/member-output.js';
import { ResultBatch, type ResultSink, type SinkHolder } from './fanout/result-sink.js';
import type { Lease } from '../leases/types.js';
import type { PulseTransport } from '../observability/metrics.js';
import { startMember } from './first-event.js';
import { DROP_ERRORS, ENDED, UntilEnded } from './stream-ends.js';
import { pulseError } from '../core/errors.js';
import type { DropConnection, DropReason, DroppableStream } from './open-streams.js';

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
 * stream later. A rejected subscription has let go of everything it took.
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
 * What the stream holds (lease, fan-out membership, its place among the
 * open streams) is taken while it opens and given back as soon as it ends:
 * when its client leaves, on any failure, on abort. A stream that must end
 * while its client should come back (too slow, Redis lost, shutdown, token
 * expired) drops its connection instead of completing.
 */
export async function openActivityStream(services: LiveServices, request: ActivityStreamRequest): Promise<AsyncIterableIterator<StreamItem>> {
  const stream = new ActivityStream(services, request);
  await stream.start(request);
  return stream.iterator();
}

/**
 * How a stream ended: with nothing to add, with a failure its client is
 * told of in a final result, or dropped for a reason (whose error is made
 * only if the client can still read it: shutting down ten thousand dropped
 * streams builds no error at all).
 */
type Ending = { readonly failure: unknown } | { readonly dropped: DropReason } | null;

/** What only some streams need: an abort signal to follow, an iterator waiting for the end. */
interface Extras {
  signal?: AbortSignal;
  onAbort?: () => void;
  /** Settles once the stream has ended and said its last word. */
  ended?: { promise: Promise<void>; resolve: () => void };
}

/**
 * One subscriber's stream, as one object whose methods are shared on the
 * prototype: an open stream costs its fields, not a suspended async
 * function, a queue and a chain of closures, nor the request that opened it
 * (`SUBSCRIBER_BUFFER_BYTES` is enforced on the sink's own buffer, so the
 * stream queues nothing itself). It is the member's output (the bound on
 * what the connection has not taken) and its observer, the holder of a
 * held sink, and what {@link OpenStreams} drops.
 */
class ActivityStream implements MemberOutput, MemberObserver, DroppableStream, SinkHolder {
  readonly #sink: ResultSink;
  readonly #group: GroupSpec;
  readonly #transport: PulseTransport;
  readonly #requestId: string | undefined;
  readonly #dropConnection: DropConnection | undefined;
  #lease: Lease | null = null;
  #member: Member | null = null;
  /** How it ended, once it has; `undefined` while it runs. */
  #ending: Ending | undefined = undefined;
  /** Set while it opens: it ends for good only once the opening has settled. */
  #opening = true;
  #registered = false;
  #counted = false;
  #extras: Extras | null = null;

  constructor(
    private readonly services: LiveServices,
    { sink, group, transport, requestId, dropConnection }: ActivityStreamRequest,
  ) {
    this.#sink = sink;
    this.#group = group;
    this.#transport = transport;
    this.#requestId = requestId;
    this.#dropConnection = dropConnection;
    sink.hold?.(this);
  }

  /** Takes the lease, joins the group and writes the first event; see {@link openActivityStream}. */
  async start(request: ActivityStreamRequest): Promise<void> {
    try {
      await this.#open(request);
    } catch (error) {
      this.#ending ??= null;
      await this.#letGo();
      // A refused subscription lets go of a held connection at once: the transport answers it as an error.
      this.#sink.end?.();
      throw error;
    }
    this.#opening = false;
    if (this.#ending !== undefined) this.#finish();
  }

  /** The operation's iterator (see {@link openActivityStream}). */
  iterator(): AsyncIterableIterator<StreamItem> {
    if (this.#sink.hold !== undefined) return ENDED;
    return new UntilEnded(this);
  }

  /** Resolves once the stream has ended and its last result is written. */
  ended(): Promise<void> {
    if (this.#ending !== undefined && !this.#opening) return Promise.resolve();
    const extras = (this.#extras ??= {});
    if (extras.ended === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((settle) => (resolve = settle));
      extras.ended = { promise, resolve };
    }
    return extras.ended.promise;
  }

  /** Ends the stream without a last word: its client left (or asked to end it). Idempotent. */
  close(): void {
    this.#end(null);
  }

  /** The held connection closed: its client left. */
  connectionClosed(): void {
    this.close();
  }

  // MemberObserver

  onBug(error: unknown): void {
    this.services.logger.error({ err: error, requestId: this.#requestId }, 'activity stream failed');
    this.#end({ failure: error });
  }

  onTooSlow(): void {
    this.services.metrics.slowConsumerDisconnects.inc();
    this.drop('slow_consumer');
  }

  /** Its token's deadline passed (see `OpenStreams`). */
  expire(): void {
    this.drop('token_expired');
  }

  /**
   * Ends a stream whose client should reconnect and resume: drops the
   * connection first (no `complete`, which clients take as final), then
   * ends with the reason's error, which only reaches a client whose
   * transport had nothing to drop.
   */
  drop(reason: DropReason): void {
    if (this.#ending !== undefined) return;
    if (this.#dropConnection) this.#dropConnection(reason);
    else this.#sink.dropConnection?.(reason);
    this.#end({ dropped: reason });
  }

  // MemberOutput: the group's JSON straight to the sink, bounded by what the connection has not taken.

  write(json: () => string): boolean {
    if (!this.open) return true;
    return this.writeBatch(new ResultBatch([json()]));
  }

  writeBatch(batch: ResultBatch): boolean {
    if (!this.open) return true;
    const sink = this.#sink;
    sink.write(batch);
    return sink.bufferedBytes <= this.services.limits.subscriberBufferBytes;
  }

  get open(): boolean {
    return this.#ending === undefined && this.#sink.open;
  }

  async #open(request: ActivityStreamRequest): Promise<void> {
    const { services } = this;
    const { leases, limits, metrics, fanout } = services;
    const { viewer, signal } = request;
    // Dropped at its token's expiry too: nothing outlives the token that opened it.
    services.openStreams.register(this, viewer.acceptedUntil);
    this.#registered = true;
    if (signal) {
      if (signal.aborted) return this.close();
      const onAbort = (): void => this.close();
      (this.#extras ??= {}).signal = signal;
      this.#extras.onAbort = onAbort;
      signal.addEventListener('abort', onAbort);
    }
    this.#lease = await leases.acquire(viewer.sub, limits.maxSubscriptionsPerAdmin);
    if (this.#lease === null) {
      metrics.limitRefusals.inc({ limit: 'MAX_SUBSCRIPTIONS_PER_ADMIN' });
      throw pulseError(
        'TOO_MANY_SUBSCRIPTIONS',
        `At most ${limits.maxSubscriptionsPerAdmin} concurrent subscriptions per admin; close one before opening another.`,
        { limit: limits.maxSubscriptionsPerAdmin },
      );
    }
    if (this.#ending !== undefined) return;
    this.#member = await fanout.join(this.#group, (group) => new Member(group, this, limits, this));
    if (this.#ending !== undefined) return;
    await startMember(services, request, this.#member);
    if (this.#ending !== undefined) return;
    // Counted here, not by the transport: a held stream outlives its operation's iterator.
    metrics.subscriptionsOpened.inc();
    metrics.subscriptions.inc({ transport: this.#transport });
    this.#counted = true;
  }

  #end(ending: Ending): void {
    if (this.#ending !== undefined) return;
    this.#ending = ending;
    // While it opens, the opening finishes the stream once it has settled.
    if (!this.#opening) this.#finish();
  }

  /** Lets go of everything, then says the last word: a final result for a failure, then the end. */
  #finish(): void {
    void this.#letGo();
    const sink = this.#sink;
    // No one reads the last word of a connection that is gone (a drop, a shutdown): it is not even executed.
    const ending = sink.open ? this.#ending : null;
    const failure = ending ? { type: 'StreamFailure' as const, error: 'dropped' in ending ? DROP_ERRORS[ending.dropped]() : ending.failure } : null;
    const final = failure === null ? undefined : this.#group.execute(failure);
    if (sink.hold !== undefined) return sink.end?.(final);
    if (final !== undefined) sink.write(new ResultBatch([final]));
    this.#extras?.ended?.resolve();
  }

  /** Gives back what the stream took, each once; the lease last, since releasing it may wait for the backend. */
  async #letGo(): Promise<void> {
    const { metrics, fanout, openStreams } = this.services;
    if (this.#counted) metrics.subscriptions.dec({ transport: this.#transport });
    this.#counted = false;
    const extras = this.#extras;
    if (extras?.onAbort) extras.signal?.removeEventListener('abort', extras.onAbort);
    if (extras) extras.onAbort = undefined;
    if (this.#member) fanout.leave(this.#member);
    this.#member = null;
    if (this.#registered) openStreams.delete(this);
    this.#registered = false;
    const lease = this.#lease;
    this.#lease = null;
    await lease?.release();
  }
}
