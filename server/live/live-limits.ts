/** The bounds a subscriber's stream holds to, from the validated config. */
export interface LiveLimits {
  readonly maxSubscriptionsPerAdmin: number;
  /** Events queued per subscriber before it is cut off as a slow consumer. */
  readonly subscriberBufferSize: number;
  /** Estimated bytes (serialized events) queued per subscriber before it is cut off as a slow consumer. */
  readonly subscriberBufferBytes: number;
}
