import { SESSIONS_PER_USER, type ActivityChange, type ActiveUserRecord } from '../domain/activity.js';
import { newEpoch } from '../domain/cursor.js';
import { HistoryRing } from './memory-history.js';
import { MemoryState, type ListedUser, type WriteOutcome } from './memory-state.js';
import { comparePositions, decodePageCursor, encodePageCursor, pageScanBound, type PagePosition } from './paging.js';
import type { ActiveUsersPage } from '../domain/activity.js';
import { DEFAULT_HISTORY, type ActiveUsersQuery, type ActivityStore, type HistoryOptions } from './types.js';

/**
 * Where the memory store publishes: called once per write with its changes,
 * in cursor order, before the write resolves. The composition root passes the
 * memory change feed's `deliver`; the store knows nothing else of the feed.
 * Must not throw.
 */
export type DeliverChanges = (changes: readonly ActivityChange[]) => void;

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /** Where every write's changes are published (once per write, in cursor order). */
  readonly deliver: DeliverChanges;
  /** Told how many changes each write published, once they were delivered (for metrics). @defaultValue ignore */
  readonly onPublished?: (count: number) => void;
  /** How much history `replay` can serve. @defaultValue 10000 changes, 10 minutes */
  readonly history?: HistoryOptions;
}

/**
 * The embedded store: every index in this process, ordered with B-trees so
 * that stats are O(log n) and a page is O(page).
 *
 * Semantics shared with the Redis store (and checked by one contract suite):
 * - A new session emits `SessionStarted`, then `UserJoined` when it is the
 *   user's only active session. Ending one emits `SessionEnded`, then
 *   `UserLeft` when it was the user's last.
 * - An event older than its session's `lastSeen` only counts (eventCount);
 *   the latest event's non-null fields overwrite the session's. The user's
 *   name follows their latest event that names them.
 * - Cursors come from a counter starting at 1; each write makes one
 *   `deliver` call with its changes (none when nothing changed). Writes are
 *   applied and delivered synchronously, before yielding, so concurrent
 *   writes publish in cursor order.
 * - Page cursors are base64url of `${lastSeen}:${userId}` (see ./paging.ts).
 * - The epoch is drawn when the store is made: a process that restarts starts
 *   a new log, whose cursors begin at 1 again.
 * - Each write appends its changes to the history ring before it yields, so
 *   a replay (synchronous too) sees a write whole or not at all.
 * - `eraseUser` ends the user's sessions and turns their history entries
 *   into holes in one synchronous step; `trimHistory` drops the ring's
 *   oldest entries (see ./memory-history.ts).
 */
export function createMemoryStore({ deliver, onPublished = () => {}, history = DEFAULT_HISTORY }: MemoryStoreOptions): ActivityStore {
  const state = new MemoryState();
  const epoch = newEpoch();
  const ring = new HistoryRing(history);

  const publish = <T>({ value, changes }: WriteOutcome<T>, now: number): T => {
    if (changes.length === 0) return value;
    ring.append(changes, now);
    deliver(changes);
    onPublished(changes.length);
    return value;
  };

  const page = (query: ActiveUsersQuery): ActiveUsersPage => readPage(state, query);

  return {
    partitions: 1,
    record: async (inputs, now) => publish(state.record(inputs, now), now),
    recordCount: async (inputs, now) => publish(state.record(inputs, now), now).length,
    endSession: async (sessionId, now) => publish(state.endSession(sessionId, now), now),
    expireIdle: async (cutoff, now, limit) => publish(state.expireIdle(cutoff, now, limit), now),
    eraseUser: async (userId, now) => {
      const endedSessions = publish(state.eraseUser(userId, now), now);
      // Up to the erasure's own cursor: its announcements carry no user, and nothing later is its to touch.
      return { userId, endedSessions, historyEntriesRemoved: ring.erase(userId, state.cursor) };
    },
    trimHistory: async (cutoff) => ring.trim(cutoff),
    stats: async (now, topPathsLimit) => state.stats(now, topPathsLimit),
    activeUsers: async (query) => page(query),
    snapshot: async (query, now, topPathsLimit) => {
      // Page first: an invalid cursor must throw before anything else is read.
      const users = page(query);
      return { cursor: [state.cursor], epoch, stats: state.stats(now, topPathsLimit), page: users };
    },
    replay: async ({ epoch: wanted, since, limit }, now) =>
      // One partition: a position of another length was issued by a deployment with another partition count.
      wanted === epoch && since.length === 1 ? ring.replay(since[0] as number, limit, state.cursor, now) : { recovered: false, reason: 'OTHER_EPOCH' },
    // Nothing to release: the feed behind `deliver` belongs to the caller.
    close: async () => {},
  } satisfies ActivityStore;
}

type Entry = [number, string];

/** One page in users-by-last-seen order, honouring the cursor, the filters and the scan bound. */
function readPage(state: MemoryState, { first, after, filter, sessionsPerUser = SESSIONS_PER_USER.max }: ActiveUsersQuery): ActiveUsersPage {
  const from = after ? decodePageCursor(after) : null;
  const listing = { pathPrefix: filter?.pathPrefix || null, sessionsPerUser };
  const userId = filter?.userId || null;
  const candidates = userId ? oneUser(state, userId, from) : state.usersByLastSeen.descending(from ? [from.lastSeen, from.userId] : undefined);
  const everyoneMatches = listing.pathPrefix === null;
  return collectPage(candidates, first, pageScanBound(first), everyoneMatches, ([lastSeen, id]) => state.activeUser(id, lastSeen, listing));
}

/** The `userId` filter: that user alone, if active and past the cursor. */
function oneUser(state: MemoryState, userId: string, from: PagePosition | null): Entry[] {
  const lastSeen = state.usersByLastSeen.score(userId);
  if (lastSeen === undefined) return [];
  const pastCursor = from === null || comparePositions([lastSeen, userId], [from.lastSeen, from.userId]) < 0;
  return pastCursor ? [[lastSeen, userId]] : [];
}

/**
 * Takes matching users until the page is full. `hasNextPage` is known by
 * finding one more match; a scan stopped by `bound` (counted in what each
 * user cost to examine) reports a next page whose cursor is the last user
 * examined, so the next call goes on from there. When `everyoneMatches`
 * (no path filter), the one more is not loaded: that it exists says enough.
 */
function collectPage(
  candidates: Iterable<Entry>,
  first: number,
  bound: number,
  everyoneMatches: boolean,
  load: (entry: Entry) => ListedUser,
): ActiveUsersPage {
  const edges: { cursor: string; node: ActiveUserRecord }[] = [];
  let examined = 0;
  let last: Entry | null = null;
  for (const entry of candidates) {
    if (examined >= bound || (everyoneMatches && edges.length >= first)) return { edges, hasNextPage: true, endCursor: positionCursor(last) };
    const { node, cost } = load(entry);
    if (node && edges.length >= first) return { edges, hasNextPage: true, endCursor: positionCursor(last) };
    examined += cost;
    last = entry;
    if (node) edges.push({ cursor: encodePageCursor({ lastSeen: entry[0], userId: entry[1] }), node });
  }
  return { edges, hasNextPage: false, endCursor: edges.at(-1)?.cursor ?? null };
}

function positionCursor(entry: Entry | null): string | null {
  return entry && encodePageCursor({ lastSeen: entry[0], userId: entry[1] });
}
