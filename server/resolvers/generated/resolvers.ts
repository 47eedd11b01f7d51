import type { CursorPosition } from '../../domain/cursor.js';
import type { GraphQLResolveInfo, GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { SessionRecord, UserRef, ActiveUserRecord, StatsRecord, ActiveUsersPage } from '../../domain/activity.js';
import type { WireSessionStarted, WireSessionUpdated, WireSessionEnded, WireUserJoined, WireUserLeft, WireSnapshot, WireResumed, WireStatsChanged } from '../../domain/events.js';
import type { PulseContext } from '../context.js';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Omit<T, K extends keyof T> = Pick<T, Exclude<keyof T, K>>;
export type RequireFields<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /**
   * An opaque position in Pulse's change log: within one life of the log, a
   * later change has a larger cursor. Pass one back exactly as received (as
   * `activityChanged(since:)`). It names a place in every partition of the log
   * (one on a single Redis by default, `REDIS_PARTITIONS` on Redis Cluster), so
   * it is at most 4384 characters; anything else is `BAD_USER_INPUT` with
   * `extensions.field` `since`.
   */
  Cursor: { input: CursorPosition; output: CursorPosition; }
  /**
   * An instant, as an ISO-8601 string with a time zone (for example
   * `2026-11-27T08:00:00.000Z`): date, `T`, hours and minutes, optional seconds
   * with up to 9 decimals, then `Z` or `+hh:mm`/`-hh:mm`, so at most 35
   * characters. Anything else (or a date that does not exist) is
   * `BAD_USER_INPUT` with `extensions.field` `at`.
   */
  DateTime: { input: number; output: number; }
};

export type ActiveUser = {
  readonly __typename?: 'ActiveUser';
  readonly id: Scalars['ID']['output'];
  /** The latest activity of any of their sessions. */
  readonly lastSeen: Scalars['DateTime']['output'];
  readonly name?: Maybe<Scalars['String']['output']>;
  /**
   * How many sessions they have active, in all (whatever the filter, and
   * however many `sessions` lists).
   */
  readonly sessionCount: Scalars['Int']['output'];
  /**
   * Their `first` most recently active sessions, most recent first (ties by
   * session id, descending). `first` is 1 to 50 (else `BAD_USER_INPUT`,
   * `extensions.field` `first`); `sessionCount` says how many there are in all.
   * Under an `ActivityFilter.pathPrefix`, only the sessions that match.
   */
  readonly sessions: ReadonlyArray<Session>;
};


export type ActiveUserSessionsArgs = {
  first?: InputMaybe<Scalars['Int']['input']>;
};

export type ActiveUserConnection = {
  readonly __typename?: 'ActiveUserConnection';
  readonly edges: ReadonlyArray<ActiveUserEdge>;
  readonly pageInfo: PageInfo;
};

export type ActiveUserEdge = {
  readonly __typename?: 'ActiveUserEdge';
  readonly cursor: Scalars['String']['output'];
  readonly node: ActiveUser;
};

/** Something that happened, told apart by `__typename`. */
export type ActivityEvent = {
  readonly at: Scalars['DateTime']['output'];
  /** The position of this change; for `Snapshot` and `StatsChanged`, of the newest change they include. */
  readonly cursor: Scalars['Cursor']['output'];
};

/**
 * Narrows users and events. `userId` keeps one user; `pathPrefix` keeps the
 * sessions whose current path starts with it (a user appears when at least one
 * of their sessions matches, with the matching sessions only; only each user's
 * 200 most recently active sessions are looked at). `userId` is at most 128
 * characters and `pathPrefix` at most 2048, both well-formed Unicode, else
 * `BAD_USER_INPUT` with `extensions.field` `filter.userId` or
 * `filter.pathPrefix`. An empty string filters nothing.
 */
export type ActivityFilter = {
  readonly pathPrefix?: InputMaybe<Scalars['String']['input']>;
  readonly userId?: InputMaybe<Scalars['ID']['input']>;
};

/**
 * One activity event. Limits, in UTF-16 code units (JavaScript's `length`):
 * `sessionId` and `userId` 1 to 128, `userName` at most 128, `path` at most
 * 2048, `userAgent` at most 512; every string must be well-formed Unicode (no
 * lone surrogate). `ipAddress` is a plain IPv4 or IPv6 literal (dotted quad,
 * or IPv6 text with an optional trailing dotted quad) of at most 45
 * characters, with no zone id (`%eth0`). `at` is a `DateTime` (at most 35
 * characters); it defaults to now, and may not lie further in the future than
 * the allowed clock skew, nor further in the past than the idle timeout. A
 * value past its limit is `BAD_USER_INPUT` naming it in `extensions.field`
 * (and the batch position in `extensions.index`); an accepted value is stored
 * and sent exactly as given, except `ipAddress`, which `IP_MODE` masks first
 * (see `Query.privacy`).
 */
