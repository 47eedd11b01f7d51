import { MINUTE_HISTORY_LENGTH, SECOND_WINDOW_LENGTH, type ActiveUserRecord, type PathCount, type SessionRecord, type StatsRecord } from '../domain/activity.js';
import { isEpoch } from '../domain/cursor.js';
import { jsonReader } from '../domain/json-reader.js';
import { parseChanges } from '../domain/change-codec.js';
import { encodePageCursor } from './paging.js';
import type { ActiveUsersPage } from '../domain/activity.js';
import type { PathList } from './merge-stats.js';
import type { PagePosition } from './paging.js';
import type { ReplayResult, StoreSnapshot } from './types.js';

/**
 * Parsers of the store scripts' replies (JSON made by cjson). Each either
 * returns typed data or throws {@link MalformedReplyError}, so a script and
 * its caller that drift apart fail loudly instead of leaking bad records.
 */

/** A store script answered something this version does not understand. */
export class MalformedReplyError extends Error {
  override name = 'MalformedReplyError';
}

const { json, object, list, string, optString, int, session: parseSession } = jsonReader((message) => new MalformedReplyError(message));

/** What a write script answered, with how many changes it published. */
export interface WriteReply<T> {
  readonly value: T;
  readonly published: number;
}

/** What `record.lua` answers: the refused events' indexes, or how many changes it published and, when asked, each event's session. */
export type RecordReply = { readonly mismatch: number[] } | { readonly published: number; readonly sessions: SessionRecord[] | null };

/**
 * Parses `record.lua`'s reply, a Redis list rather than JSON: the tag
 * `mismatch` and the refused indexes, or the tag `recorded` and how many
 * changes were published, then the sessions' JSON array when they were asked for.
 */
export function parseRecordReply(raw: unknown): RecordReply {
  if (!Array.isArray(raw)) throw new MalformedReplyError('record reply: expected a list');
  const [tag, ...rest] = raw as unknown[];
  if (tag === 'mismatch') return { mismatch: rest.map((i) => int(i, 'mismatch index')) };
  if (tag !== 'recorded' || rest.length > 2) throw new MalformedReplyError(`record reply: unexpected ${String(tag)} with ${rest.length} values`);
  const [published, sessions] = rest;
  return { published: int(published, 'published'), sessions: sessions === undefined ? null : list(json(sessions), 'sessions').map(parseSession) };
}

/** Parses `end.lua`'s reply: the ended session, or null when it was not active (and nothing was published). */
export function parseEndReply(raw: unknown): WriteReply<SessionRecord | null> {
  if (raw === null) return { value: null, published: 0 };
  const o = object(json(raw), 'end reply');
  return { value: parseSession(o.session), published: int(o.published, 'published') };
}

/** Parses `expire.lua`'s reply: what one step ended, whether it must be called again, and how many changes it published. */
export function parseExpireReply(raw: unknown): WriteReply<ExpireStep> {
  const o = object(json(raw), 'expire reply');
  return { value: { ended: int(o.ended, 'ended'), more: bool(o.more, 'more') }, published: int(o.published, 'published') };
}

/** One call of `expire.lua`: sessions it ended, and whether it stopped at its repair bound before ending any. */
export interface ExpireStep {
  readonly ended: number;
  readonly more: boolean;
}

/** What `trim-history.lua` answers: entries it deleted, and whether it stopped at its bound with more to look at. */
export interface TrimReply {
  readonly trimmed: number;
  readonly more: boolean;
}

/** Parses `trim-history.lua`'s reply. */
export function parseTrimReply(raw: unknown): TrimReply {
  const o = object(json(raw), 'trim reply');
  return { trimmed: int(o.trimmed, 'trimmed'), more: bool(o.more, 'more') };
}

/** What `erase.lua` answers: the sessions it ended (in publish order), and the newest cursor after it. */
export interface EraseReply {
  readonly ended: string[];
  readonly cursor: number;
}

/** Parses `erase.lua`'s reply. */
export function parseEraseReply(raw: unknown): WriteReply<EraseReply> {
  const o = object(json(raw), 'erase reply');
  const ended = list(o.ended, 'ended').map((id) => string(id, 'ended id'));
  return { value: { ended, cursor: int(o.cursor, 'cursor') }, published: int(o.published, 'published') };
}

