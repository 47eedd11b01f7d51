import type { ActivityChange, ActivityFilter, StatsRecord } from '../../domain/activity.js';
import type { Position } from '../../domain/cursor.js';
import type { ResumedEvent, SnapshotEvent, StatsChangedEvent } from '../../domain/events.js';
import type { LiveLimits } from '../live-limits.js';
import { statsDiffer } from '../stats-feed.js';
import { changeMatches } from '../activity-filter.js';
import { estimateBytes } from './event-weight.js';
import type { MemberOutput } from './member-output.js';
import { ResultBatch } from './result-sink.js';

/** What a {@link Member} reports besides its events. */
export interface MemberObserver {
  /** A bug in delivery: the member's stream must end with it. */
  onBug(error: unknown): void;
  /** The subscriber fell behind its bound (reported once per member). */
  onTooSlow(): void;
}

/** The bounds of what a member holds back while its first event is read. */
export type HoldBounds = Pick<LiveLimits, 'subscriberBufferSize' | 'subscriberBufferBytes'>;

/**
 * Where a member starts sharing its group's batches: the group's pending
 * changes at that moment, and the index in them of the first one it takes.
 */
export interface SharedFrom {
  readonly pending: readonly unknown[];
  readonly index: number;
}

/**
 * What a member needs of its fan-out group (`FanoutGroup` implements it):
 * the group's filter, its one execution per event, its shared position, and
 * delivery counting.
 */
export interface MemberGroup {
  readonly filter: ActivityFilter | null;
  /** A first event or figures (whose cursor is a position already), executed for the group's operation, as JSON. */
  executeOne(event: SnapshotEvent | ResumedEvent | StatsChangedEvent, epoch: string): string;
  /** A change as applied at position `seqs` (which includes the change's own cursor), executed as JSON. */
  executeChange(change: ActivityChange, epoch: string, seqs: Position): string;
  /** Like {@link MemberGroup.executeOne}, once per `source` (a shared snapshot read) for every member that shares it, as one batch. */
  sharedFirst(source: object, event: SnapshotEvent, epoch: string): ResultBatch;
  /**
   * Asks to take the group's batches from now on: granted (with where to
   * start) when `position` in log `epoch` is the group's own, or when no
   * member shares the group's position (it becomes this one); else null.
   */
  share(position: Position, epoch: string): SharedFrom | null;
  /** Counts `writes` deliveries of a change that happened at `at`. */
  reportDelivered(writes: number, at: number): void;
  /**
   * A read of the store for a member that has joined (its snapshot): one a
   * member started before, while the group has heard no change since, else
   * a new one from `read` (see `FanoutGroup.quietRead`).
   */
  quietRead<T>(read: () => Promise<T>, now: number, maxAgeMs: number): Promise<T>;
}

/**
 * Per stats tick: the executed `StatsChanged` per position, as one batch
 * every member at that position writes (so its framing is shared too), and
 * whether figures differ per previous figures.
 */
export interface StatsTick {
  readonly frames: Map<string, ResultBatch>;
  readonly differs: Map<StatsRecord, boolean>;
}

/** A member's own position once it shares the group's: one empty array for all of them, never written. */
const NO_POSITION: number[] = [];

/** The key of the group's own position in {@link StatsTick.frames}: no formatted position looks like it. */
const GROUP_POSITION = '\u0000group';

/**
 * One subscriber in a fan-out group, and its ordering logic.
 *
 * A subscriber's position is one cursor per partition of the change log, and
 * every event it gets carries it. Changes that arrive while its first event
 * (snapshot or replay) is read are held back, then applied in order, each
 * skipped when its partition's cursor is already past it, so the seam has no
 * gap and no duplicate. Until its position is the group's, the member
 * applies every change itself and gets its own executions: its snapshot may
 * be ahead of the group in a partition whose changes are still on their way,
 * or behind. Positions meet as soon as those changes have arrived; from
 * then on the member shares the group's position and so the group's
 * executed bytes, and holds nothing of its own but its last figures.
 */
export class Member {
  #held: ActivityChange[] | null = [];
  #heldBytes = 0;
  /** This member's own position, while it does not share the group's (empty once it does). */
  #position: number[] = NO_POSITION;
  /** Set once the member shares the group's position: where in the group's pending changes it started. */
  #sharedFrom: SharedFrom | null = null;
  /** The epoch of the log this stream's cursors count in; known from the first event on. */
  #epoch = '';
  #stats: StatsRecord | null = null;
  #cutOff = false;

  constructor(
    readonly group: MemberGroup,
    readonly output: MemberOutput,
    private readonly bounds: HoldBounds,
    private readonly observer: MemberObserver,
  ) {}

  /** True once the first event is out and changes flow live. */
  get live(): boolean {
    return this.#held === null;
  }

  /** True while the member takes the group's batches (its position is the group's). */
  get shared(): boolean {
    return this.#sharedFrom !== null;
  }