export type ActivityInput = {
  readonly at?: InputMaybe<Scalars['DateTime']['input']>;
  readonly ipAddress?: InputMaybe<Scalars['String']['input']>;
  readonly path?: InputMaybe<Scalars['String']['input']>;
  readonly sessionId: Scalars['ID']['input'];
  readonly userAgent?: InputMaybe<Scalars['String']['input']>;
  readonly userId: Scalars['ID']['input'];
  readonly userName?: InputMaybe<Scalars['String']['input']>;
};

/** What one `eraseUser` removed; all empty when there was nothing left to remove. */
export type ErasureReport = {
  readonly __typename?: 'ErasureReport';
  /** The active sessions it ended, each announced by a `SessionEnded` of reason `ERASED`. */
  readonly endedSessions: ReadonlyArray<Scalars['ID']['output']>;
  /** Changes about the user removed from the history kept for resuming. */
  readonly historyEntriesRemoved: Scalars['Int']['output'];
  readonly userId: Scalars['ID']['output'];
};

/** What `IP_MODE` stores of `ActivityInput.ipAddress`, decided before anything is stored, published or logged. */
export type IpMode =
  /** Nothing: `ipAddress` is always null. */
  | 'DROP'
  /** The address as given. */
  | 'FULL'
  /**
   * A keyed pseudonym: HMAC-SHA-256 of the address under a random salt, as 16
   * hex characters. The salt rotates daily and is deleted 48 hours after its
   * day, so the same address has the same pseudonym within one (UTC) day only.
   */
  | 'HASH'
  /** The network only: IPv4 to its /24, IPv6 to its /48, as the network address (`203.0.113.0`, `2001:db8:85a3::`). */
  | 'TRUNCATE';

/** Activity events received in one minute. */
export type MinuteCount = {
  readonly __typename?: 'MinuteCount';
  readonly events: Scalars['Int']['output'];
  /** The start of that minute. */
  readonly minute: Scalars['DateTime']['output'];
};

export type Mutation = {
  readonly __typename?: 'Mutation';
  /**
   * Ends a session at once (logout). Returns false when no such session was
   * active. `sessionId` is 1 to 128 characters of well-formed Unicode, else
   * `BAD_USER_INPUT` (`extensions.field` `sessionId`).
   */
  readonly endSession: Scalars['Boolean']['output'];
  /**
   * Erases a person. Requires the `admin` role (else `FORBIDDEN`). Ends every
   * active session of `userId` (each with a `SessionEnded` of reason `ERASED`,
   * then one `UserLeft`), exactly once however many processes are asked, and
   * removes every stored trace of the user: sessions, user entry and the
   * changes about them kept for resuming. The events that announce it carry
   * ids only. Erasing again removes nothing more and says so. `userId` is 1 to
   * 128 characters of well-formed Unicode, else `BAD_USER_INPUT`
   * (`extensions.field` `userId`).
   */
  readonly eraseUser: ErasureReport;
  /**
   * Records a batch of activity events: every event is validated first, and
   * invalid input records none. At most `MAX_BATCH_SIZE` events. On one Redis
   * (and in memory) the batch is atomic: a `SESSION_USER_MISMATCH` records
   * none of it. On Redis Cluster each partition (users are spread over them)
   * records its part atomically on its own: a `SESSION_USER_MISMATCH` then
   * lists the refused events in `extensions.indexes`, and
   * `extensions.recorded` says how many of the others were recorded.
   */
  readonly recordActivities: RecordActivitiesPayload;
  /**
   * Records one activity event. Requires the `ingest` or `admin` role.
   * Fails with `BAD_USER_INPUT` for invalid input and `SESSION_USER_MISMATCH`
   * when the session belongs to another user; nothing is recorded then.
   */
  readonly recordActivity: Session;
};


export type MutationEndSessionArgs = {
  sessionId: Scalars['ID']['input'];
};


export type MutationEraseUserArgs = {
  userId: Scalars['ID']['input'];
};


