import type { ResultBatch } from './result-sink.js';

/**
 * Where a fan-out member's events go: always its transport's `ResultSink`,
 * which takes the group's executed, shared JSON (the stream itself writes
 * them there, see `openActivityStream`). `false` from a write means the
 * subscriber fell behind its bound (too slow), `true` that it was taken or
 * that the subscriber is gone already (nothing left to cut off).
 */
export interface MemberOutput {
  /** Writes one event of this member's own at once; `json` gives its executed result (not computed when the subscriber is gone). */
  write(json: () => string): boolean;
  /** Writes a batch of the group's executed results. */
  writeBatch(batch: ResultBatch): boolean;
  /** False once the subscriber is gone. */
  readonly open: boolean;
}
