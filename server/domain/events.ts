import type { ActiveUsersPage, ResumeOutcome } from './activity.js';
import type { ActivityChange, SessionEndedChange, SessionStartedChange, SessionUpdatedChange, StatsRecord, UserJoinedChange, UserLeftChange } from './activity.js';
import type { CursorPosition, Position } from './cursor.js';

/** The first event of an `activityChanged` stream that did not resume: the whole state to start from. */
export interface SnapshotEvent {
  readonly type: 'Snapshot';
  /** Per partition, the newest change the snapshot reflects. */
  readonly cursor: Position;
  readonly at: number;
  readonly stats: StatsRecord;
  readonly page: ActiveUsersPage;
  /** Why a snapshot was sent: no `since` was given (`FRESH`), or it could not be resumed from. */
  readonly resume: ResumeOutcome;
}

/**
 * The first event of a stream that resumed from `since`: the client keeps
 * its state, and the changes it missed follow, then live ones.
 */
export interface ResumedEvent {
  readonly type: 'Resumed';
  /** The `since` it resumed from: the changes that follow are the ones after it. */
  readonly cursor: Position;
  readonly at: number;
  /** Current figures, so the client's are current at once. */
  readonly stats: StatsRecord;
}

/** New figures, sent only when one changed. */
export interface StatsChangedEvent {
  readonly type: 'StatsChanged';
  /** Per partition, the newest change the subscriber had seen when the figures were computed. */
  readonly cursor: Position;
  readonly at: number;
  readonly stats: StatsRecord;
}

/** Everything an `activityChanged` stream yields, told apart by `type` (the GraphQL `__typename`). */
export type SubscriptionEvent = SnapshotEvent | ResumedEvent | StatsChangedEvent | ActivityChange;

/**
 * An event as it leaves its stream: its cursor is the subscriber's whole
 * position once the event is applied (for a change, every partition's, not
 * only the change's own number), with the epoch of the log it came from.
 */
export type Wire<E extends { readonly cursor: unknown }> = E extends unknown ? Omit<E, 'cursor' | 'partition'> & { readonly cursor: CursorPosition } : never;

// Named, because the GraphQL code generator maps each schema type to one exported name.
/** {@link SnapshotEvent} on the wire. */
export type WireSnapshot = Wire<SnapshotEvent>;
/** {@link ResumedEvent} on the wire. */
export type WireResumed = Wire<ResumedEvent>;
/** {@link StatsChangedEvent} on the wire. */
export type WireStatsChanged = Wire<StatsChangedEvent>;
/** A `SessionStarted` change on the wire. */
export type WireSessionStarted = Wire<SessionStartedChange>;
/** A `SessionUpdated` change on the wire. */
export type WireSessionUpdated = Wire<SessionUpdatedChange>;
/** A `SessionEnded` change on the wire. */
export type WireSessionEnded = Wire<SessionEndedChange>;
/** A `UserJoined` change on the wire. */
export type WireUserJoined = Wire<UserJoinedChange>;
/** A `UserLeft` change on the wire. */
export type WireUserLeft = Wire<UserLeftChange>;

/** What a stream delivers. */
export type WireEvent = Wire<SubscriptionEvent>;

/** Stamps a snapshot, resume or figures event, whose cursor is a position already, with its log's epoch. */
export function toWire(event: SnapshotEvent | ResumedEvent | StatsChangedEvent, epoch: string): WireEvent {
  // Replacing one field keeps the variant, but TypeScript does not follow a spread through a union.
  return { ...event, cursor: { epoch, seqs: event.cursor } } as WireEvent;
}

/** Stamps a change with the position of the subscriber that applies it (which includes the change's own cursor). */
export function changeToWire(change: ActivityChange, epoch: string, seqs: Position): WireEvent {
  return { ...change, cursor: { epoch, seqs } } as WireEvent;
}

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
export type StreamItem = WireEvent | StreamFailure;
