import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import type { Viewer } from '../auth/authenticator.js';
import type { ChangeFeed } from '../bus/types.js';
import type { PulseTransport } from '../observability/metrics.js';
import type { StatsFeed } from '../live/stats-feed.js';
import type { ResultSink } from '../live/fanout/result-sink.js';
import type { LiveLimits } from '../live/live-limits.js';
import type { LiveServices } from '../live/live-services.js';
import type { DropConnection } from '../live/open-streams.js';
import type { AddressMasker } from '../privacy/address-masking.js';

/** The bounds resolvers enforce, from the validated config: the live fan-out's and the write path's. */
export interface PulseLimits extends LiveLimits {
  readonly idleTimeoutMs: number;
  readonly clockSkewMs: number;
  readonly maxBatchSize: number;
}

/** What the write path and `Query.privacy` need of how personal data is treated. */
export interface PrivacyServices {
  /** Applies `IP_MODE` to every recorded `ipAddress` before the store sees it. */
  readonly addresses: AddressMasker;
  /** `HISTORY_MAX_AGE_MS`: how long a change (and what it carries of a person) is kept for resuming. */
  readonly historyMaxAgeMs: number;
}

/**
 * Everything a resolver may use; built once per process by the composition
 * root (`root/pulse.ts`). The process logger is for what outlives a request;
 * resolvers log through {@link PulseContext.logger}, which carries the
 * request id. Metrics are this instance's own registry, served at `/metrics`.
 */
export interface PulseServices extends LiveServices {
  readonly bus: ChangeFeed;
  readonly statsFeed: StatsFeed;
  readonly limits: PulseLimits;
  readonly privacy: PrivacyServices;
}

/** The GraphQL context of every operation, on every transport. */
export interface PulseContext {
  /** Who is calling; null only before authentication rejected them (never reaches a resolver). */
  readonly viewer: Viewer | null;
  readonly services: PulseServices;
  /** Aborted when the client goes away (HTTP and SSE); streams end then even before their first event. */
  readonly signal?: AbortSignal;
  /** How the operation arrived, for metrics. */
  readonly transport: PulseTransport;
  /** This request's id (also bound in {@link PulseContext.logger}), for what outlives the request. */
  readonly requestId: string;
  /** The process logger with this request's `requestId`; what resolvers log with. */
  readonly logger: Logger;
  /**
   * Drops the connection this operation streams over, without `complete`, so
   * the client reconnects and resumes. Absent for plain HTTP operations.
   */
  readonly dropConnection?: DropConnection;
  /**
   * Where this subscription's results are written, framed for its
   * connection, so that a fan-out group writes the same serialised bytes to
   * all its members: the one way to a subscriber. Every transport brings
   * one (a response Yoga writes itself, as `yoga.fetch` in process, an
   * iterated sink; see `root/app.ts`). Absent only in the context a group
   * executes events with.
   */
  readonly resultSink?: ResultSink;
  /**
   * Why this subscription was refused when its transport opened it itself
   * (distinct-mode SSE served before Yoga, `transports/sse-direct/`), which
   * then hands the request to Yoga: `activityChanged` answers with this
   * error instead of opening again, so the refusal goes through the one
   * pipeline (masking, metrics, response) and nothing is taken or counted twice.
   */
  readonly streamRefusal?: GraphQLError;
}

/**
 * What a transport hands Yoga besides the request: graphql-ws passes the
 * socket's verified viewer, its transport and the request id of its upgrade.
 */
export interface PulseServerContext {
  readonly viewer?: Viewer | null;
  readonly transport?: PulseTransport;
  readonly requestId?: string;
  /** The transport's way to drop this operation's connection (graphql-ws, single-connection SSE). */
  readonly dropConnection?: DropConnection;
  /** The transport's direct result writer for this operation (see {@link PulseContext.resultSink}). */
  readonly resultSink?: ResultSink;
  /** Node's request, from Yoga's node adapter (HTTP transports). */
  readonly req?: IncomingMessage;
  /** Node's response, from Yoga's node adapter: what a distinct-mode SSE drop destroys. */
  readonly res?: ServerResponse;
  /** See {@link PulseContext.streamRefusal}. */
  readonly streamRefusal?: GraphQLError;
}
