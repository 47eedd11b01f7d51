/**
 * The limits every request and operation is held to, whatever its transport,
 * from the validated config (`MAX_DOCUMENT_BYTES` and the rest). Each is
 * enforced in one place: the body limit as the first HTTP plugin, the
 * document limits in the Yoga pipeline that graphql-ws and both graphql-sse
 * modes share, the WebSocket message limit on the socket server.
 */
export interface RequestLimits {
  /** Longest query string, in UTF-8 bytes. */
  readonly maxDocumentBytes: number;
  /** Most lexical tokens graphql's parser reads before giving up. */
  readonly maxDocumentTokens: number;
  /** Deepest field nesting of an operation, fragments expanded. */
  readonly maxQueryDepth: number;
  /** Most fields of an operation, fragments expanded. */
  readonly maxQueryFields: number;
  /** Largest HTTP request body and WebSocket message, in bytes. */
  readonly maxRequestBodyBytes: number;
  /** How long a single-connection SSE reservation may wait for its stream. */
  readonly sseReservationTtlMs: number;
  /** Reservations one admin may hold that are not connected yet. */
  readonly maxSseReservationsPerAdmin: number;
}
