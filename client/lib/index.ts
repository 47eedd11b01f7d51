/**
 * Pulse's client library, the public entry.
 *
 * - {@link createPulseClient}: typed urql over HTTP, and the monitored live
 *   feed over graphql-sse (`live`: reconnects with backoff, watchdog, pauses
 *   in hidden pages, validated events).
 * - {@link applyEvent} and friends: a pure reducer from events to the state
 *   a live view draws.
 * - {@link createActivityReporter}: batches an application's activity into
 *   `recordActivities`.
 *
 * @packageDocumentation
 */
export { createPulseClient, type PulseClient, type PulseClientOptions } from './pulse-client.js';
export type { PulseLive } from './live/live-feed.js';
export type { LiveRequest, SseTransport } from './live/sse-connector.js';
export { applyEvent, emptyLiveState, sessionsByRecency, usersByRecency, type LiveSession, type LiveState, type LiveStats, type LiveUser } from './live/live-state.js';
export { validateEvent, type EventValidation } from './live/validate-event.js';
export {
  createActivityReporter,
  type ActivityReporter,
  type ActivityReporterOptions,
  type DroppedBatch,
  type ReporterStats,
} from './activity-reporter.js';
export { nextDelay, type BackoffPolicy } from './retry/backoff.js';
export { ERROR_CODES, isFatalCode, retryDecision, type Failure, type PulseErrorCode, type RetryDecision } from './retry/error-codes.js';
export { browserPageLifecycle, type PageLifecycle } from './live/page-lifecycle.js';
export type { FetchFn, Timers, TokenSource } from './runtime.js';
export type { ActivityEvent, ConnectionStatus, EventOf, FatalCode } from './types.js';
export type { ActivityFilter, ActivityInput } from '../generated/graphql.js';
export { ActivityChangedSubscription, RecordActivitiesMutation, StatsQuery } from './operations.js';
