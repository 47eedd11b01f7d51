/**
 * A reply that ioredis 5 could not match to any command it sent, read back
 * from the error it reports it with:
 * - `sunsubscribe`: Redis pushed an unsolicited `sunsubscribe` for `channel`,
 *   as a master does for every shard channel of a slot it gives up (a
 *   resharding) or loses;
 * - `unknown`: some other reply went unmatched, so an earlier reply was taken
 *   for the wrong command (an unsolicited `sunsubscribe` that arrived while a
 *   command was pending, then that command's own reply): the connection's
 *   subscriptions can no longer be trusted.
 */
export type UnsolicitedReply = { readonly kind: 'sunsubscribe'; readonly channel: string } | { readonly kind: 'unknown' };

// ioredis 5.11 (DataHandler.shiftCommand): "Command queue state error. If you can reproduce this, please report it.
// Last reply: <the reply's elements joined by commas>". The channel sits between the first and the last comma: the
// last element is the subscription count, and a channel may itself hold commas.
const QUEUE_STATE_ERROR = /^Command queue state error\./;
const SUNSUBSCRIBE_REPLY = /Last reply: sunsubscribe,([^]*),\d+$/;

/**
 * Reads an `error` event of an ioredis connection: the unmatched reply it
 * reports, or null when the error is of another kind (a socket error, which
 * the connection's end reports anyway).
 */
export function unsolicitedReply(error: unknown): UnsolicitedReply | null {
  if (!(error instanceof Error) || !QUEUE_STATE_ERROR.test(error.message)) return null;
  const channel = SUNSUBSCRIBE_REPLY.exec(error.message)?.[1];
  return channel === undefined ? { kind: 'unknown' } : { kind: 'sunsubscribe', channel };
}
