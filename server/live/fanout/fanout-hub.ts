import type { ChangeFeed } from '../../bus/types.js';
import type { ActivityFilter } from '../../domain/activity.js';
import type { StatsFeed } from '../stats-feed.js';
import type { EventExecutor } from './event-executor.js';
import { FanoutGroup, type DeliveryReporter } from './fanout-group.js';
import type { Member } from './member.js';

/** Which group a subscription joins, and how that group executes events. */
export interface GroupSpec {
  /** See `groupKey`. */
  readonly key: string;
  readonly filter: ActivityFilter | null;
  /** Executes each event once for every member: the only execution of this subscription's events. */
  readonly execute: EventExecutor;
}

interface Entry {
  readonly group: FanoutGroup;
  /** Settles once the group's bus and stats listeners are live. */
  ready: Promise<void>;
  stop: (() => void) | null;
  refs: number;
}

/** Options of {@link FanoutHub}. */
export interface FanoutHubOptions {
  readonly bus: ChangeFeed;
  readonly statsFeed: StatsFeed;
  readonly onDelivered: DeliveryReporter;
}

/**
 * The fan-out groups of one process. A group appears with its first member
 * and listens to the bus and the stats feed once for all of them; it goes
 * with its last member. (The bus itself holds one backend subscription per
 * process, whatever its number of listeners.)
 */
export class FanoutHub {
  readonly #groups = new Map<string, Entry>();

  constructor(private readonly options: FanoutHubOptions) {}

  /** Open groups. */
  get groupCount(): number {
    return this.#groups.size;
  }

  /**
   * Joins the group of `spec`, creating it if needed, and resolves with the
   * member (in its group) once the group hears every change published from
   * then on: a member added then misses nothing that its snapshot does not
   * already hold. Rejects, having joined nothing, when the bus cannot
   * subscribe. The member is in until {@link FanoutHub.leave}.
   */
  async join(spec: GroupSpec, createMember: (group: FanoutGroup) => Member): Promise<Member> {
    const entry = this.#groups.get(spec.key) ?? this.#open(spec);
    entry.refs++;
    try {
      await entry.ready;
    } catch (error) {
      this.#release(entry);
      throw error;
    }
    const member = createMember(entry.group);
    entry.group.add(member);
    return member;
  }

  /** Takes a member out of its group (idempotent); the last member out closes the group. */
  leave(member: Member): void {
    const group = member.group as FanoutGroup;
    const entry = this.#groups.get(group.key);
    // A member is in only an open group, which its hub still holds under its key.
    if (entry?.group === group && group.delete(member)) this.#release(entry);
  }

  #release(entry: Entry): void {
    if (--entry.refs === 0) this.#close(entry.group.key, entry);
  }

  #open(spec: GroupSpec): Entry {
    const group = new FanoutGroup(spec.key, spec.filter, spec.execute, this.options.onDelivered);
    const entry: Entry = { group, ready: Promise.resolve(), stop: null, refs: 0 };
    entry.ready = this.#listen(group).then(
      (stop) => {
        entry.stop = stop;
      },
      (error: unknown) => {
        // A failed group is forgotten, so the next subscriber tries afresh.
        if (this.#groups.get(spec.key) === entry) this.#groups.delete(spec.key);
        throw error;
      },
    );
    this.#groups.set(spec.key, entry);
    return entry;
  }

  async #listen(group: FanoutGroup): Promise<() => void> {
    const { bus, statsFeed } = this.options;
    const stopBus = await bus.subscribe((change) => group.onChange(change));
    try {
      const stopStats = await statsFeed.subscribe((stats) => group.onStats(stats));
      return () => {
        stopStats();
        stopBus();
      };
    } catch (error) {
      stopBus();
      throw error;
    }
  }

  #close(key: string, entry: Entry): void {
    if (this.#groups.get(key) === entry) this.#groups.delete(key);
    // A group closed while it was still connecting stops once it is connected.
    entry.ready.then(
      () => entry.stop?.(),
      () => undefined,
    );
  }
}
