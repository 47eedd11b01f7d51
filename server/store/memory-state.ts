import {
  MINUTE_HISTORY_LENGTH,
  SECOND_WINDOW_LENGTH,
  erasedSession,
  totalOf,
  type ActiveUserRecord,
  type ActivityChange,
  type ActivityRecordInput,
  type SessionEndReason,
  type SessionRecord,
  type StatsRecord,
} from '../domain/activity.js';
import { SessionUserMismatchError } from '../core/errors.js';
import { EventWindow, PathCounts, ScoreIndex } from './memory-indexes.js';
import { UserSessionIndex } from './memory-user-sessions.js';
import { SESSION_SCAN_BOUND } from './paging.js';
import type { RecordResult } from './types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Session = Mutable<SessionRecord>;
/** A change before it is given its cursor. */
type Draft = ActivityChange extends infer C ? (C extends ActivityChange ? Omit<C, 'cursor'> : never) : never;

interface UserState {
  name: string | null;
}

/** How a listing reads one user's sessions. */
export interface UserListing {
  /** Keep only sessions whose path starts with it (looking at no more than `SESSION_SCAN_BOUND`). */
  readonly pathPrefix: string | null;
  /** Most sessions to list. */
  readonly sessionsPerUser: number;
}

/** A user as listed (null when no session is left to list), and how many of their sessions were looked at to decide. */
export interface ListedUser {
  readonly node: ActiveUserRecord | null;
  /** What the user counts against the page's scan bound: sessions looked at under a `pathPrefix`, else 1. */
  readonly cost: number;
}

/** What one write did: the changes to publish, in cursor order. */
export interface WriteOutcome<T> {
  readonly value: T;
  readonly changes: readonly ActivityChange[];
}

/**
 * The memory store's data and its synchronous transitions. Every method runs
 * to completion without yielding, which is what makes memory writes atomic
 * and their cursors ordered; publishing is the caller's job.
 * The rules (change order, which fields an event may overwrite) are the ones
 * the Redis store's Lua scripts implement, checked by the shared contract suite.
 */
export class MemoryState {
  readonly #sessions = new Map<string, Session>();
  readonly #users = new Map<string, UserState>();
  readonly #sessionsByLastSeen = new ScoreIndex();
  readonly #userSessions = new UserSessionIndex();
  /** Score = the latest `lastSeen` among the user's sessions. */
  readonly usersByLastSeen = new ScoreIndex();
  readonly #paths = new PathCounts();
  /** Behind `eventsLastMinute`: the 60 seconds up to now. */
  readonly #eventsPerSecond = new EventWindow({ bucketMs: 1_000, buckets: SECOND_WINDOW_LENGTH });
  readonly #eventsPerMinute = new EventWindow({ bucketMs: 60_000, buckets: MINUTE_HISTORY_LENGTH });
  #seq = 0;
  #log: ActivityChange[] = [];

  /** Cursor of the newest change (0 before any). */
  get cursor(): number {
    return this.#seq;
  }

  /** Applies a batch all or nothing; see `ActivityStore.record`. */
  record(inputs: readonly ActivityRecordInput[], now: number): WriteOutcome<RecordResult[]> {
    const mismatched = this.#mismatches(inputs);
    if (mismatched.length > 0) throw new SessionUserMismatchError(mismatched);
    return this.#write(() => {
      for (const input of inputs) this.#apply(input);
      this.#eventsPerSecond.add(inputs.length, now);
      this.#eventsPerMinute.add(inputs.length, now);
      return inputs.map((input) => ({ session: { ...this.#session(input.sessionId) } }));
    });
  }

  /** Ends one session by logout; null when it is not active. */
  endSession(sessionId: string, now: number): WriteOutcome<SessionRecord | null> {
    return this.#write(() => this.#end(sessionId, 'LOGOUT', now));
  }

  /** Ends up to `limit` sessions last seen before `cutoff`, oldest first. */
  expireIdle(cutoff: number, now: number, limit: number): WriteOutcome<number> {
    return this.#write(() => {
      const idle = this.#sessionsByLastSeen.lowestBelow(cutoff, limit);
      for (const sessionId of idle) this.#end(sessionId, 'IDLE_TIMEOUT', now);
      return idle.length;
    });
  }

