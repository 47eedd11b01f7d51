import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../../server/auth/authenticator.js';
import { postGraphQL, subscribe } from '../../support/clients.js';
import { ACTIVITY, RECORD, activity } from '../../support/operations.js';
import { logLines, runPulseToExit, spawnPulse, type ChildEnv, type PulseProcess } from '../../support/pulse-process.js';
import { spawnRedisCluster, TEST_TLS, type SpawnedCluster } from '../../support/redis-cluster.js';
import { waitUntil } from '../../support/wait.js';

const SECRET = 'secured-cluster-secret-'.padEnd(40, 'x');
const PREFIX = `secured-${process.pid}:`;
/** Held to Pulse's own keys and channels, as the README advises. */
const USER = { name: 'pulse', password: 'acl-password-51e2c9', prefix: PREFIX };
const DEFAULT_PASSWORD = 'default-password-0b7d44';
/** A start the cluster refuses gives up within 10 s (connectRedisCluster); the rest is the process's start and exit. */
const FAILED_START_MS = 30_000;

/** A cluster that takes TLS only and signs in every client: what a production cluster on a shared network looks like. */
describe('Pulse on a Redis Cluster with TLS and an ACL user', () => {
  let cluster: SpawnedCluster;
  let env: ChildEnv;
  beforeAll(async () => {
    cluster = await spawnRedisCluster(3, { password: DEFAULT_PASSWORD, user: USER, tls: true });
    env = {
      REDIS_URL: undefined,
      REDIS_CLUSTER_NODES: cluster.nodes.join(','),
      REDIS_CLUSTER_USERNAME: USER.name,
      REDIS_CLUSTER_PASSWORD: USER.password,
      REDIS_CLUSTER_TLS: 'true',
      // The test CA, as an operator adds a private one: Node reads it at start.
      NODE_EXTRA_CA_CERTS: TEST_TLS.ca,
      JWT_SECRET: SECRET,
      REDIS_PREFIX: PREFIX,
    };
  }, 60_000);
  afterAll(() => cluster?.dispose());

  it('serves writes and the change feed over TLS, signed in as the user, and never prints the password', async () => {
    let pulse: PulseProcess | undefined;
    try {
      pulse = await spawnPulse({ ...env, LOG_LEVEL: 'info' });
      expect(pulse.stdout()).toContain('Redis Cluster at 127.0.0.1:');
      expect(pulse.stdout()).toContain('over TLS');
      // The start log line is written by the logger's own stream, which may flush after the banner.
      const started = pulse;
      await waitUntil(() => logLines(started.stdout()).some((line) => line.msg === 'pulse listening'), 10_000, { what: 'the start log line' });
      expect(pulse.stdout()).toContain(`auth=${USER.name}:REDIS_CLUSTER_PASSWORD`);
      const ready = await fetch(`${pulse.url}/readyz`);
      expect(ready.status).toBe(200);

      const [admin, ingest] = await Promise.all([mintToken({ secret: SECRET, sub: 'admin', roles: ['admin'] }), mintToken({ secret: SECRET, sub: 'ingest', roles: ['ingest'] })]);
      const graphqlUrl = `${pulse.url}/graphql`;
      const live = subscribe('sse-distinct', { graphqlUrl, token: admin }, ACTIVITY);
      try {
        const first = await live.results.next(10_000, 'the snapshot');
        expect(first.errors).toBeUndefined();
        // Users spread over the partitions, so that writes and their changes reach every master.
        const users = Array.from({ length: 12 }, (_, i) => `secured-user-${i}`);
        for (const user of users) {
          const { status, body } = await postGraphQL(graphqlUrl, ingest, RECORD, { input: activity(`${user}-s`, user) });
          expect([status, body.errors]).toEqual([200, undefined]);
        }
        const started = new Set<string>();
        while (started.size < users.length) {
          const { data } = await live.results.next(10_000, 'a SessionStarted of every user');
          const change = data?.activityChanged as { __typename: string; session?: { userId: string } } | undefined;
          if (change?.__typename === 'SessionStarted' && change.session) started.add(change.session.userId);
        }
        expect([...started].sort()).toEqual([...users].sort());
      } finally {
        live.dispose();
      }
      expect(pulse.stdout()).not.toContain(USER.password);
    } finally {
      await pulse?.stop();
    }
  }, 60_000);

  it('exits 1 saying why when the password is wrong, without printing it', async () => {
    const wrong = 'not-the-password-93ac';
    const result = await runPulseToExit({ ...env, REDIS_CLUSTER_PASSWORD: wrong });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot connect to Redis Cluster at 127\.0\.0\.1:\d+,.*\(WRONGPASS/);
    expect(`${result.stdout}${result.stderr}`).not.toContain(wrong);
  }, FAILED_START_MS);

  it('exits 1 when the nodes are not signed by a CA it trusts: certificates are checked', async () => {
    const result = await runPulseToExit({ ...env, NODE_EXTRA_CA_CERTS: undefined });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/cannot connect to Redis Cluster at .*\(.*(self-signed certificate|unable to verify|unable to get local issuer)/i);
  }, FAILED_START_MS);

  it('exits 1 without REDIS_CLUSTER_TLS against nodes that speak only TLS', async () => {
    const result = await runPulseToExit({ ...env, REDIS_CLUSTER_TLS: undefined });
    expect(result.code).toBe(1);
    // Redis closes a connection that does not start with a TLS handshake; how the socket saw it close varies.
    expect(result.stderr).toMatch(/cannot connect to Redis Cluster at 127\.0\.0\.1:\d+,.*: None of startup nodes is available \((read ECONNRESET|write ECONNRESET|Connection is closed\.|socket hang up)\)/);
  }, FAILED_START_MS);
});
