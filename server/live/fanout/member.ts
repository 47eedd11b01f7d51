import type { ActivityChange, ActivityFilter, StatsRecord } from '../../domain/activity.js';
import type { ResumedEvent, SnapshotEvent, SubscriptionEvent } from '../../domain/events.js';
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
 * What a member needs of its fan-out group (`FanoutGroup` implements it):
 * the group's filter, its one execution per event, and delivery counting.
 */
export interface MemberGroup {
  readonly filter: ActivityFilter | null;
  /** The event executed for the group's operation, as JSON; the same string for every member. */
  executeOne(event: SubscriptionEvent, epoch: string): string;
  /** Like {@link MemberGroup.executeOne}, once per `source` (a shared snapshot read) for every member that shares it, as one batch. */
  sharedFirst(source: object, event: SnapshotEvent, epoch: string): ResultBatch;
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
 * Per stats tick: the executed `StatsChanged` per (epoch, cursor), as one
 * batch every member that gets it writes (so its framing is shared too),
 * and whether figures differ per previous figures.
 */
export interface StatsTick {
  readonly frames: Map<string, ResultBatch>;
  readonly differs: Map<StatsRecord, boolean>;
}

/**
 * One subscriber in a fan-out group, and its ordering logic. Changes that
 * arrive while its first event (snapshot or replay) is read are held back,
 * then only those newer than the last cursor sent are delivered, so the seam
 * has no gap and no duplicate: that part runs for this member alone. Once
 * live, it takes the group's changes as they come, sharing their executed
 * bytes with every other member; what it tracks on its own is only what can
 * make its results differ from the group's (its cursor before it went live,
 * its last figures).
 */
export class Member {
  #held: ActivityChange[] | null = [];
  #heldBytes = 0;
  /** Newest change handled by this member alone (its first event, replayed and held changes). */
  #cursor = 0;
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

  get epoch(): string {
    return this.#epoch;
  }

  /**
   * A change the group received: held back while this member starts, else
   * left to the group's next batch (see {@link Member.pendingFrom}).
   */
  onChange(change: ActivityChange): void {
    if (this.#held !== null) this.#hold(change);
  }

  /**
   * Where this member's part of the group's pending changes starts: the
   * first one newer than what it sent itself (0 but for a member that has
   * just gone live), or `pending.length` when it is not live.
   */
  pendingFrom(pending: readonly ActivityChange[]): number {
    if (this.#held !== null) return pending.length;
    let start = 0;
    while (start < pending.length && (pending[start] as ActivityChange).cursor <= this.#cursor) start++;
    return start;
  }

  /** Writes the group's batch of changes that this member's part is made of. */
  writeBatch(batch: ResultBatch): void {
    if (!this.output.writeBatch(batch)) this.#tooSlow();
  }

  /**
   * New figures, sent when they differ from the last this member got. Its
   * `StatsChanged` carries the newest cursor it has seen: the group's, or its
   * own when its first event was newer than any change the group has had.
   */
  onStats(stats: StatsRecord, groupCursor: number, tick: StatsTick): void {
    if (this.#held !== null) return;
    const previous = this.#stats;
    if (previous !== null) {
      let differs = tick.differs.get(previous);
      if (differs === undefined) tick.differs.set(previous, (differs = statsDiffer(previous, stats)));
      if (!differs) return;
    }
    this.#stats = stats;
    const event: SubscriptionEvent = { type: 'StatsChanged', cursor: Math.max(this.#cursor, groupCursor), at: stats.at, stats };
    const key = `${this.#epoch}:${event.cursor}`;
    let batch = tick.frames.get(key);
    if (batch === undefined) tick.frames.set(key, (batch = new ResultBatch([this.group.executeOne(event, this.#epoch)])));
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
    this.#cursor = first.cursor;
    this.#stats = first.stats;
    if (read === undefined || first.type !== 'Snapshot') this.#writeOwn(first);
    else this.writeBatch(this.group.sharedFirst(read, first, epoch));
    for (const change of [...replayed, ...held]) {
      if (change.cursor <= this.#cursor) continue;
      this.#cursor = change.cursor;
      if (!changeMatches(change, this.group.filter)) continue;
      this.#writeOwn(change);
      this.group.reportDelivered(1, change.at);
    }
  }

  /** An event only this member gets (its first event, its replay): executed for it alone. */
  #writeOwn(event: SubscriptionEvent): void {
    this.#write(event, () => this.group.executeOne(event, this.#epoch));
  }

  #write(event: SubscriptionEvent, json: () => string): void {
    if (!this.output.write(event, this.#epoch, json)) this.#tooSlow();
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
