import type { ActivityChange, ActivityFilter, StatsRecord } from '../../domain/activity.js';
import type { Position } from '../../domain/cursor.js';
import { changeToWire, toWire, type ResumedEvent, type SnapshotEvent, type StatsChangedEvent } from '../../domain/events.js';
import { changeMatches } from '../activity-filter.js';
import type { EventExecutor } from './event-executor.js';
import type { Member, MemberGroup, SharedFrom, StatsTick } from './member.js';
import { ResultBatch } from './result-sink.js';

/** Reports deliveries of one change written as shared bytes: how many members got it, and its time (for the lag metric). */
export type DeliveryReporter = (writes: number, at: number) => void;

/** A matching change waiting for the next batch, with the group's position once it is applied. */
interface PendingChange {
  readonly change: ActivityChange;
  readonly seqs: Position;
}

/**
 * Subscribers with the same operation, variables and authorisation scope.
 * Each change is filtered once, and executed and serialised once for every
 * member at the group's position (see `Member`: a member shares it once its
 * own snapshot and the group's changes agree). Members that share bytes get the changes of one tick
 * as one batch, written with one call per member: every change the bus
 * hands over in one turn of the event loop (one Redis message carries a
 * whole write's changes; one socket read, many messages) goes out together,
 * framed once per transport. Members still starting hold changes back.
 */
export class FanoutGroup implements MemberGroup {
  readonly #members = new Set<Member>();
  /**
   * The position its sharing members are at, in the log `#epoch`: set by
   * the first member to share, then moved by every change the group hears.
   */
  #position: number[] = [];
  #epoch = '';
  /** How many members share {@link FanoutGroup.#position}. */
  #sharing = 0;
  /** The last answer of {@link FanoutGroup.share}, given again to members that start sharing at the same point. */
  #lastShared: SharedFrom | null = null;
  /** Matching changes new to the sharing members, not yet written to them, in arrival order. */
  #pending: PendingChange[] = [];
  #flushScheduled = false;
  /** Executed first events by the shared read they came from, as batches every member writes; forgotten with the read. */
  readonly #sharedFirsts = new WeakMap<object, Map<string, ResultBatch>>();
  /** The read shared by members that start while the group hears nothing (see {@link FanoutGroup.quietRead}); forgotten at the next change. */
  #quiet: { readonly read: Promise<unknown>; readonly at: number } | null = null;

  constructor(
    /** The group's key (see `groupKey`): how its hub finds it. */
    readonly key: string,
    readonly filter: ActivityFilter | null,
    private readonly execute: EventExecutor,
    private readonly onDelivered: DeliveryReporter,
  ) {}

  add(member: Member): void {
    this.#members.add(member);
  }

