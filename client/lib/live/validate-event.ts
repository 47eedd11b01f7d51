import type { SessionFieldsFragment, StatsFieldsFragment } from '../../generated/graphql.js';
import { array, boolean, dateTime, describeValue, int, isRecord, literal, nonEmptyString, nullable, object, oneOf, string, type Decoder } from './decoders.js';
import type { ActivityEvent, EventOf } from '../types.js';

type Snapshot = EventOf<'Snapshot'>;
type SnapshotUser = Snapshot['activeUsers']['edges'][number]['node'];
type UserRef = EventOf<'UserJoined'>['user'];

// One decoder per selection in `ActivityChangedSubscription` (operations.ts).
// Each is typed by the generated type it checks: a field added to the
// operation and regenerated makes these fail to compile until checked here.

const session = object<SessionFieldsFragment>({
  id: nonEmptyString,
  userId: nonEmptyString,
  userName: nullable(string),
  ipAddress: nullable(string),
  path: nullable(string),
  userAgent: nullable(string),
  startedAt: dateTime,
  lastSeen: dateTime,
  eventCount: int,
});

const stats = object<StatsFieldsFragment>({
  activeUsers: int,
  activeSessions: int,
  eventsLastMinute: int,
  at: dateTime,
  topPaths: array(object<StatsFieldsFragment['topPaths'][number]>({ path: string, sessions: int })),
  eventsPerMinute: array(object<StatsFieldsFragment['eventsPerMinute'][number]>({ minute: dateTime, events: int })),
});

const user = object<UserRef>({ id: nonEmptyString, name: nullable(string) });

const snapshotUser = object<SnapshotUser>({ id: nonEmptyString, name: nullable(string), lastSeen: dateTime, sessionCount: int, sessions: array(session) });

const activeUsers = object<Snapshot['activeUsers']>({
  edges: array(object<Snapshot['activeUsers']['edges'][number]>({ node: snapshotUser })),
  pageInfo: object<Snapshot['activeUsers']['pageInfo']>({ hasNextPage: boolean, endCursor: nullable(string) }),
});

const cursor = nonEmptyString;

const DECODERS: { readonly [Name in ActivityEvent['__typename']]: Decoder<EventOf<Name>> } = {
  Snapshot: object<EventOf<'Snapshot'>>({
    __typename: literal('Snapshot'),
    cursor,
    at: dateTime,
    stats,
    activeUsers,
    resume: oneOf(['FRESH', 'CURSOR_TOO_OLD', 'OTHER_EPOCH']),
  }),
  Resumed: object<EventOf<'Resumed'>>({ __typename: literal('Resumed'), cursor, at: dateTime, stats }),
  SessionStarted: object<EventOf<'SessionStarted'>>({ __typename: literal('SessionStarted'), cursor, at: dateTime, session }),
  SessionUpdated: object<EventOf<'SessionUpdated'>>({
    __typename: literal('SessionUpdated'),
    cursor,
    at: dateTime,
    session,
    previousPath: nullable(string),
  }),
  SessionEnded: object<EventOf<'SessionEnded'>>({
    __typename: literal('SessionEnded'),
    cursor,
    at: dateTime,
    session,
    reason: oneOf(['IDLE_TIMEOUT', 'LOGOUT']),
  }),
  UserJoined: object<EventOf<'UserJoined'>>({ __typename: literal('UserJoined'), cursor, at: dateTime, user }),
  UserLeft: object<EventOf<'UserLeft'>>({ __typename: literal('UserLeft'), cursor, at: dateTime, user }),
  StatsChanged: object<EventOf<'StatsChanged'>>({ __typename: literal('StatsChanged'), cursor, at: dateTime, stats }),
};

function isKnownTypename(name: unknown): name is ActivityEvent['__typename'] {
  return typeof name === 'string' && Object.hasOwn(DECODERS, name);
}

/** The outcome of {@link validateEvent}. */
export type EventValidation = { readonly ok: true; readonly event: ActivityEvent } | { readonly ok: false; readonly problem: string };

/**
 * Checks one `activityChanged` payload as it came off the wire: its
 * `__typename` is one the operation knows, and `cursor`, `at` and every
 * field the operation selects for that type are present with the right
 * type (ids non-empty, dates ISO-8601 with a time zone, counts integers,
 * enums known). Returns the event (holding only the selected fields) or the
 * first problem, with its path (e.g. `SessionStarted.session.lastSeen`).
 * Never throws.
 */
export function validateEvent(value: unknown): EventValidation {
  if (!isRecord(value)) return { ok: false, problem: `event: expected an object, got ${describeValue(value)}` };
  const name = value.__typename;
  if (!isKnownTypename(name)) return { ok: false, problem: `event: unexpected __typename ${JSON.stringify(name) ?? 'undefined'}` };
  const decoded = DECODERS[name](value, name);
  return decoded.ok ? { ok: true, event: decoded.value } : decoded;
}
