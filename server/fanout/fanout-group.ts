import type { ActivityChange, ActivityFilter, StatsRecord } from '../domain/activity.js';
import { toWire, type SubscriptionEvent } from '../domain/events.js';
import { changeMatches } from '../streams/activity-filter.js';
import type { EventExecutor } from './event-executor.js';
import type { Member, StatsTick } from './member.js';

/** Reports changes written as shared bytes: how many writes, and the change's time (for the lag metric). */
export type DeliveryReporter = (writes: number, at: number) => void;

/**
 * Subscribers with the same operation, variables and authorisation scope.
 * Each change is filtered once, executed and serialised at most once per
 * epoch (in practice once), and the same JSON goes to every live member;
 * members still starting get it to hold back. Members whose transport has no
 * sink take the change as an item and execute it themselves.
 */
export class FanoutGroup {
  readonly #members = new Set<Member>();
  /** Newest change this group has dispatched. */
  #cursor = 0;

  constructor(
    readonly filter: ActivityFilter | null,
    private readonly execute: EventExecutor | null,
    private readonly onDelivered: DeliveryReporter,
  ) {}

  get size(): number {
    return this.#members.size;
  }

  add(member: Member): void {
    this.#members.add(member);
  }

  delete(member: Member): void {
    this.#members.delete(member);
  }

  /** Executes one event for one member alone (a first event, a replay, figures at a cursor of its own). */
  executeOne(event: SubscriptionEvent, epoch: string): string {
    if (this.execute === null) throw new Error('this fan-out group has no executor: its members take items, not bytes');
    return this.execute(toWire(event, epoch));
  }

  /** Counts writes made outside {@link FanoutGroup.onChange} (a member's replayed and held changes). */
  reportDelivered(writes: number, at: number): void {
    this.onDelivered(writes, at);
  }

  onChange(change: ActivityChange): void {
    let matches: boolean;
    try {
      matches = changeMatches(change, this.filter);
    } catch (error) {
      // A change the filter cannot read fails every member alike; the bus and the process go on.
      for (const member of this.#members) member.fail(error);
      return;
    }
    let lastEpoch: string | undefined;
    let lastJson = '';
    const frame = (epoch: string): string => {
      // Every member of a process shares one epoch except across a Redis flush: one entry is the common case.
      if (epoch !== lastEpoch) {
        lastJson = this.executeOne(change, epoch);
        lastEpoch = epoch;
      }
      return lastJson;
    };
    let writes = 0;
    for (const member of this.#members) {
      try {
        if (member.onChange(change, matches, frame)) writes++;
      } catch (error) {
        member.fail(error);
      }
    }
    this.#cursor = change.cursor;
    if (writes > 0) this.onDelivered(writes, change.at);
  }

  onStats(stats: StatsRecord): void {
    const tick: StatsTick = { frames: new Map(), differs: new Map() };
    for (const member of this.#members) {
      try {
        member.onStats(stats, this.#cursor, tick);
      } catch (error) {
        member.fail(error);
      }
    }
  }
}