export type MutationRecordActivitiesArgs = {
  inputs: ReadonlyArray<ActivityInput>;
};


export type MutationRecordActivityArgs = {
  input: ActivityInput;
};

export type PageInfo = {
  readonly __typename?: 'PageInfo';
  readonly endCursor?: Maybe<Scalars['String']['output']>;
  readonly hasNextPage: Scalars['Boolean']['output'];
};

export type PathCount = {
  readonly __typename?: 'PathCount';
  readonly path: Scalars['String']['output'];
  /** Active sessions whose current path this is. */
  readonly sessions: Scalars['Int']['output'];
};

/** How this deployment treats personal data (see the README's Personal data section). */
export type PrivacyPolicy = {
  readonly __typename?: 'PrivacyPolicy';
  /**
   * The longest, in milliseconds, that a change (and the personal fields it
   * carries) is kept for resuming after it happened: `HISTORY_MAX_AGE_MS`.
   * An ended session leaves nothing else behind.
   */
  readonly historyMaxAgeMs: Scalars['Int']['output'];
  readonly ipMode: IpMode;
};

export type Query = {
  readonly __typename?: 'Query';
  /**
   * Active users, most recently active first, each with their most recently
   * active sessions. `first` is 1 to 100. Pass `pageInfo.endCursor` as `after`
   * for the next page: a page cursor is at most 535 characters, and one Pulse
   * did not issue is `BAD_USER_INPUT` (`extensions.field` `after`); an empty
   * `after` means the first page. Every refusal names its argument in
   * `extensions.field`.
   */
  readonly activeUsers: ActiveUserConnection;
  /** How this deployment treats personal data: what is stored of an address, and for how long history is kept. */
  readonly privacy: PrivacyPolicy;
  /** Live figures over the active sessions. Constant time in the number of sessions. */
  readonly stats: Stats;
};


export type QueryActiveUsersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  filter?: InputMaybe<ActivityFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

export type RecordActivitiesPayload = {
  readonly __typename?: 'RecordActivitiesPayload';
  /** How many events were recorded. */
  readonly recorded: Scalars['Int']['output'];
  /** Each event's session after the batch, in input order. */
  readonly sessions: ReadonlyArray<Session>;
};

/** Why a stream starts with a `Snapshot`. */
export type ResumeOutcome =
  /** The changes after `since` are no longer all in the history (too many, or too old). */
  | 'CURSOR_TOO_OLD'
  /** No `since` was given. */
  | 'FRESH'
  /** `since` belongs to another life of the change log (a restarted memory server, a flushed Redis). */
  | 'OTHER_EPOCH';

/**
 * The stream resumed from `since` (its `cursor`): keep the state, apply the
 * changes that follow. `stats` are the current figures.
 */
export type Resumed = ActivityEvent & {
  readonly __typename?: 'Resumed';
  readonly at: Scalars['DateTime']['output'];
  readonly cursor: Scalars['Cursor']['output'];
  readonly stats: Stats;
};

export type Session = {
  readonly __typename?: 'Session';
  /** Activity events recorded for this session. */
  readonly eventCount: Scalars['Int']['output'];
  readonly id: Scalars['ID']['output'];
  /** The address as `IP_MODE` stored it (see `Query.privacy`): as given, truncated, a pseudonym, or null. */
  readonly ipAddress?: Maybe<Scalars['String']['output']>;
  readonly lastSeen: Scalars['DateTime']['output'];
  readonly path?: Maybe<Scalars['String']['output']>;
  readonly startedAt: Scalars['DateTime']['output'];
  readonly userAgent?: Maybe<Scalars['String']['output']>;
  readonly userId: Scalars['ID']['output'];
  readonly userName?: Maybe<Scalars['String']['output']>;
};

export type SessionEndReason =
  /**
   * Ended by `eraseUser`: the event carries ids and times only, so its
   * `userName`, `ipAddress`, `path` and `userAgent` are null.
   */
  | 'ERASED'
  /** No activity for longer than the idle timeout. */
  | 'IDLE_TIMEOUT'
  /** Ended by `endSession`. */
  | 'LOGOUT';

export type SessionEnded = ActivityEvent & {
  readonly __typename?: 'SessionEnded';
  readonly at: Scalars['DateTime']['output'];
  readonly cursor: Scalars['Cursor']['output'];
  readonly reason: SessionEndReason;
  readonly session: Session;
};

