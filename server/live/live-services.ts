import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { LeaseManager } from '../leases/types.js';
import type { PulseMetrics } from '../observability/metrics.js';
import type { ActivityStore } from '../store/types.js';
import type { FanoutHub } from './fanout/fanout-hub.js';
import type { OpenStreams } from './open-streams.js';
import type { LiveLimits } from './live-limits.js';
import type { SharedSnapshots } from './shared-snapshots.js';

/**
 * What one `activityChanged` stream uses, built once per process by the
 * composition root. The resolvers' `PulseServices` is a superset, so the
 * live fan-out never depends on the GraphQL layer above it.
 */
export interface LiveServices {
  readonly store: ActivityStore;
  readonly leases: LeaseManager;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly limits: LiveLimits;
  readonly metrics: PulseMetrics;
  /** Open `activityChanged` streams in this process, each droppable (Redis lost, shutdown, token expiry). */
  readonly openStreams: OpenStreams;
  /** The process's fan-out groups: subscribers that share one execution per event. */
  readonly fanout: FanoutHub;
  /** Snapshot reads shared by subscribers that start together. */
  readonly snapshots: SharedSnapshots;
}
