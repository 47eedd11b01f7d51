import { graphql } from '../generated/index.js';
import type { PrivacyQuery as PrivacyResult } from '../generated/graphql.js';

/** Everything a live view needs from a session. */
export const SessionFields = graphql(`
  fragment SessionFields on Session {
    id
    userId
    userName
    ipAddress
    path
    userAgent
    startedAt
    lastSeen
    eventCount
  }
`);

/** The figures the dashboard shows. */
export const StatsFields = graphql(`
  fragment StatsFields on Stats {
    activeUsers
    activeSessions
    eventsLastMinute
    topPaths(limit: 10) {
      path
      sessions
    }
    eventsPerMinute(minutes: 30) {
      minute
      events
    }
    at
  }
`);

/** The live feed: a snapshot (or, with `since`, `Resumed` and the missed changes), then every change. */
export const ActivityChangedSubscription = graphql(`
  subscription ActivityChanged($filter: ActivityFilter, $first: Int, $since: Cursor) {
    activityChanged(filter: $filter, first: $first, since: $since) {
      __typename
      cursor
      at
      ... on Resumed {
        stats {
          ...StatsFields
        }
      }
      ... on Snapshot {
        resume
        stats {
          ...StatsFields
        }
        activeUsers {
          edges {
            node {
              id
              name
              lastSeen
              sessionCount
              sessions {
                ...SessionFields
              }
            }
          }
          pageInfo {
            hasNextPage
            endCursor
          }
        }
      }
      ... on SessionStarted {
        session {
          ...SessionFields
        }
      }
      ... on SessionUpdated {
        session {
          ...SessionFields
        }
        previousPath
      }
      ... on SessionEnded {
        session {
          ...SessionFields
        }
        reason
      }
      ... on UserJoined {
        user {
          id
          name
        }
      }
      ... on UserLeft {
        user {
          id
          name
        }
      }
      ... on StatsChanged {
        stats {
          ...StatsFields
        }
      }
    }
  }
`);

/** Current figures over HTTP. */
export const StatsQuery = graphql(`
  query Stats {
    stats {
      ...StatsFields
    }
  }
`);

/** A batch of activity, as the reporter sends it. */
export const RecordActivitiesMutation = graphql(`
  mutation RecordActivities($inputs: [ActivityInput!]!) {
    recordActivities(inputs: $inputs) {
      recorded
    }
  }
`);

/** How the deployment treats personal data: what it keeps of an address, and how long history lasts. */
export const PrivacyQuery = graphql(`
  query Privacy {
    privacy {
      ipMode
      historyMaxAgeMs
    }
  }
`);

/** What {@link PrivacyQuery} answers: the `IP_MODE` in force and `HISTORY_MAX_AGE_MS`. */
export type PrivacyPolicy = PrivacyResult['privacy'];
