/**
 * What a Redis change feed (one Redis, or sharded on a Cluster) tells its
 * owner about: the same three reports, whatever the engine.
 */
export interface FeedReports {
  /** Called with what a listener threw; must not throw. @defaultValue ignore */
  onListenerError?: (error: unknown) => void;
  /** Called with the parse error of a message that was dropped; must not throw. @defaultValue ignore */
  onMalformed?: (error: unknown) => void;
  /**
   * Called once per outage of the feed's subscription (the engine says what
   * counts as one): what is published until it is live again never arrives,
   * so listeners should make their clients resume. Must not throw.
   * @defaultValue ignore
   */
  onDisconnect?: () => void;
}

/** Refuses a call on a closed feed: `subscribe` asks before and after its backend call, as `close` may run in between. */
export function assertOpen(closed: boolean): void {
  if (closed) throw new Error('the change feed is closed');
}
