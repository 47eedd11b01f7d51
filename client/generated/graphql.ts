/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
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
  pathPrefix?: string | null | undefined;
  userId?: string | number | null | undefined;
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
  at?: string | null | undefined;
  ipAddress?: string | null | undefined;
  path?: string | null | undefined;
  sessionId: string | number;
  userAgent?: string | null | undefined;
  userId: string | number;
  userName?: string | null | undefined;
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

/** Why a stream starts with a `Snapshot`. */
export type ResumeOutcome =
  /** The changes after `since` are no longer all in the history (too many, or too old). */
  | 'CURSOR_TOO_OLD'
  /** No `since` was given. */
  | 'FRESH'
  /** `since` belongs to another life of the change log (a restarted memory server, a flushed Redis). */
  | 'OTHER_EPOCH';

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

export type SessionFieldsFragment = { id: string, userId: string, userName: string | null, ipAddress: string | null, path: string | null, userAgent: string | null, startedAt: string, lastSeen: string, eventCount: number };

export type StatsFieldsFragment = { activeUsers: number, activeSessions: number, eventsLastMinute: number, at: string, topPaths: Array<{ path: string, sessions: number }>, eventsPerMinute: Array<{ minute: string, events: number }> };

export type ActivityChangedSubscriptionVariables = Exact<{
  filter?: ActivityFilter | null | undefined;
  first?: number | null | undefined;
  since?: string | null | undefined;
}>;


