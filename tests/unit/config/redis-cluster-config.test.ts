import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig } from '../../../server/config/index.js';
import { PARTITIONS } from '../../../server/config/settings-core.js';
import { DEFAULT_PARTITIONS, MAX_PARTITIONS } from '../../../server/redis/partitions.js';

const NODES = '127.0.0.1:7000,127.0.0.1:7001,redis-3.internal:7002';
const URL = 'redis://127.0.0.1:6379';

/** The problem lines of a config that must fail; fails the test when it loads. */
function problemsOf(env: NodeJS.ProcessEnv, argv: readonly string[] = []): readonly string[] {
  try {
    loadConfig(env, argv, 4);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('REDIS_CLUSTER_NODES', () => {
  it('reads the seed masters, from the environment or the flag, with spaces and a trailing comma forgiven', () => {
    expect(loadConfig({ REDIS_CLUSTER_NODES: NODES }, [], 4).redisClusterNodes).toEqual([
      { host: '127.0.0.1', port: 7000 },
      { host: '127.0.0.1', port: 7001 },
      { host: 'redis-3.internal', port: 7002 },
    ]);
    expect(loadConfig({}, ['--redis-cluster-nodes', ' 10.0.0.1:7000 , [::1]:7001, '], 4).redisClusterNodes).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: '::1', port: 7001 },
    ]);
  });

  it('is refused together with REDIS_URL, naming both and what to do', () => {
    expect(problemsOf({ REDIS_CLUSTER_NODES: NODES, REDIS_URL: URL })).toEqual([
      'REDIS_CLUSTER_NODES and REDIS_URL are both set: expected one of them, REDIS_URL for one Redis or REDIS_CLUSTER_NODES for a Redis Cluster',
    ]);
    expect(problemsOf({ REDIS_URL: URL }, ['--redis-cluster-nodes', NODES])).toEqual([
      expect.stringMatching(/^REDIS_CLUSTER_NODES \(from --redis-cluster-nodes\) and REDIS_URL are both set/),
    ]);
  });

  it.each([
    ['', ''],
    [',', ','],
    ['127.0.0.1', '"127.0.0.1" is not one'],
    ['127.0.0.1:', '"127.0.0.1:" is not one'],
    [':7000', '":7000" is not one'],
    ['127.0.0.1:0', '"127.0.0.1:0" is not one'],
    ['127.0.0.1:65536', '"127.0.0.1:65536" is not one'],
    ['127.0.0.1:70a', '"127.0.0.1:70a" is not one'],
    ['redis://127.0.0.1:7000', '"redis://127.0.0.1:7000" is not one'],
    ['::1:7000', '"::1:7000" is not one'],
    ['host name:7000', '"host name:7000" is not one'],
    ['127.0.0.1:7000,bad', '"bad" is not one'],
    ['127.0.0.1:7000,127.0.0.1:7000', '"127.0.0.1:7000" is named twice'],
  ])('refuses %j, saying what a good value is and which item is wrong', (raw, item) => {
    const [problem, ...rest] = problemsOf({ REDIS_CLUSTER_NODES: raw });
    expect(rest).toEqual([]);
    expect(problem).toMatch(/^REDIS_CLUSTER_NODES = ".*": expected comma-separated host:port seed nodes of a Redis Cluster, e\.g\. /);
    expect(problem).toContain(item);
  });

  it('allows several workers, by default one per core', () => {
    expect(loadConfig({ REDIS_CLUSTER_NODES: NODES }, [], 4).workers).toBe(4);
    expect(loadConfig({ REDIS_CLUSTER_NODES: NODES, WORKERS: '2' }, [], 4).workers).toBe(2);
  });

  it('is named in the start-up line with its prefix and partitions', () => {
    const line = describeConfig(loadConfig({ REDIS_CLUSTER_NODES: '127.0.0.1:7000,[::1]:7001' }, [], 4));
    expect(line).toContain('backend=redis-cluster 127.0.0.1:7000,[::1]:7001 prefix=pulse: partitions=18 ');
  });
});

