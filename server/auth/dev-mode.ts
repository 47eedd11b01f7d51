import { isLoopbackHost, MAX_HOST_LENGTH } from '../config/host.js';

/** What {@link authMode} reads: the config's secret and host, and `NODE_ENV`. */
export interface AuthModeInput {
  /** `JWT_SECRET`, `undefined` when unset. */
  readonly jwtSecret: string | undefined;
  /** `HOST`, the interface Pulse listens on. */
  readonly host: string;
  /** `process.env.NODE_ENV`. */
  readonly nodeEnv: string | undefined;
}

/**
 * How Pulse may verify tokens:
 * - `secret`: with `JWT_SECRET`;
 * - `dev`: with a secret generated at start, tokens printed, GraphiQL prefilled;
 * - `refuse`: not at all; `problem` is the one line to print before exiting.
 */
export type AuthMode = { readonly kind: 'secret' } | { readonly kind: 'dev' } | { readonly kind: 'refuse'; readonly problem: string };

/**
 * Decides whether Pulse may start, and in which mode. Dev mode, whose
 * printed 30-day admin token is as good as the secret, is allowed only when
 * all three hold: `JWT_SECRET` is unset, `NODE_ENV` is not `production`
 * (any case), and `HOST` is a loopback address (see {@link isLoopbackHost}).
 * Without a secret, anything else is refused: a deployment that forgot its
 * secret must not come up open. Pure, so that every case is a unit test.
 */
export function authMode({ jwtSecret, host, nodeEnv }: AuthModeInput): AuthMode {
  if (jwtSecret !== undefined) return { kind: 'secret' };
  const production = nodeEnv?.trim().toLowerCase() === 'production';
  const loopback = isLoopbackHost(host);
  if (!production && loopback) return { kind: 'dev' };
  const why = production ? 'NODE_ENV is production' : `HOST ${JSON.stringify(host.slice(0, MAX_HOST_LENGTH))} is not a loopback address`;
  return {
    kind: 'refuse',
    problem: `JWT_SECRET is not set and ${why}: set JWT_SECRET (at least 32 bytes) to serve; dev mode, with a generated secret and printed tokens, runs only on a loopback HOST outside production`,
  };
}