  /** Removes a member; false when it was not in the group. */
  delete(member: Member): boolean {
    if (!this.#members.delete(member)) return false;
    if (member.shared) this.#sharing--;
    return true;
  }

  /** Executes a first event or figures for the log `epoch`. */
  executeOne(event: SnapshotEvent | ResumedEvent | StatsChangedEvent, epoch: string): string {
    return this.execute(toWire(event, epoch));
  }

  /** Executes a change as applied at `seqs`. */
  executeChange(change: ActivityChange, epoch: string, seqs: Position): string {
    return this.execute(changeToWire(change, epoch, seqs));
  }

  share(position: Position, epoch: string): SharedFrom | null {
    if (this.#sharing === 0) {
      this.#position = [...position];
      this.#epoch = epoch;
    } else if (epoch !== this.#epoch || !samePosition(position, this.#position)) {
      return null;
    }
    this.#sharing++;
    // Pending changes were new to the members sharing before; this one is past them. Members that start
    // sharing at the same point (subscribers opening together) share one record of it.
    const last = this.#lastShared;
    if (last !== null && last.pending === this.#pending && last.index === this.#pending.length) return last;
    return (this.#lastShared = { pending: this.#pending, index: this.#pending.length });
  }

  /**
   * A first event that other members may have too (a snapshot from a shared
   * read), executed and batched once per `source`, epoch and resume outcome,
   * so that every member writes the same bytes.
   */
  sharedFirst(source: object, event: SnapshotEvent, epoch: string): ResultBatch {
    let executed = this.#sharedFirsts.get(source);
    if (executed === undefined) this.#sharedFirsts.set(source, (executed = new Map()));
    const key = `${epoch}\u0000${event.resume}`;
    let batch = executed.get(key);
    if (batch === undefined) executed.set(key, (batch = new ResultBatch([this.executeOne(event, epoch)])));
    return batch;
  }

  /**
   * A read of the store (a snapshot) for a member that has joined: the one
   * another member started, if the group has heard no change since it
   * started and it is at most `maxAgeMs` old, else a new one from `read`.
   * Sharing it loses nothing: the group listened before the shared read
   * started (it listens before anyone joins), so a change the read misses
   * arrives after it started, and either the group heard it (then the read
   * is not shared) or it arrives after this member joined, which holds it
   * back until its first event is out. A failed read is never shared.
   */
  quietRead<T>(read: () => Promise<T>, now: number, maxAgeMs: number): Promise<T> {
    const quiet = this.#quiet;
    if (quiet !== null && now - quiet.at <= maxAgeMs) return quiet.read as Promise<T>;
    const fresh = read();
    const entry = { read: fresh, at: now };
    this.#quiet = entry;
    fresh.catch(() => {
      if (this.#quiet === entry) this.#quiet = null;
    });
    return fresh;
  }

  /** Counts writes made outside the group's batches (a member's replayed and held changes). */
  reportDelivered(writes: number, at: number): void {
    this.onDelivered(writes, at);
  }

  onChange(change: ActivityChange): void {
    // A read that may not reflect this change (matching or not) must start no one else.
    this.#quiet = null;
    let matches: boolean;
    try {
      matches = changeMatches(change, this.filter);
    } catch (error) {
      // A change the filter cannot read fails every member alike; the bus and the process go on.
      for (const member of this.#members) member.fail(error);
      return;
    }
    // The sharing members' position moves first: a member that applies this change itself may then find it is there too.
    if (this.#sharing > 0 && this.#advance(change) && matches) this.#queue(change);
    for (const member of this.#members) {
      try {
        member.onChange(change, matches);
      } catch (error) {
        member.fail(error);
      }
    }
  }

  /** Moves the group's position past `change`; false when it is there already (the change is in every sharing member's snapshot). */
  #advance(change: ActivityChange): boolean {
    const partition = change.partition ?? 0;
    const position = this.#position;
    if (partition >= position.length || change.cursor <= (position[partition] as number)) return false;
    position[partition] = change.cursor;
    return true;
  }

  #queue(change: ActivityChange): void {
    this.#pending.push({ change, seqs: [...this.#position] });
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      // After the bus has handed over everything it read in this turn: one batch, one write per member.
      queueMicrotask(() => this.#flush());
    }
  }

  onStats(stats: StatsRecord): void {
    // Figures follow the changes they may reflect.
    this.#flush();
    const tick: StatsTick = { frames: new Map(), differs: new Map() };
    for (const member of this.#members) {
      try {
        member.onStats(stats, this.#position, tick);
      } catch (error) {
        member.fail(error);
      }
    }
  }

  #flush(): void {
    this.#flushScheduled = false;
    const pending = this.#pending;
    if (pending.length === 0) return;
    this.#pending = [];
    let json: string[] | null = null;
    const batches = new Map<number, ResultBatch>();
    // Members by where their part starts; a change's deliveries are those of every part that includes it.
    const startingAt = new Array<number>(pending.length).fill(0);
    for (const member of this.#members) {
      try {
        const start = member.pendingFrom(pending);
        if (start === pending.length) continue;
        let batch = batches.get(start);
        if (batch === undefined) {
          // Executed once per change, however many members share it.
          json ??= pending.map(({ change, seqs }) => this.executeChange(change, this.#epoch, seqs));
          batches.set(start, (batch = new ResultBatch(json.slice(start))));
        }
        member.writeBatch(batch);
        startingAt[start] = (startingAt[start] as number) + 1;
      } catch (error) {
        member.fail(error);
      }
    }
    let writes = 0;
    pending.forEach(({ change }, i) => {
      writes += startingAt[i] as number;
      if (writes > 0) this.onDelivered(writes, change.at);
    });
  }
}

/** Whether two positions are the same. */
function samePosition(a: Position, b: Position): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