  /**
   * A change the group received (`matches`: whether it passes the group's
   * filter): held back while this member starts, applied by the member
   * itself while it does not share the group's position, else left to the
   * group's next batch (see {@link Member.pendingFrom}).
   */
  onChange(change: ActivityChange, matches: boolean): void {
    if (this.#held !== null) return this.#hold(change);
    if (this.#sharedFrom !== null) return;
    this.#apply(change, matches);
    this.#tryToShare();
  }

  /**
   * Where this member's part of the group's pending changes starts: 0 for a
   * member that shared the group's position before they came, the index it
   * joined at for one that began sharing meanwhile, and `pending.length`
   * (nothing) for one that applies changes itself.
   */
  pendingFrom(pending: readonly unknown[]): number {
    const from = this.#sharedFrom;
    if (from === null) return pending.length;
    return from.pending === pending ? from.index : 0;
  }

  /** Writes the group's batch of changes that this member's part is made of. */
  writeBatch(batch: ResultBatch): void {
    if (!this.output.writeBatch(batch)) this.#tooSlow();
  }

  /**
   * New figures, sent when they differ from the last this member got. Its
   * `StatsChanged` carries its position: the group's when it shares it.
   */
  onStats(stats: StatsRecord, groupPosition: Position, tick: StatsTick): void {
    if (this.#held !== null) return;
    const previous = this.#stats;
    if (previous !== null) {
      let differs = tick.differs.get(previous);
      if (differs === undefined) tick.differs.set(previous, (differs = statsDiffer(previous, stats)));
      if (!differs) return;
    }
    this.#stats = stats;
    const shared = this.#sharedFrom !== null;
    const cursor = shared ? groupPosition : [...this.#position];
    const key = shared ? GROUP_POSITION : `${this.#epoch}:${cursor.join('.')}`;
    let batch = tick.frames.get(key);
    if (batch === undefined) {
      const event: StatsChangedEvent = { type: 'StatsChanged', cursor, at: stats.at, stats };
      tick.frames.set(key, (batch = new ResultBatch([this.group.executeOne(event, this.#epoch)])));
    }
    this.writeBatch(batch);
  }

  /**
   * Sends a `Snapshot` first, then the changes held back meanwhile. Members
   * of a group that got the same `read` (a shared snapshot read) share its
   * executed bytes.
   */
  goLive(snapshot: SnapshotEvent, epoch: string, read: object): void {
    this.#start(snapshot, epoch, [], read);
  }

  /** Sends `Resumed` first, then the replayed changes, then those held back meanwhile. */
  resume(resumed: ResumedEvent, epoch: string, replayed: readonly ActivityChange[]): void {
    this.#start(resumed, epoch, replayed);
  }

  #start(first: SnapshotEvent | ResumedEvent, epoch: string, replayed: readonly ActivityChange[], read?: object): void {
    const held = this.#held ?? [];
    this.#held = null;
    this.#epoch = epoch;
    this.#position = [...first.cursor];
    this.#stats = first.stats;
    if (read === undefined || first.type !== 'Snapshot') this.#write(() => this.group.executeOne(first, epoch));
    else this.writeBatch(this.group.sharedFirst(read, first, epoch));
    for (const change of replayed) this.#apply(change, changeMatches(change, this.group.filter));
    for (const change of held) this.#apply(change, changeMatches(change, this.group.filter));
    this.#tryToShare();
  }

  /** Applies one change to this member's own position, writing it when it is new and matches. */
  #apply(change: ActivityChange, matches: boolean): void {
    const position = this.#position;
    const partition = change.partition ?? 0;
    // A change of a partition this stream's log does not have (a process configured with more) is not of its log.
    if (partition >= position.length || change.cursor <= (position[partition] as number)) return;
    position[partition] = change.cursor;
    if (!matches) return;
    const seqs = [...position];
    this.#write(() => this.group.executeChange(change, this.#epoch, seqs));
    this.group.reportDelivered(1, change.at);
  }

  #tryToShare(): void {
    if (this.#cutOff) return;
    const from = this.group.share(this.#position, this.#epoch);
    if (from === null) return;
    this.#sharedFrom = from;
    this.#position = NO_POSITION;
  }

  #write(json: () => string): void {
    if (!this.output.write(json)) this.#tooSlow();
  }

  #hold(change: ActivityChange): void {
    if (this.#held === null) return;
    this.#heldBytes += estimateBytes(change);
    if (this.#held.length >= this.bounds.subscriberBufferSize || this.#heldBytes > this.bounds.subscriberBufferBytes) {
      return this.#tooSlow();
    }
    this.#held.push(change);
  }

  /** Reports a bug in delivery; the observer ends this member's stream. */
  fail(error: unknown): void {
    this.observer.onBug(error);
  }

  /** Changes keep arriving until the member leaves its group, so this may run more than once. */
  #tooSlow(): void {
    if (this.#cutOff) return;
    this.#cutOff = true;
    // What it held back would never be sent: free it now, not when the stream's cleanup runs.
    if (this.#held) this.#held = [];
    this.observer.onTooSlow();
  }
}