export type ActivityChangedSubscription = { activityChanged:
    | { __typename: 'Resumed', cursor: string, at: string, stats: { activeUsers: number, activeSessions: number, eventsLastMinute: number, at: string, topPaths: Array<{ path: string, sessions: number }>, eventsPerMinute: Array<{ minute: string, events: number }> } }
    | { __typename: 'SessionEnded', reason: SessionEndReason, cursor: string, at: string, session: { id: string, userId: string, userName: string | null, ipAddress: string | null, path: string | null, userAgent: string | null, startedAt: string, lastSeen: string, eventCount: number } }
    | { __typename: 'SessionStarted', cursor: string, at: string, session: { id: string, userId: string, userName: string | null, ipAddress: string | null, path: string | null, userAgent: string | null, startedAt: string, lastSeen: string, eventCount: number } }
    | { __typename: 'SessionUpdated', previousPath: string | null, cursor: string, at: string, session: { id: string, userId: string, userName: string | null, ipAddress: string | null, path: string | null, userAgent: string | null, startedAt: string, lastSeen: string, eventCount: number } }
    | { __typename: 'Snapshot', resume: ResumeOutcome, cursor: string, at: string, stats: { activeUsers: number, activeSessions: number, eventsLastMinute: number, at: string, topPaths: Array<{ path: string, sessions: number }>, eventsPerMinute: Array<{ minute: string, events: number }> }, activeUsers: { edges: Array<{ node: { id: string, name: string | null, lastSeen: string, sessionCount: number, sessions: Array<{ id: string, userId: string, userName: string | null, ipAddress: string | null, path: string | null, userAgent: string | null, startedAt: string, lastSeen: string, eventCount: number }> } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } }
    | { __typename: 'StatsChanged', cursor: string, at: string, stats: { activeUsers: number, activeSessions: number, eventsLastMinute: number, at: string, topPaths: Array<{ path: string, sessions: number }>, eventsPerMinute: Array<{ minute: string, events: number }> } }
    | { __typename: 'UserJoined', cursor: string, at: string, user: { id: string, name: string | null } }
    | { __typename: 'UserLeft', cursor: string, at: string, user: { id: string, name: string | null } }
   };

export type StatsQueryVariables = Exact<{ [key: string]: never; }>;


export type StatsQuery = { stats: { activeUsers: number, activeSessions: number, eventsLastMinute: number, at: string, topPaths: Array<{ path: string, sessions: number }>, eventsPerMinute: Array<{ minute: string, events: number }> } };

export type RecordActivitiesMutationVariables = Exact<{
  inputs: Array<ActivityInput> | ActivityInput;
}>;


export type RecordActivitiesMutation = { recordActivities: { recorded: number } };

export type PrivacyQueryVariables = Exact<{ [key: string]: never; }>;


export type PrivacyQuery = { privacy: { ipMode: IpMode, historyMaxAgeMs: number } };

export const SessionFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"SessionFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Session"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"userId"}},{"kind":"Field","name":{"kind":"Name","value":"userName"}},{"kind":"Field","name":{"kind":"Name","value":"ipAddress"}},{"kind":"Field","name":{"kind":"Name","value":"path"}},{"kind":"Field","name":{"kind":"Name","value":"userAgent"}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastSeen"}},{"kind":"Field","name":{"kind":"Name","value":"eventCount"}}]}}]} as unknown as DocumentNode<SessionFieldsFragment, unknown>;
export const StatsFieldsFragmentDoc = {"kind":"Document","definitions":[{"kind":"FragmentDefinition","name":{"kind":"Name","value":"StatsFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Stats"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"activeUsers"}},{"kind":"Field","name":{"kind":"Name","value":"activeSessions"}},{"kind":"Field","name":{"kind":"Name","value":"eventsLastMinute"}},{"kind":"Field","name":{"kind":"Name","value":"topPaths"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"limit"},"value":{"kind":"IntValue","value":"10"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"path"}},{"kind":"Field","name":{"kind":"Name","value":"sessions"}}]}},{"kind":"Field","name":{"kind":"Name","value":"eventsPerMinute"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"minutes"},"value":{"kind":"IntValue","value":"30"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"minute"}},{"kind":"Field","name":{"kind":"Name","value":"events"}}]}},{"kind":"Field","name":{"kind":"Name","value":"at"}}]}}]} as unknown as DocumentNode<StatsFieldsFragment, unknown>;
export const ActivityChangedDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"ActivityChanged"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"filter"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"ActivityFilter"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"since"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Cursor"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"activityChanged"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"filter"},"value":{"kind":"Variable","name":{"kind":"Name","value":"filter"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"since"},"value":{"kind":"Variable","name":{"kind":"Name","value":"since"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"__typename"}},{"kind":"Field","name":{"kind":"Name","value":"cursor"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Resumed"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"stats"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"StatsFields"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Snapshot"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"resume"}},{"kind":"Field","name":{"kind":"Name","value":"stats"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"StatsFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"activeUsers"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"edges"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"node"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"lastSeen"}},{"kind":"Field","name":{"kind":"Name","value":"sessionCount"}},{"kind":"Field","name":{"kind":"Name","value":"sessions"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"SessionFields"}}]}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"SessionStarted"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"session"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"SessionFields"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"SessionUpdated"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"session"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"SessionFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"previousPath"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"SessionEnded"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"session"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"SessionFields"}}]}},{"kind":"Field","name":{"kind":"Name","value":"reason"}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"UserJoined"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"UserLeft"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}},{"kind":"InlineFragment","typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"StatsChanged"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"stats"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"StatsFields"}}]}}]}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"StatsFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Stats"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"activeUsers"}},{"kind":"Field","name":{"kind":"Name","value":"activeSessions"}},{"kind":"Field","name":{"kind":"Name","value":"eventsLastMinute"}},{"kind":"Field","name":{"kind":"Name","value":"topPaths"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"limit"},"value":{"kind":"IntValue","value":"10"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"path"}},{"kind":"Field","name":{"kind":"Name","value":"sessions"}}]}},{"kind":"Field","name":{"kind":"Name","value":"eventsPerMinute"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"minutes"},"value":{"kind":"IntValue","value":"30"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"minute"}},{"kind":"Field","name":{"kind":"Name","value":"events"}}]}},{"kind":"Field","name":{"kind":"Name","value":"at"}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"SessionFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Session"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"userId"}},{"kind":"Field","name":{"kind":"Name","value":"userName"}},{"kind":"Field","name":{"kind":"Name","value":"ipAddress"}},{"kind":"Field","name":{"kind":"Name","value":"path"}},{"kind":"Field","name":{"kind":"Name","value":"userAgent"}},{"kind":"Field","name":{"kind":"Name","value":"startedAt"}},{"kind":"Field","name":{"kind":"Name","value":"lastSeen"}},{"kind":"Field","name":{"kind":"Name","value":"eventCount"}}]}}]} as unknown as DocumentNode<ActivityChangedSubscription, ActivityChangedSubscriptionVariables>;
export const StatsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Stats"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"stats"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"FragmentSpread","name":{"kind":"Name","value":"StatsFields"}}]}}]}},{"kind":"FragmentDefinition","name":{"kind":"Name","value":"StatsFields"},"typeCondition":{"kind":"NamedType","name":{"kind":"Name","value":"Stats"}},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"activeUsers"}},{"kind":"Field","name":{"kind":"Name","value":"activeSessions"}},{"kind":"Field","name":{"kind":"Name","value":"eventsLastMinute"}},{"kind":"Field","name":{"kind":"Name","value":"topPaths"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"limit"},"value":{"kind":"IntValue","value":"10"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"path"}},{"kind":"Field","name":{"kind":"Name","value":"sessions"}}]}},{"kind":"Field","name":{"kind":"Name","value":"eventsPerMinute"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"minutes"},"value":{"kind":"IntValue","value":"30"}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"minute"}},{"kind":"Field","name":{"kind":"Name","value":"events"}}]}},{"kind":"Field","name":{"kind":"Name","value":"at"}}]}}]} as unknown as DocumentNode<StatsQuery, StatsQueryVariables>;
export const RecordActivitiesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RecordActivities"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"inputs"}},"type":{"kind":"NonNullType","type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ActivityInput"}}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"recordActivities"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"inputs"},"value":{"kind":"Variable","name":{"kind":"Name","value":"inputs"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"recorded"}}]}}]}}]} as unknown as DocumentNode<RecordActivitiesMutation, RecordActivitiesMutationVariables>;
export const PrivacyDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Privacy"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"privacy"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"ipMode"}},{"kind":"Field","name":{"kind":"Name","value":"historyMaxAgeMs"}}]}}]}}]} as unknown as DocumentNode<PrivacyQuery, PrivacyQueryVariables>;