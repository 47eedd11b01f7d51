import type { ActiveUsersPage } from '../store/types.js';
import type { ActivityChange, StatsRecord } from './activity.js';

/** The first event of every `activityChanged` stream. */
export interface SnapshotEvent {
  readonly type: 'Snapshot';
  /** The newest change the snapshot reflects. */
  readonly cursor: number;
  readonly at: number;
  readonly stats: StatsRecord;
  readonly page: ActiveUsersPage;
}

/** New figures, sent only when one changed. */
export interface StatsChangedEvent {
  readonly type: 'StatsChanged';
  /** The newest change the subscriber had seen when the figures were computed. */
  readonly cursor: number;
  readonly at: number;
  readonly stats: StatsRecord;
}

/** Everything an `activityChanged` stream yields, told apart by `type` (the GraphQL `__typename`). */
export type SubscriptionEvent = SnapshotEvent | StatsChangedEvent | ActivityChange;

/**
 * The last item of a stream that failed on the server. The subscription's
 * `resolve` turns it into a GraphQL error result, after which the stream
 * completes: a source iterator that throws would, depending on the
 * transport, kill sibling operations or surface as an unhandled rejection.
 */
export interface StreamFailure {
  readonly type: 'StreamFailure';
  readonly error: unknown;
}

/** What an `activityChanged` source stream yields. */
export type StreamItem = SubscriptionEvent | StreamFailure;
