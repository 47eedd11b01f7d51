/** One admin token per subscription, each of its own subject, as many distinct dashboards would send. */
import { mintToken } from '../../server/auth/authenticator.js';

/** Subjects already handed out by this process: a later top-up never repeats one. */
let issued = 0;

/**
 * Mints `count` admin tokens signed with `secret`, subjects
 * `bench-subscriber-<n>` never used before in this process. Minted before
 * the opening is timed, so the generator's signing is not the server's cost.
 */
export async function mintSubscriberTokens(secret: string, count: number): Promise<string[]> {
  const first = issued;
  issued += count;
  return Promise.all(Array.from({ length: count }, (_, i) => mintToken({ secret, sub: `bench-subscriber-${first + i}`, roles: ['admin'], expiresIn: '2h' })));
}
