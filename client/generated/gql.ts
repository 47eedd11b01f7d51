/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment SessionFields on Session {\n    id\n    userId\n    userName\n    ipAddress\n    path\n    userAgent\n    startedAt\n    lastSeen\n    eventCount\n  }\n": typeof types.SessionFieldsFragmentDoc,
    "\n  fragment StatsFields on Stats {\n    activeUsers\n    activeSessions\n    eventsLastMinute\n    topPaths(limit: 10) {\n      path\n      sessions\n    }\n    eventsPerMinute(minutes: 30) {\n      minute\n      events\n    }\n    at\n  }\n": typeof types.StatsFieldsFragmentDoc,
    "\n  subscription ActivityChanged($filter: ActivityFilter, $first: Int, $since: Cursor) {\n    activityChanged(filter: $filter, first: $first, since: $since) {\n      __typename\n      cursor\n      at\n      ... on Resumed {\n        stats {\n          ...StatsFields\n        }\n      }\n      ... on Snapshot {\n        resume\n        stats {\n          ...StatsFields\n        }\n        activeUsers {\n          edges {\n            node {\n              id\n              name\n              lastSeen\n              sessionCount\n              sessions {\n                ...SessionFields\n              }\n            }\n          }\n          pageInfo {\n            hasNextPage\n            endCursor\n          }\n        }\n      }\n      ... on SessionStarted {\n        session {\n          ...SessionFields\n        }\n      }\n      ... on SessionUpdated {\n        session {\n          ...SessionFields\n        }\n        previousPath\n      }\n      ... on SessionEnded {\n        session {\n          ...SessionFields\n        }\n        reason\n      }\n      ... on UserJoined {\n        user {\n          id\n          name\n        }\n      }\n      ... on UserLeft {\n        user {\n          id\n          name\n        }\n      }\n      ... on StatsChanged {\n        stats {\n          ...StatsFields\n        }\n      }\n    }\n  }\n": typeof types.ActivityChangedDocument,
    "\n  query Stats {\n    stats {\n      ...StatsFields\n    }\n  }\n": typeof types.StatsDocument,
    "\n  mutation RecordActivities($inputs: [ActivityInput!]!) {\n    recordActivities(inputs: $inputs) {\n      recorded\n    }\n  }\n": typeof types.RecordActivitiesDocument,
    "\n  query Privacy {\n    privacy {\n      ipMode\n      historyMaxAgeMs\n    }\n  }\n": typeof types.PrivacyDocument,
};
const documents: Documents = {
    "\n  fragment SessionFields on Session {\n    id\n    userId\n    userName\n    ipAddress\n    path\n    userAgent\n    startedAt\n    lastSeen\n    eventCount\n  }\n": types.SessionFieldsFragmentDoc,
    "\n  fragment StatsFields on Stats {\n    activeUsers\n    activeSessions\n    eventsLastMinute\n    topPaths(limit: 10) {\n      path\n      sessions\n    }\n    eventsPerMinute(minutes: 30) {\n      minute\n      events\n    }\n    at\n  }\n": types.StatsFieldsFragmentDoc,
    "\n  subscription ActivityChanged($filter: ActivityFilter, $first: Int, $since: Cursor) {\n    activityChanged(filter: $filter, first: $first, since: $since) {\n      __typename\n      cursor\n      at\n      ... on Resumed {\n        stats {\n          ...StatsFields\n        }\n      }\n      ... on Snapshot {\n        resume\n        stats {\n          ...StatsFields\n        }\n        activeUsers {\n          edges {\n            node {\n              id\n              name\n              lastSeen\n              sessionCount\n              sessions {\n                ...SessionFields\n              }\n            }\n          }\n          pageInfo {\n            hasNextPage\n            endCursor\n          }\n        }\n      }\n      ... on SessionStarted {\n        session {\n          ...SessionFields\n        }\n      }\n      ... on SessionUpdated {\n        session {\n          ...SessionFields\n        }\n        previousPath\n      }\n      ... on SessionEnded {\n        session {\n          ...SessionFields\n        }\n        reason\n      }\n      ... on UserJoined {\n        user {\n          id\n          name\n        }\n      }\n      ... on UserLeft {\n        user {\n          id\n          name\n        }\n      }\n      ... on StatsChanged {\n        stats {\n          ...StatsFields\n        }\n      }\n    }\n  }\n": types.ActivityChangedDocument,
    "\n  query Stats {\n    stats {\n      ...StatsFields\n    }\n  }\n": types.StatsDocument,
    "\n  mutation RecordActivities($inputs: [ActivityInput!]!) {\n    recordActivities(inputs: $inputs) {\n      recorded\n    }\n  }\n": types.RecordActivitiesDocument,
    "\n  query Privacy {\n    privacy {\n      ipMode\n      historyMaxAgeMs\n    }\n  }\n": types.PrivacyDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment SessionFields on Session {\n    id\n    userId\n    userName\n    ipAddress\n    path\n    userAgent\n    startedAt\n    lastSeen\n    eventCount\n  }\n"): (typeof documents)["\n  fragment SessionFields on Session {\n    id\n    userId\n    userName\n    ipAddress\n    path\n    userAgent\n    startedAt\n    lastSeen\n    eventCount\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment StatsFields on Stats {\n    activeUsers\n    activeSessions\n    eventsLastMinute\n    topPaths(limit: 10) {\n      path\n      sessions\n    }\n    eventsPerMinute(minutes: 30) {\n      minute\n      events\n    }\n    at\n  }\n"): (typeof documents)["\n  fragment StatsFields on Stats {\n    activeUsers\n    activeSessions\n    eventsLastMinute\n    topPaths(limit: 10) {\n      path\n      sessions\n    }\n    eventsPerMinute(minutes: 30) {\n      minute\n      events\n    }\n    at\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ActivityChanged($filter: ActivityFilter, $first: Int, $since: Cursor) {\n    activityChanged(filter: $filter, first: $first, since: $since) {\n      __typename\n      cursor\n      at\n      ... on Resumed {\n        stats {\n          ...StatsFields\n        }\n      }\n      ... on Snapshot {\n        resume\n        stats {\n          ...StatsFields\n        }\n        activeUsers {\n          edges {\n            node {\n              id\n              name\n              lastSeen\n              sessionCount\n              sessions {\n                ...SessionFields\n              }\n            }\n          }\n          pageInfo {\n            hasNextPage\n            endCursor\n          }\n        }\n      }\n      ... on SessionStarted {\n        session {\n          ...SessionFields\n        }\n      }\n      ... on SessionUpdated {\n        session {\n          ...SessionFields\n        }\n        previousPath\n      }\n      ... on SessionEnded {\n        session {\n          ...SessionFields\n        }\n        reason\n      }\n      ... on UserJoined {\n        user {\n          id\n          name\n        }\n      }\n      ... on UserLeft {\n        user {\n          id\n          name\n        }\n      }\n      ... on StatsChanged {\n        stats {\n          ...StatsFields\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription ActivityChanged($filter: ActivityFilter, $first: Int, $since: Cursor) {\n    activityChanged(filter: $filter, first: $first, since: $since) {\n      __typename\n      cursor\n      at\n      ... on Resumed {\n        stats {\n          ...StatsFields\n        }\n      }\n      ... on Snapshot {\n        resume\n        stats {\n          ...StatsFields\n        }\n        activeUsers {\n          edges {\n            node {\n              id\n              name\n              lastSeen\n              sessionCount\n              sessions {\n                ...SessionFields\n              }\n            }\n          }\n          pageInfo {\n            hasNextPage\n            endCursor\n          }\n        }\n      }\n      ... on SessionStarted {\n        session {\n          ...SessionFields\n        }\n      }\n      ... on SessionUpdated {\n        session {\n          ...SessionFields\n        }\n        previousPath\n      }\n      ... on SessionEnded {\n        session {\n          ...SessionFields\n        }\n        reason\n      }\n      ... on UserJoined {\n        user {\n          id\n          name\n        }\n      }\n      ... on UserLeft {\n        user {\n          id\n          name\n        }\n      }\n      ... on StatsChanged {\n        stats {\n          ...StatsFields\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Stats {\n    stats {\n      ...StatsFields\n    }\n  }\n"): (typeof documents)["\n  query Stats {\n    stats {\n      ...StatsFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RecordActivities($inputs: [ActivityInput!]!) {\n    recordActivities(inputs: $inputs) {\n      recorded\n    }\n  }\n"): (typeof documents)["\n  mutation RecordActivities($inputs: [ActivityInput!]!) {\n    recordActivities(inputs: $inputs) {\n      recorded\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Privacy {\n    privacy {\n      ipMode\n      historyMaxAgeMs\n    }\n  }\n"): (typeof documents)["\n  query Privacy {\n    privacy {\n      ipMode\n      historyMaxAgeMs\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;