  /**
   * Ends every session of the user with reason `ERASED`, oldest first (the
   * Redis store's order), the last one with an erased `UserLeft`; see
   * `ActivityStore.eraseUser`. Empty when the user holds none.
   * @returns the ended sessions' ids, in the order their `SessionEnded` were emitted
   */
  eraseUser(userId: string, now: number): WriteOutcome<string[]> {
    return this.#write(() => {
      // Collected first: ending a session edits the index being read.
      const ids = [...this.#userSessions.mostRecent(userId)].reverse();
      for (const id of ids) this.#end(id, 'ERASED', now);
      return ids;
    });
  }

  /** Current figures. */
  stats(now: number, topPathsLimit: number): StatsRecord {
    const eventsPerSecond = this.#eventsPerSecond.counts(now);
    return {
      activeUsers: this.usersByLastSeen.size,
      activeSessions: this.#sessionsByLastSeen.size,
      eventsLastMinute: totalOf(eventsPerSecond),
      eventsPerSecond,
      eventsPerMinute: this.#eventsPerMinute.counts(now),
      topPaths: this.#paths.top(topPathsLimit),
      at: now,
    };
  }

  /** A user as listed: their most recent sessions (on `pathPrefix` only, when given), read in O(log n + k). */
  activeUser(userId: string, lastSeen: number, { pathPrefix, sessionsPerUser }: UserListing): ListedUser {
    const user = this.#users.get(userId);
    if (!user) return { node: null, cost: 1 };
    const sessions: SessionRecord[] = [];
    let looked = 0;
    for (const sessionId of this.#userSessions.mostRecent(userId)) {
      if (sessions.length >= sessionsPerUser || (pathPrefix !== null && looked >= SESSION_SCAN_BOUND)) break;
      looked++;
      const session = this.#session(sessionId);
      if (pathPrefix === null || (session.path?.startsWith(pathPrefix) ?? false)) sessions.push({ ...session });
    }
    const cost = pathPrefix === null ? 1 : Math.max(1, looked);
    if (sessions.length === 0) return { node: null, cost };
    return { node: { id: userId, name: user.name, lastSeen, sessionCount: this.#userSessions.count(userId), sessions }, cost };
  }

  #write<T>(apply: () => T): WriteOutcome<T> {
    this.#log = [];
    const value = apply();
    return { value, changes: this.#log };
  }

  #emit(draft: Draft): void {
    this.#log.push({ ...draft, cursor: ++this.#seq });
  }

  #session(sessionId: string): Session {
    const session = this.#sessions.get(sessionId);
    if (!session) throw new Error(`memory store lost session ${sessionId}`);
    return session;
  }

  /** Batch positions whose user differs from the session's owner (stored, or first named in the batch). */
  #mismatches(inputs: readonly ActivityRecordInput[]): number[] {
    const owners = new Map<string, string>();
    const mismatched: number[] = [];
    inputs.forEach(({ sessionId, userId }, index) => {
      const owner = owners.get(sessionId) ?? this.#sessions.get(sessionId)?.userId ?? userId;
      owners.set(sessionId, owner);
      if (owner !== userId) mismatched.push(index);
    });
    return mismatched;
  }

  #apply(input: ActivityRecordInput): void {
    const session = this.#sessions.get(input.sessionId);
    if (session) this.#update(session, input);
    else this.#start(input);
  }

  #start(input: ActivityRecordInput): void {
    const { sessionId: id, userId, userName, ipAddress, path, userAgent, at } = input;
    const session: Session = { id, userId, userName, ipAddress, path, userAgent, startedAt: at, lastSeen: at, eventCount: 1 };
    this.#sessions.set(id, session);
    this.#sessionsByLastSeen.set(id, at);
    this.#paths.move(null, path);
    const joined = !this.#users.has(userId);
    const user = this.#touchUser(userId, at, userName);
    this.#userSessions.add(userId, id, at);
    this.#emit({ type: 'SessionStarted', at, session: { ...session } });
    if (joined) this.#emit({ type: 'UserJoined', at, user: { id: userId, name: user.name }, path });
  }

  #update(session: Session, input: ActivityRecordInput): void {
    const previousPath = session.path;
    session.eventCount += 1;
    // Only the latest event may move the session or rename it; an older one just counts.
    if (input.at >= session.lastSeen) {
      this.#userSessions.move(session.userId, session.id, session.lastSeen, input.at);
      session.lastSeen = input.at;
      session.userName = input.userName ?? session.userName;
      session.ipAddress = input.ipAddress ?? session.ipAddress;
      session.path = input.path ?? session.path;
      session.userAgent = input.userAgent ?? session.userAgent;
      this.#sessionsByLastSeen.set(session.id, session.lastSeen);
    }
    this.#paths.move(previousPath, session.path);
    this.#touchUser(session.userId, input.at, input.userName);
    this.#emit({ type: 'SessionUpdated', at: input.at, session: { ...session }, previousPath });
  }

  /** Records a user's event: their name follows their latest named event, their lastSeen only grows. */
  #touchUser(userId: string, at: number, userName: string | null): UserState {
    const lastSeen = this.usersByLastSeen.score(userId);
    let user = this.#users.get(userId);
    if (!user) {
      user = { name: null };
      this.#users.set(userId, user);
    }
    if (userName !== null && (lastSeen === undefined || at >= lastSeen || user.name === null)) user.name = userName;
    if (lastSeen === undefined || at > lastSeen) this.usersByLastSeen.set(userId, at);
    return user;
  }

  #end(sessionId: string, reason: SessionEndReason, now: number): SessionRecord | null {
    const session = this.#sessions.get(sessionId);
    if (!session) return null;
    this.#sessions.delete(sessionId);
    this.#sessionsByLastSeen.delete(sessionId);
    this.#paths.move(session.path, null);
    const ended = { ...session };
    // An erasure announces ids and times only: nothing personal is published or kept again.
    this.#emit({ type: 'SessionEnded', at: now, session: reason === 'ERASED' ? erasedSession(ended) : ended, reason });
    this.#detachFromUser(ended, reason, now);
    return ended;
  }

  /** Drops an ended session from its user: the user leaves with their last session, else their lastSeen is recomputed. */
  #detachFromUser({ id, userId, path, lastSeen }: SessionRecord, reason: SessionEndReason, now: number): void {
    const user = this.#users.get(userId);
    if (!user) return;
    this.#userSessions.remove(userId, id, lastSeen);
    const latest = this.#userSessions.latest(userId);
    if (latest === undefined) {
      this.#users.delete(userId);
      this.usersByLastSeen.delete(userId);
      if (reason === 'ERASED') this.#emit({ type: 'UserLeft', at: now, user: { id: userId, name: null }, path: null, erased: true });
      else this.#emit({ type: 'UserLeft', at: now, user: { id: userId, name: user.name }, path });
      return;
    }
    this.usersByLastSeen.set(userId, latest);
  }
}
