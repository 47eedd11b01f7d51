import type { SubscriptionEvent } from '../../domain/events.js';
import type { BoundedChannel } from './bounded-channel.js';
import { ResultBatch, type ResultSink } from './result-sink.js';

/**
 * Where a fan-out member's events go: always its transport's
 * {@link ResultSink}, which takes the group's executed, shared JSON. `false`
 * from a write means the subscriber fell behind its bound (too slow), `true`
 * that it was taken or that the subscriber is gone already (nothing left to
 * cut off).
 */
export interface MemberOutput {
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
 * Executed results written straight to the subscriber's connection through
 * its transport's sink: the group's JSON, framed by the sink. The bound is
 * on what the connection has not taken yet.
 */
export class SinkOutput implements MemberOutput {
  constructor(
    private readonly sink: ResultSink,
    /** Lives as long as the operation: closed once the client or the server ended it. */
    private readonly lifetime: BoundedChannel<unknown>,
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
