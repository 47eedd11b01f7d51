import type { Config } from '../config/index.js';

/**
 * The limits every request and operation is held to, whatever its transport,
 * from the validated config (`MAX_DOCUMENT_BYTES` and the rest). Each is
 * enforced in one place: the body limit as the first HTTP plugin, the
 * document limits in the Yoga pipeline that graphql-ws and both graphql-sse
 * modes share, the WebSocket message limit on the socket server.
 */
export type RequestLimits = Pick<
  Config,
  | 'maxDocumentBytes'
  | 'maxDocumentTokens'
  | 'maxQueryDepth'
  | 'maxQueryFields'
  | 'maxRequestBodyBytes'
  | 'sseReservationTtlMs'
  | 'maxSseReservationsPerAdmin'
  | 'maxSseStreamsPerAdmin'
  | 'maxOperationsPerConnection'
  | 'sseKeepAliveMs'
>;