/** What `erase-history.lua` answers: entries it deleted, and the cursor to go on from (null when done). */
export interface EraseHistoryReply {
  readonly removed: number;
  readonly next: number | null;
}

/** Parses `erase-history.lua`'s reply. */
export function parseEraseHistoryReply(raw: unknown): EraseHistoryReply {
  const o = object(json(raw), 'erase history reply');
  return { removed: int(o.removed, 'removed'), next: o.next === undefined ? null : int(o.next, 'next') };
}

/** Parses `stats.lua`'s reply. */
export function parseStatsReply(raw: unknown): StatsRecord {
  return parseStats(json(raw));
}

/** Parses `active-users.lua`'s reply into a page with its cursors. */
export function parsePageReply(raw: unknown): ActiveUsersPage {
  return parsePage(json(raw));
}

/** Parses `snapshot.lua`'s reply: one partition's snapshot, its cursor the one-entry position. */
export function parseSnapshotReply(raw: unknown): StoreSnapshot {
  const o = object(json(raw), 'snapshot');
  return { cursor: [int(o.cursor, 'cursor')], epoch: parseEpoch(o.epoch), stats: parseStats(o.stats), page: parsePage(o.page) };
}

/** One partition's replay: the epoch of its log, and what it answered (its cursor a one-entry position). */
export interface PartitionReplayReply {
  readonly epoch: string;
  readonly result: ReplayResult;
}

/** Parses `replay.lua`'s reply; the changes are checked like bus messages, since they are the same records. */
export function parseReplayReply(raw: unknown): PartitionReplayReply {
  const o = object(json(raw), 'replay reply');
  const epoch = parseEpoch(o.epoch);
  if (o.recovered === true) {
    const changes = parseChangesOrFail(list(o.changes, 'changes'));
    return { epoch, result: { recovered: true, changes, cursor: [int(o.cursor, 'cursor')] } };
  }
  if (o.reason === 'CURSOR_TOO_OLD' || o.reason === 'OTHER_EPOCH') return { epoch, result: { recovered: false, reason: o.reason } };
  throw new MalformedReplyError(`replay reply: unknown reason ${String(o.reason)}`);
}

/** Parses `path-scores.lua`'s reply: one count per path asked for. */
export function parsePathScoresReply(raw: unknown, expected: number): number[] {
  const counts = list(json(raw), 'path scores').map((count) => int(count, 'path score'));
  if (counts.length !== expected) throw new MalformedReplyError(`path scores: expected ${expected}, got ${counts.length}`);
  return counts;
}

/** What `stats-for-merge.lua` answers: one partition's figures (topPaths empty) and its path list for the merge. */
export interface StatsForMergeReply {
  readonly stats: StatsRecord;
  readonly paths: PathList;
}

/** Parses `stats-for-merge.lua`'s reply, a Redis list: the figures' JSON, then a path list (see {@link parsePathListReply}). */
export function parseStatsForMergeReply(raw: unknown): StatsForMergeReply {
  if (!Array.isArray(raw) || raw.length !== 3) throw new MalformedReplyError('stats for merge: expected three values');
  return { stats: parseStats(json(raw[0])), paths: pathListFrom(raw[1], raw[2]) };
}

/** Parses `path-list.lua`'s reply, a Redis list: 1 when the list is the whole set (else 0), then its JSON (see pathList in read.lua). */
export function parsePathListReply(raw: unknown): PathList {
  if (!Array.isArray(raw) || raw.length !== 2) throw new MalformedReplyError('path list: expected two values');
  return pathListFrom(raw[0], raw[1]);
}

/** A path list's flag and JSON `[count, [paths…], count, [paths…]…]`, busiest first. */
function pathListFrom(flag: unknown, text: unknown): PathList {
  const groups = list(json(text), 'path list');
  if ((flag !== 0 && flag !== 1) || groups.length % 2 !== 0) throw new MalformedReplyError('path list: expected a flag, then groups');
  const paths: PathCount[] = [];
  for (let i = 0; i < groups.length; i += 2) {
    const sessions = int(groups[i], 'path count');
    for (const path of list(groups[i + 1], 'paths of a count')) paths.push({ path: string(path, 'path'), sessions });
  }
  return { complete: flag === 1, paths };
}

