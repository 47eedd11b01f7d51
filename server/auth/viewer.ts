/** What a token may allow: `admin` reads and subscribes, `ingest` records activity. */
export type Role = 'admin' | 'ingest';

/** Every role Pulse knows; other strings in a token's `roles` claim are ignored. */
export const ROLES: readonly Role[] = ['admin', 'ingest'];

/** The authenticated caller of a request or connection. */
export interface Viewer {
  /** The token's `sub` claim. */
  readonly sub: string;
  /** The known roles the token grants; may be empty. */
  readonly roles: ReadonlySet<Role>;
  /**
   * When the token stops being accepted (epoch ms): its `exp` plus the
   * verifier's clock tolerance (`CLOCK_SKEW_MS`). What the token opened (a
   * graphql-ws socket, an SSE stream) is ended then. Absent for a viewer
   * that no expiring token vouches for.
   */
  readonly acceptedUntil?: number;
}