export type SessionStarted = ActivityEvent & {
  readonly __typename?: 'SessionStarted';
  readonly at: Scalars['DateTime']['output'];
  readonly cursor: Scalars['Cursor']['output'];
  readonly session: Session;
};

export type SessionUpdated = ActivityEvent & {
  readonly __typename?: 'SessionUpdated';
  readonly at: Scalars['DateTime']['output'];
  readonly cursor: Scalars['Cursor']['output'];
  /** The session's path before this event. */
  readonly previousPath?: Maybe<Scalars['String']['output']>;
  readonly session: Session;
};

/** The whole state to start from; replaces whatever the client held. */
export type Snapshot = ActivityEvent & {
  readonly __typename?: 'Snapshot';
  readonly activeUsers: ActiveUserConnection;
  readonly at: Scalars['DateTime']['output'];
  readonly cursor: Scalars['Cursor']['output'];
  /** `FRESH`, or why `since` could not be resumed from. */
  readonly resume: ResumeOutcome;
  readonly stats: Stats;
};

export type Stats = {
  readonly __typename?: 'Stats';
  readonly activeSessions: Scalars['Int']['output'];
  readonly activeUsers: Scalars['Int']['output'];
  /** When these figures were computed. */
  readonly at: Scalars['DateTime']['output'];
  /** Activity events received in the last 60 seconds. */
  readonly eventsLastMinute: Scalars['Int']['output'];
  /**
   * Activity events received in each whole minute of the last `minutes`, oldest
   * first, the last entry being the current (partial) minute. Minutes without
   * events are included with 0, so there are always `minutes` entries.
   * `minutes` is between 1 and 30 (else `BAD_USER_INPUT`).
   */
  readonly eventsPerMinute: ReadonlyArray<MinuteCount>;
  /** The paths with the most active sessions on them, busiest first. `limit` is at most 50. */
  readonly topPaths: ReadonlyArray<PathCount>;
};


export type StatsEventsPerMinuteArgs = {
  minutes?: InputMaybe<Scalars['Int']['input']>;
};


export type StatsTopPathsArgs = {
  limit?: InputMaybe<Scalars['Int']['input']>;
};

export type StatsChanged = ActivityEvent & {
  readonly __typename?: 'StatsChanged';
  readonly at: Scalars['DateTime']['output'];
  readonly cursor: Scalars['Cursor']['output'];
  readonly stats: Stats;
};

export type Subscription = {
  readonly __typename?: 'Subscription';
  /**
   * First a `Snapshot` (stats, the first `first` active users matching `filter`,
   * and the cursor of the newest change it includes), then every later change
   * in cursor order, and `StatsChanged` whenever a figure changes (at most once
   * per `STATS_INTERVAL_MS`). Requires the `admin` role; each admin may hold
   * at most `MAX_SUBSCRIPTIONS_PER_ADMIN` of these at once (`TOO_MANY_SUBSCRIPTIONS`).
   *
   * With `since` (the `cursor` of the last event applied, as received), the
   * stream resumes instead: first `Resumed`, then every change after `since`
   * that matches `filter`, then live ones, with no gap and no repeat. When the
   * changes after `since` are no longer all kept (`HISTORY_SIZE`,
   * `HISTORY_MAX_AGE_MS`) or `since` comes from another life of the log, the
   * first event is a `Snapshot` whose `resume` says why: replace the state.
   *
   * `first` is 1 to 100; `filter` has the bounds of `ActivityFilter`; `since`
   * those of `Cursor`. A refusal is `BAD_USER_INPUT` naming the argument in
   * `extensions.field`.
   */
  readonly activityChanged: ActivityEvent;
};


export type SubscriptionActivityChangedArgs = {
  filter?: InputMaybe<ActivityFilter>;
  first?: InputMaybe<Scalars['Int']['input']>;
  since?: InputMaybe<Scalars['Cursor']['input']>;
};

/** A user, as named by their most recent activity. */
export type User = {
  readonly __typename?: 'User';
  readonly id: Scalars['ID']['output'];
  readonly name?: Maybe<Scalars['String']['output']>;
};

/** A user's first active session started. */
export type UserJoined = ActivityEvent & {
  readonly __typename?: 'UserJoined';
  readonly at: Scalars['DateTime']['output'];
  readonly cursor: Scalars['Cursor']['output'];
  readonly user: User;
};

/** A user's last active session ended (after an `eraseUser`, `user.name` is null). */
export type UserLeft = ActivityEvent & {
  readonly __typename?: 'UserLeft';
  readonly at: Scalars['DateTime']['output'];
  readonly cursor: Scalars['Cursor']['output'];
  readonly user: User;
};