/** Parses `page-keys.lua`'s reply, a Redis list userId, lastSeen, userId, lastSeen… (ZREVRANGE … WITHSCORES). */
export function parsePageKeysReply(raw: unknown): PagePosition[] {
  if (!Array.isArray(raw) || raw.length % 2 !== 0) throw new MalformedReplyError('page keys: expected pairs');
  const positions: PagePosition[] = [];
  for (let i = 0; i < raw.length; i += 2) positions.push({ userId: string(raw[i], 'page key user'), lastSeen: countText(raw[i + 1], 'page key lastSeen') });
  return positions;
}

/** A non-negative integer that Redis answered as text (a score). */
function countText(value: unknown, what: string): number {
  const n = typeof value === 'string' && /^\d{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new MalformedReplyError(`${what}: expected an integer`);
  return n;
}

function bool(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw new MalformedReplyError(`${what}: expected a boolean`);
  return value;
}

function parseChangesOrFail(value: unknown[]): ReturnType<typeof parseChanges> {
  try {
    return parseChanges(value);
  } catch (error) {
    throw new MalformedReplyError(`replay reply: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** An epoch goes into every cursor this store hands out, so it must keep the cursor format parseable. */
function parseEpoch(value: unknown): string {
  const epoch = string(value, 'epoch');
  if (!isEpoch(epoch)) throw new MalformedReplyError('epoch: not a valid epoch');
  return epoch;
}

function parseStats(value: unknown): StatsRecord {
  const o = object(value, 'stats');
  return {
    activeUsers: int(o.activeUsers, 'activeUsers'),
    activeSessions: int(o.activeSessions, 'activeSessions'),
    eventsLastMinute: int(o.eventsLastMinute, 'eventsLastMinute'),
    eventsPerSecond: countsOf(o.eventsPerSecond, 'eventsPerSecond', SECOND_WINDOW_LENGTH),
    eventsPerMinute: countsOf(o.eventsPerMinute, 'eventsPerMinute', MINUTE_HISTORY_LENGTH),
    topPaths: list(o.topPaths, 'topPaths').map(parsePathCount),
    at: int(o.at, 'at'),
  };
}

/** Exactly one count per second or minute of a window: a shorter list would shift every bucket (on the chart, or as time slides them). */
function countsOf(value: unknown, what: string, length: number): number[] {
  const counts = list(value, what).map((count) => int(count, `${what} entry`));
  if (counts.length !== length) throw new MalformedReplyError(`${what}: expected ${length} entries, got ${counts.length}`);
  return counts;
}

function parsePathCount(value: unknown): PathCount {
  const o = object(value, 'path count');
  return { path: string(o.path, 'path'), sessions: int(o.sessions, 'sessions') };
}

/** The script returns positions; cursors are made here, by the same function the memory store uses. */
function parsePage(value: unknown): ActiveUsersPage {
  const o = object(value, 'page');
  const edges = list(o.users, 'users').map((user) => {
    const node = parseUser(user);
    return { cursor: encodePageCursor({ lastSeen: node.lastSeen, userId: node.id }), node };
  });
  const hasNextPage = o.hasNextPage === true;
  if (!hasNextPage) return { edges, hasNextPage, endCursor: edges.at(-1)?.cursor ?? null };
  return { edges, hasNextPage, endCursor: o.resume === undefined ? null : parseResume(o.resume) };
}

function parseResume(value: unknown): string {
  const [lastSeen, userId] = list(value, 'resume');
  return encodePageCursor({ lastSeen: int(lastSeen, 'resume score'), userId: string(userId, 'resume member') });
}

function parseUser(value: unknown): ActiveUserRecord {
  const o = object(value, 'user');
  return {
    id: string(o.id, 'user.id'),
    name: optString(o.name, 'user.name'),
    lastSeen: int(o.lastSeen, 'user.lastSeen'),
    sessionCount: int(o.sessionCount, 'user.sessionCount'),
    sessions: list(o.sessions, 'user.sessions').map(parseSession),
  };
}