describe('REDIS_PARTITIONS', () => {
  it('defaults to 18 on a cluster and 1 on one Redis', () => {
    expect(loadConfig({ REDIS_CLUSTER_NODES: NODES }, [], 4).redisPartitions).toBe(18);
    expect(loadConfig({ REDIS_URL: URL }, [], 4).redisPartitions).toBe(1);
    expect(loadConfig({}, [], 4).redisPartitions).toBe(1);
  });

  it('takes 1 to 256 on either, several on one Redis included', () => {
    expect(loadConfig({ REDIS_CLUSTER_NODES: NODES, REDIS_PARTITIONS: '256' }, [], 4).redisPartitions).toBe(256);
    expect(loadConfig({ REDIS_URL: URL, REDIS_PARTITIONS: '6' }, [], 4).redisPartitions).toBe(6);
    expect(describeConfig(loadConfig({ REDIS_URL: URL, REDIS_PARTITIONS: '6' }, [], 4))).toContain('prefix=pulse: partitions=6 ');
    expect(describeConfig(loadConfig({ REDIS_URL: URL }, [], 4))).not.toContain('partitions=');
  });

  it.each(['0', '257', '-1', 'many', '1.5'])('refuses %j', (raw) => {
    expect(problemsOf({ REDIS_CLUSTER_NODES: NODES, REDIS_PARTITIONS: raw })).toEqual([
      `REDIS_PARTITIONS = ${JSON.stringify(raw)}: expected a whole number (plain decimal digits) from 1 to 256`,
    ]);
  });

  it('is refused without Redis, saying why', () => {
    expect(problemsOf({ REDIS_PARTITIONS: '4' })).toEqual([
      'REDIS_PARTITIONS = "4": expected REDIS_URL or REDIS_CLUSTER_NODES to be set: partitions split Redis state, and memory mode has none',
    ]);
  });

  it('keeps its default and bound equal to the partition layout of server/redis/partitions.ts', () => {
    expect(PARTITIONS).toEqual({ clusterDefault: DEFAULT_PARTITIONS, max: MAX_PARTITIONS });
  });
});

describe('REDIS_CLUSTER_USERNAME, REDIS_CLUSTER_PASSWORD and REDIS_CLUSTER_TLS', () => {
  const PASSWORD = 'cluster-password-7f3a';

  it('are read with REDIS_CLUSTER_NODES, and the start-up line names the user and TLS but never the password', () => {
    const config = loadConfig({ REDIS_CLUSTER_NODES: NODES, REDIS_CLUSTER_USERNAME: 'pulse', REDIS_CLUSTER_PASSWORD: PASSWORD, REDIS_CLUSTER_TLS: 'true' }, [], 4);
    expect(config).toMatchObject({ redisClusterUsername: 'pulse', redisClusterPassword: PASSWORD, redisClusterTls: true });
    const line = describeConfig(config);
    expect(line).toContain(' partitions=18 tls auth=pulse:REDIS_CLUSTER_PASSWORD ');
    expect(line).not.toContain(PASSWORD);
  });

  it('default to no credentials and no TLS; a password alone signs in as the default user', () => {
    expect(loadConfig({ REDIS_CLUSTER_NODES: NODES }, [], 4)).toMatchObject({ redisClusterUsername: undefined, redisClusterPassword: undefined, redisClusterTls: false });
    expect(describeConfig(loadConfig({ REDIS_CLUSTER_NODES: NODES, REDIS_CLUSTER_PASSWORD: PASSWORD }, [], 4))).toContain(' partitions=18 auth=default:REDIS_CLUSTER_PASSWORD ');
    expect(loadConfig({ REDIS_CLUSTER_NODES: NODES }, ['--redis-cluster-tls'], 4).redisClusterTls).toBe(true);
  });

  it('are refused without REDIS_CLUSTER_NODES, pointing one Redis to its URL, and the password is never shown', () => {
    const problems = problemsOf({ REDIS_URL: URL, REDIS_CLUSTER_PASSWORD: PASSWORD, REDIS_CLUSTER_TLS: '1' });
    expect(problems).toEqual([
      expect.stringMatching(/^REDIS_CLUSTER_PASSWORD = "\(value not shown\)": expected REDIS_CLUSTER_NODES to be set \(one Redis takes its credentials and TLS in REDIS_URL: rediss:/),
      expect.stringMatching(/^REDIS_CLUSTER_TLS = "1": expected REDIS_CLUSTER_NODES to be set/),
    ]);
    expect(problems.join('\n')).not.toContain(PASSWORD);
    expect(problemsOf({ REDIS_CLUSTER_USERNAME: 'pulse', REDIS_CLUSTER_PASSWORD: PASSWORD })).toHaveLength(2);
  });

  it('refuse a user without its password, a bad TLS switch, and the password as a flag (visible in ps)', () => {
    expect(problemsOf({ REDIS_CLUSTER_NODES: NODES, REDIS_CLUSTER_USERNAME: 'pulse' })).toEqual([
      'REDIS_CLUSTER_USERNAME = "pulse": expected REDIS_CLUSTER_PASSWORD too: an ACL user signs in with its password',
    ]);
    expect(problemsOf({ REDIS_CLUSTER_NODES: NODES, REDIS_CLUSTER_TLS: 'yes' })).toEqual(['REDIS_CLUSTER_TLS = "yes": expected 1 or true to turn it on, 0 or false to turn it off']);
    const [problem, ...rest] = problemsOf({ REDIS_CLUSTER_NODES: NODES }, [`--redis-cluster-password=${PASSWORD}`]);
    expect(rest).toEqual([]);
    expect(problem).toContain('--redis-cluster-password');
    expect(problem).not.toContain(PASSWORD);
  });
});
