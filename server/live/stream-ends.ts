import type { GraphQLError } from 'graphql';
import { pulseError } from '../core/errors.js';
import type { StreamItem } from '../domain/events.js';
import type { DropReason } from './open-streams.js';

/**
 * How a stream's end looks to its transport: the iterators an
 * `activityChanged` operation hands back (./activity-stream.ts), and the
 * error a dropped stream's client is told.
 */

/** What {@link UntilEnded} needs of its stream. */
export interface EndingStream {
  /** Settles once the stream has ended and said its last word. */
  ended(): Promise<void>;
  /** Ends the stream at once. */
  close(): void;
}

/** The iterator of a held stream: ended from the start. */
export const ENDED: AsyncIterableIterator<StreamItem> = {
  next: () => Promise.resolve({ value: undefined, done: true }),
  return: () => Promise.resolve({ value: undefined, done: true }),
  [Symbol.asyncIterator]: () => ENDED,
};

/**
 * The iterator of a stream whose transport drives it: yields nothing and
 * ends once the stream's last result is written; `return()` ends the
 * stream at once.
 */
export class UntilEnded implements AsyncIterableIterator<StreamItem> {
  constructor(private readonly stream: EndingStream) {}

  next(): Promise<IteratorResult<StreamItem>> {
    return this.stream.ended().then(() => ({ value: undefined, done: true }));
  }

  return(): Promise<IteratorResult<StreamItem>> {
    this.stream.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** The error a dropped stream's client is told, made only when it can still read it. */
export const DROP_ERRORS: Record<DropReason, () => GraphQLError> = {
  slow_consumer: () => pulseError('SLOW_CONSUMER', 'This subscriber did not read fast enough and was disconnected; reconnect to resume.'),
  shutdown: () => pulseError('SERVICE_UNAVAILABLE', 'This Pulse process is shutting down; reconnect to resume.'),
  backend_lost: () => pulseError('SERVICE_UNAVAILABLE', 'The connection to Redis was lost; reconnect to resume.'),
  token_expired: () => pulseError('UNAUTHENTICATED', 'The token of this subscription has expired; reconnect with a fresh token to resume.'),
};
