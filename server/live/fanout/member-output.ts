import { toWire, type SubscriptionEvent, type WireEvent } from '../../domain/events.js';
import type { BoundedChannel } from './bounded-channel.js';
import { estimateBytes } from './event-weight.js';
import { ResultBatch, type ResultSink } from './result-sink.js';

/**
 * Where a fan-out member's events go. Either way, `false` from a write means
 * the subscriber fell behind its bound (too slow), `true` that it was taken
 * or that the subscriber is gone already (nothing left to cut off).
 */
export interface MemberOutput {
  /** True when events go out as the group's shared, batched bytes (see {@link SinkOutput}). */
  readonly sharesBytes: boolean;
  /**
   * Writes one event of the log `epoch` at once; `json` gives its executed
   * result, computed at most once per group and event.
   */
  write(event: SubscriptionEvent, epoch: string, json: () => string): boolean;
  /** Writes a batch of the group's executed results. */
  writeBatch(batch: ResultBatch): boolean;
  /** False once the subscriber is gone. */
  readonly open: boolean;
}

/**
 * Events queued as items on the subscriber's own channel; the transport then
 * executes and serialises each one for this subscriber alone (the path of
 * operations without a {@link ResultSink}, such as `yoga.fetch` in process).
 */
export class ChannelOutput implements MemberOutput {
  readonly sharesBytes = false;
  constructor(private readonly channel: BoundedChannel<WireEvent>) {}

  write(event: SubscriptionEvent, epoch: string): boolean {
    // Estimated on the shared event object, which caches it: once per change, not per subscriber.
    return this.channel.push(toWire(event, epoch), estimateBytes(event)) || !this.channel.open;
  }

  writeBatch(): boolean {
    throw new Error('a channel member takes events one by one, as items');
  }

  get open(): boolean {
    return this.channel.open;
  }
}

/**
 * Executed results written straight to the subscriber's connection through
 * its transport's sink: the group's JSON, framed by the sink. The bound is
 * on what the connection has not taken yet.
 */
export class SinkOutput implements MemberOutput {
  readonly sharesBytes = true;
  constructor(
    private readonly sink: ResultSink,
    /** Lives as long as the operation: closed once the client or the server ended it. */
    private readonly lifetime: BoundedChannel<WireEvent>,
    private readonly maxBufferedBytes: number,
  ) {}

  write(_event: SubscriptionEvent, _epoch: string, json: () => string): boolean {
    return this.writeBatch(new ResultBatch([json()]));
  }

  writeBatch(batch: ResultBatch): boolean {
    if (!this.open) return true;
    this.sink.write(batch);
    return this.sink.bufferedBytes <= this.maxBufferedBytes;
  }

  get open(): boolean {
    return this.lifetime.open && this.sink.open;
  }
}