export type ResolverTypeWrapper<T> = Promise<T> | T;


export type ResolverWithResolve<TResult, TParent, TContext, TArgs> = {
  resolve: ResolverFn<TResult, TParent, TContext, TArgs>;
};
export type Resolver<TResult, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = ResolverFn<TResult, TParent, TContext, TArgs> | ResolverWithResolve<TResult, TParent, TContext, TArgs>;

export type ResolverFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => Promise<TResult> | TResult;

export type SubscriptionSubscribeFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => AsyncIterable<TResult> | Promise<AsyncIterable<TResult>>;

export type SubscriptionResolveFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

export interface SubscriptionSubscriberObject<TResult, TKey extends string, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<{ [key in TKey]: TResult }, TParent, TContext, TArgs>;
  resolve?: SubscriptionResolveFn<TResult, { [key in TKey]: TResult }, TContext, TArgs>;
}

export interface SubscriptionResolverObject<TResult, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<any, TParent, TContext, TArgs>;
  resolve: SubscriptionResolveFn<TResult, any, TContext, TArgs>;
}

export type SubscriptionObject<TResult, TKey extends string, TParent, TContext, TArgs> =
  | SubscriptionSubscriberObject<TResult, TKey, TParent, TContext, TArgs>
  | SubscriptionResolverObject<TResult, TParent, TContext, TArgs>;

export type SubscriptionResolver<TResult, TKey extends string, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> =
  | ((...args: any[]) => SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>)
  | SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>;

export type TypeResolveFn<TTypes, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (
  parent: TParent,
  context: TContext,
  info: GraphQLResolveInfo
) => Maybe<TTypes> | Promise<Maybe<TTypes>>;

export type IsTypeOfResolverFn<T = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (obj: T, context: TContext, info: GraphQLResolveInfo) => boolean | Promise<boolean>;

export type NextResolverFn<T> = () => Promise<T>;

