/**
 * Subscription documents that exercise what fan-out must execute exactly
 * as graphql-js would for one subscriber: fragments on interfaces and
 * types, variables (some left out), nested arguments, aliases, and
 * arguments out of range that make error results. Shared by the grouping
 * test over real sockets and the executor's unit test.
 */

/** Every event type, through fragments and variables. */
export const FULL = /* GraphQL */ `
  subscription Full($filter: ActivityFilter, $first: Int, $limit: Int) {
    activityChanged(filter: $filter, first: $first) {
      __typename cursor at
      ...Sessions
      ... on UserJoined { user { id name } }
      ... on UserLeft { user { id } }
      ... on Snapshot { resume activeUsers { edges { node { id name sessionCount sessions(first: 2) { id path } } } pageInfo { hasNextPage endCursor } } stats { ...Figures } }
      ... on StatsChanged { stats { ...Figures } }
    }
  }
  fragment Sessions on ActivityEvent {
    ... on SessionStarted { session { id userId path ipAddress eventCount } }
    ... on SessionUpdated { session { id path lastSeen eventCount } previousPath }
    ... on SessionEnded { reason session { id } }
  }
  fragment Figures on Stats { activeUsers activeSessions eventsLastMinute topPaths(limit: $limit) { path sessions } }
`;

/** Aliases, and arguments out of range: every snapshot and figure comes as an error result. */
export const ALIASED_WITH_ERRORS = /* GraphQL */ `
  subscription Aliased($limit: Int) {
    activityChanged {
      kind: __typename position: cursor
      ... on SessionStarted { session { id where: path } }
      ... on Snapshot { stats { paths: topPaths(limit: $limit) { path } } activeUsers { edges { node { sessions(first: 99) { id } } } } }
      ... on StatsChanged { stats { paths: topPaths(limit: $limit) { path } } }
    }
  }
`;
