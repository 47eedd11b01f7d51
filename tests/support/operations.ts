/** The operations the server tests send, written once. */

export const RECORD = /* GraphQL */ `
  mutation Record($input: ActivityInput!) {
    recordActivity(input: $input) { id userId userName ipAddress path userAgent startedAt lastSeen eventCount }
  }
`;

export const RECORD_MANY = /* GraphQL */ `
  mutation RecordMany($inputs: [ActivityInput!]!) {
    recordActivities(inputs: $inputs) { recorded sessions { id eventCount } }
  }
`;

export const END_SESSION = /* GraphQL */ `
  mutation End($id: ID!) { endSession(sessionId: $id) }
`;

export const STATS = /* GraphQL */ `
  query Stats($limit: Int) {
    stats { activeUsers activeSessions eventsLastMinute topPaths(limit: $limit) { path sessions } at }
  }
`;

export const EVENTS_PER_MINUTE = /* GraphQL */ `
  query EventsPerMinute($minutes: Int) {
    stats { eventsPerMinute(minutes: $minutes) { minute events } }
  }
`;

export const ACTIVE_USERS = /* GraphQL */ `
  query Users($first: Int, $after: String, $filter: ActivityFilter) {
    activeUsers(first: $first, after: $after, filter: $filter) {
      edges { cursor node { id name lastSeen sessionCount sessions { id userId userName ipAddress path userAgent startedAt lastSeen eventCount } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

export const ACTIVITY = /* GraphQL */ `
  subscription Activity($filter: ActivityFilter, $first: Int) {
    activityChanged(filter: $filter, first: $first) {
      __typename
      cursor
      at
      ... on Snapshot {
        stats { activeUsers activeSessions eventsLastMinute topPaths { path sessions } }
        activeUsers { edges { node { id name sessions { id path } } } pageInfo { hasNextPage endCursor } }
      }
      ... on SessionStarted { session { id userId path } }
      ... on SessionUpdated { session { id userId path eventCount } previousPath }
      ... on SessionEnded { session { id userId } reason }
      ... on UserJoined { user { id name } }
      ... on UserLeft { user { id name } }
      ... on StatsChanged { stats { activeUsers activeSessions eventsLastMinute } }
    }
  }
`;

/** An activity event with only the required fields filled in. */
export function activity(sessionId: string, userId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { sessionId, userId, ...extra };
}