export type DirectiveResolverFn<TResult = Record<PropertyKey, never>, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = (
  next: NextResolverFn<TResult>,
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;




/** Mapping of interface types */
export type ResolversInterfaceTypes<_RefType extends Record<string, unknown>> = {
  ActivityEvent:
    | ( WireResumed )
    | ( WireSessionEnded )
    | ( WireSessionStarted )
    | ( WireSessionUpdated )
    | ( WireSnapshot )
    | ( WireStatsChanged )
    | ( WireUserJoined )
    | ( WireUserLeft )
  ;
};

/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = {
  ActiveUser: ResolverTypeWrapper<ActiveUserRecord>;
  ActiveUserConnection: ResolverTypeWrapper<ActiveUsersPage>;
  ActiveUserEdge: ResolverTypeWrapper<Omit<ActiveUserEdge, 'node'> & { node: ResolversTypes['ActiveUser'] }>;
  ActivityEvent: ResolverTypeWrapper<ResolversInterfaceTypes<ResolversTypes>['ActivityEvent']>;
  ActivityFilter: ActivityFilter;
  ActivityInput: ActivityInput;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  Cursor: ResolverTypeWrapper<Scalars['Cursor']['output']>;
  DateTime: ResolverTypeWrapper<Scalars['DateTime']['output']>;
  ErasureReport: ResolverTypeWrapper<ErasureReport>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  IpMode: IpMode;
  MinuteCount: ResolverTypeWrapper<MinuteCount>;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  PageInfo: ResolverTypeWrapper<PageInfo>;
  PathCount: ResolverTypeWrapper<PathCount>;
  PrivacyPolicy: ResolverTypeWrapper<PrivacyPolicy>;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  RecordActivitiesPayload: ResolverTypeWrapper<Omit<RecordActivitiesPayload, 'sessions'> & { sessions: ReadonlyArray<ResolversTypes['Session']> }>;
  ResumeOutcome: ResumeOutcome;
  Resumed: ResolverTypeWrapper<WireResumed>;
  Session: ResolverTypeWrapper<SessionRecord>;
  SessionEndReason: SessionEndReason;
  SessionEnded: ResolverTypeWrapper<WireSessionEnded>;
  SessionStarted: ResolverTypeWrapper<WireSessionStarted>;
  SessionUpdated: ResolverTypeWrapper<WireSessionUpdated>;
  Snapshot: ResolverTypeWrapper<WireSnapshot>;
  Stats: ResolverTypeWrapper<StatsRecord>;
  StatsChanged: ResolverTypeWrapper<WireStatsChanged>;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  Subscription: ResolverTypeWrapper<Record<PropertyKey, never>>;
  User: ResolverTypeWrapper<UserRef>;
  UserJoined: ResolverTypeWrapper<WireUserJoined>;
  UserLeft: ResolverTypeWrapper<WireUserLeft>;
};

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = {
  ActiveUser: ActiveUserRecord;
  ActiveUserConnection: ActiveUsersPage;
  ActiveUserEdge: Omit<ActiveUserEdge, 'node'> & { node: ResolversParentTypes['ActiveUser'] };
  ActivityEvent: ResolversInterfaceTypes<ResolversParentTypes>['ActivityEvent'];
  ActivityFilter: ActivityFilter;
  ActivityInput: ActivityInput;
  Boolean: Scalars['Boolean']['output'];
  Cursor: Scalars['Cursor']['output'];
  DateTime: Scalars['DateTime']['output'];
  ErasureReport: ErasureReport;
  ID: Scalars['ID']['output'];
  Int: Scalars['Int']['output'];
  MinuteCount: MinuteCount;
  Mutation: Record<PropertyKey, never>;
  PageInfo: PageInfo;
  PathCount: PathCount;
  PrivacyPolicy: PrivacyPolicy;
  Query: Record<PropertyKey, never>;
  RecordActivitiesPayload: Omit<RecordActivitiesPayload, 'sessions'> & { sessions: ReadonlyArray<ResolversParentTypes['Session']> };
  Resumed: WireResumed;
  Session: SessionRecord;
  SessionEnded: WireSessionEnded;
  SessionStarted: WireSessionStarted;
  SessionUpdated: WireSessionUpdated;
  Snapshot: WireSnapshot;
  Stats: StatsRecord;
  StatsChanged: WireStatsChanged;
  String: Scalars['String']['output'];
  Subscription: Record<PropertyKey, never>;
  User: UserRef;
  UserJoined: WireUserJoined;
  UserLeft: WireUserLeft;
};

export type ActiveUserResolvers<ContextType = PulseContext, ParentType extends ResolversParentTypes['ActiveUser'] = ResolversParentTypes['ActiveUser']> = {
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  lastSeen?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  name?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  sessionCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  sessions?: Resolver<ReadonlyArray<ResolversTypes['Session']>, ParentType, ContextType, RequireFields<ActiveUserSessionsArgs, 'first'>>;
};

export type ActiveUserConnectionResolvers<ContextType = PulseContext, ParentType extends ResolversParentTypes['ActiveUserConnection'] = ResolversParentTypes['ActiveUserConnection']> = {
  edges?: Resolver<ReadonlyArray<ResolversTypes['ActiveUserEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
};

export type ActiveUserEdgeResolvers<ContextType = PulseContext, ParentType extends ResolversParentTypes['ActiveUserEdge'] = ResolversParentTypes['ActiveUserEdge']> = {
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['ActiveUser'], ParentType, ContextType>;
};

export type ActivityEventResolvers<ContextType = PulseContext, ParentType extends ResolversParentTypes['ActivityEvent'] = ResolversParentTypes['ActivityEvent']> = {
  __resolveType: TypeResolveFn<'Resumed' | 'SessionEnded' | 'SessionStarted' | 'SessionUpdated' | 'Snapshot' | 'StatsChanged' | 'UserJoined' | 'UserLeft', ParentType, ContextType>;
};

export interface CursorScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['Cursor'], any> {
  name: 'Cursor';
}

export interface DateTimeScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['DateTime'], any> {
  name: 'DateTime';
}

export type ErasureReportResolvers<ContextType = PulseContext, ParentType extends ResolversParentTypes['ErasureReport'] = ResolversParentTypes['ErasureReport']> = {
  endedSessions?: Resolver<ReadonlyArray<ResolversTypes['ID']>, ParentType, ContextType>;
  historyEntriesRemoved?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  userId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export type MinuteCountResolvers<ContextType = PulseContext, ParentType extends ResolversParentTypes['MinuteCount'] = ResolversParentTypes['MinuteCount']> = {
  events?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  minute?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
};

export type MutationResolvers<ContextType = PulseContext, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = {
  endSession?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType, RequireFields<MutationEndSessionArgs, 'sessionId'>>;
  eraseUser?: Resolver<ResolversTypes['ErasureReport'], ParentType, ContextType, RequireFields<MutationEraseUserArgs, 'userId'>>;
  recordActivities?: Resolver<ResolversTypes['RecordActivitiesPayload'], ParentType, ContextType, RequireFields<MutationRecordActivitiesArgs, 'inputs'>>;
  recordActivity?: Resolver<ResolversTypes['Session'], ParentType, ContextType, RequireFields<MutationRecordActivityArgs, 'input'>>;
};

export type PageInfoResolvers<ContextType = PulseContext, ParentType extends ResolversParentTypes['PageInfo'] = ResolversParentTypes['PageInfo']> = {
  endCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  hasNextPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
};

export type PathCountResolvers<ContextType = PulseContext, ParentType extends ResolversParentTypes['PathCount'] = ResolversParentTypes['PathCount']> = {
  path?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  sessions?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type PrivacyPolicyResolvers<ContextType = PulseContext, ParentType extends ResolversParentTypes['PrivacyPolicy'] = ResolversParentTypes['PrivacyPolicy']> = {
  historyMaxAgeMs?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  ipMode?: Resolver<ResolversTypes['IpMode'], ParentType, ContextType>;
};

export type QueryResolvers<ContextType = PulseContext, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = {
  activeUsers?: Resolver<ResolversTypes['ActiveUserConnection'], ParentType, ContextType, RequireFields<QueryActiveUsersArgs, 'first'>>;
  privacy?: Resolver<ResolversTypes['PrivacyPolicy'], ParentType, ContextType>;
  stats?: Resolver<ResolversTypes['Stats'], ParentType, ContextType>;
};

export type RecordActivitiesPayloadResolvers<ContextType = PulseContext, ParentType extends ResolversParentTypes['RecordActivitiesPayload'] = ResolversParentTypes['RecordActivitiesPayload']> = {
  recorded?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  sessions?: Resolver<ReadonlyArray<ResolversTypes['Session']>, ParentType, ContextType>;
};

export type ResumedResolvers<ContextType = PulseContext, ParentType extends ResolversParentTypes['Resumed'] = ResolversParentTypes['Resumed']> = {
  at?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  cursor?: Resolver<ResolversTypes['Cursor'], ParentType, ContextType>;
  stats?: Resolver<ResolversTypes['Stats'], ParentType, ContextType>;
  __isTypeOf?: IsTypeOfResolverFn<ParentType, ContextType>;
};

export type SessionResolvers<ContextType = PulseContext, ParentType extends ResolversParentTypes['Session'] = ResolversParentTypes['Session']> = {
  eventCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  ipAddress?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  lastSeen?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  path?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  startedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  userAgent?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  userId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  userName?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type SessionEndedResolvers<ContextType = PulseContext, ParentType extends ResolversParentTypes['SessionEnded'] = ResolversParentTypes['SessionEnded']> = {
  at?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  cursor?: Resolver<ResolversTypes['Cursor'], ParentType, ContextType>;
  reason?: Resolver<ResolversTypes['SessionEndReason'], ParentType, ContextType>;
  session?: Resolver<ResolversTypes['Session'], ParentType, ContextType>;
  __isTypeOf?: IsTypeOfResolverFn<ParentType, ContextType>;
};

export type SessionStartedResolvers<ContextType = PulseContext, ParentType extends ResolversParentTypes['SessionStarted'] = ResolversParentTypes['SessionStarted']> = {
  at?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  cursor?: Resolver<ResolversTypes['Cursor'], ParentType, ContextType>;
  session?: Resolver<ResolversTypes['Session'], ParentType, ContextType>;
  __isTypeOf?: IsTypeOfResolverFn<ParentType, ContextType>;
};

export type SessionUpdatedResolvers<ContextType = PulseContext, ParentType extends ResolversParentTypes['SessionUpdated'] = ResolversParentTypes['SessionUpdated']> = {
  at?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  cursor?: Resolver<ResolversTypes['Cursor'], ParentType, ContextType>;
  previousPath?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  session?: Resolver<ResolversTypes['Session'], ParentType, ContextType>;
  __isTypeOf?: IsTypeOfResolverFn<ParentType, ContextType>;
};

export type SnapshotResolvers<ContextType = PulseContext, ParentType extends ResolversParentTypes['Snapshot'] = ResolversParentTypes['Snapshot']> = {
  activeUsers?: Resolver<ResolversTypes['ActiveUserConnection'], ParentType, ContextType>;
  at?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  cursor?: Resolver<ResolversTypes['Cursor'], ParentType, ContextType>;
  resume?: Resolver<ResolversTypes['ResumeOutcome'], ParentType, ContextType>;
  stats?: Resolver<ResolversTypes['Stats'], ParentType, ContextType>;
  __isTypeOf?: IsTypeOfResolverFn<ParentType, ContextType>;
};

export type StatsResolvers<ContextType = PulseContext, ParentType extends ResolversParentTypes['Stats'] = ResolversParentTypes['Stats']> = {
  activeSessions?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  activeUsers?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  at?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  eventsLastMinute?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  eventsPerMinute?: Resolver<ReadonlyArray<ResolversTypes['MinuteCount']>, ParentType, ContextType, RequireFields<StatsEventsPerMinuteArgs, 'minutes'>>;
  topPaths?: Resolver<ReadonlyArray<ResolversTypes['PathCount']>, ParentType, ContextType, RequireFields<StatsTopPathsArgs, 'limit'>>;
};

export type StatsChangedResolvers<ContextType = PulseContext, ParentType extends ResolversParentTypes['StatsChanged'] = ResolversParentTypes['StatsChanged']> = {
  at?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  cursor?: Resolver<ResolversTypes['Cursor'], ParentType, ContextType>;
  stats?: Resolver<ResolversTypes['Stats'], ParentType, ContextType>;
  __isTypeOf?: IsTypeOfResolverFn<ParentType, ContextType>;
};

export type SubscriptionResolvers<ContextType = PulseContext, ParentType extends ResolversParentTypes['Subscription'] = ResolversParentTypes['Subscription']> = {
  activityChanged?: SubscriptionResolver<ResolversTypes['ActivityEvent'], "activityChanged", ParentType, ContextType, RequireFields<SubscriptionActivityChangedArgs, 'first'>>;
};

export type UserResolvers<ContextType = PulseContext, ParentType extends ResolversParentTypes['User'] = ResolversParentTypes['User']> = {
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  name?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type UserJoinedResolvers<ContextType = PulseContext, ParentType extends ResolversParentTypes['UserJoined'] = ResolversParentTypes['UserJoined']> = {
  at?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  cursor?: Resolver<ResolversTypes['Cursor'], ParentType, ContextType>;
  user?: Resolver<ResolversTypes['User'], ParentType, ContextType>;
  __isTypeOf?: IsTypeOfResolverFn<ParentType, ContextType>;
};

export type UserLeftResolvers<ContextType = PulseContext, ParentType extends ResolversParentTypes['UserLeft'] = ResolversParentTypes['UserLeft']> = {
  at?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  cursor?: Resolver<ResolversTypes['Cursor'], ParentType, ContextType>;
  user?: Resolver<ResolversTypes['User'], ParentType, ContextType>;
  __isTypeOf?: IsTypeOfResolverFn<ParentType, ContextType>;
};

export type Resolvers<ContextType = PulseContext> = {
  ActiveUser?: ActiveUserResolvers<ContextType>;
  ActiveUserConnection?: ActiveUserConnectionResolvers<ContextType>;
  ActiveUserEdge?: ActiveUserEdgeResolvers<ContextType>;
  ActivityEvent?: ActivityEventResolvers<ContextType>;
  Cursor?: GraphQLScalarType;
  DateTime?: GraphQLScalarType;
  ErasureReport?: ErasureReportResolvers<ContextType>;
  MinuteCount?: MinuteCountResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  PageInfo?: PageInfoResolvers<ContextType>;
  PathCount?: PathCountResolvers<ContextType>;
  PrivacyPolicy?: PrivacyPolicyResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  RecordActivitiesPayload?: RecordActivitiesPayloadResolvers<ContextType>;
  Resumed?: ResumedResolvers<ContextType>;
  Session?: SessionResolvers<ContextType>;
  SessionEnded?: SessionEndedResolvers<ContextType>;
  SessionStarted?: SessionStartedResolvers<ContextType>;
  SessionUpdated?: SessionUpdatedResolvers<ContextType>;
  Snapshot?: SnapshotResolvers<ContextType>;
  Stats?: StatsResolvers<ContextType>;
  StatsChanged?: StatsChangedResolvers<ContextType>;
  Subscription?: SubscriptionResolvers<ContextType>;
  User?: UserResolvers<ContextType>;
  UserJoined?: UserJoinedResolvers<ContextType>;
  UserLeft?: UserLeftResolvers<ContextType>;
};

