import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, loadConfig, redactUrlCredentials, type Config } from '../../../server/config/index.js';

const SECRET = 'a-perfectly-fine-secret-of-40-characters!';

/** The problem lines of a config that must fail; fails the test when it loads. */
function problemsOf(env: NodeJS.ProcessEnv, argv: readonly string[] = []): readonly string[] {
  try {
    loadConfig(env, argv);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message } = error as ConfigError;
    for (const problem of problems) expect(message).toContain(problem);
    return problems;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig defaults', () => {
  it('runs in memory and dev mode with nothing set', () => {
    expect(loadConfig({}, [])).toEqual({
      port: 4000,
      host: '127.0.0.1',
      redisUrl: undefined,
      redisClusterNodes: undefined,
      redisClusterUsername: undefined,
      redisClusterPassword: undefined,
      redisClusterTls: false,
      redisPartitions: 1,
      redisPrefix: 'pulse:',
      workers: 1,
      jwtSecret: undefined,
      jwtIssuer: undefined,
      jwtAudience: undefined,
      idleTimeoutMs: 300_000,
      maxSubscriptionsPerAdmin: 2,
      statsIntervalMs: 1000,
      sweepIntervalMs: 5000,
      leaseTtlMs: 15_000,
      historySize: 10_000,
      historyMaxAgeMs: 600_000,
      ipMode: 'full',
      maxBatchSize: 500,
      clockSkewMs: 5000,
      subscriberBufferSize: 1000,
      maxDocumentBytes: 16_384,
      maxDocumentTokens: 2000,
      maxQueryDepth: 12,
      maxQueryFields: 500,
      maxRequestBodyBytes: 1_048_576,
      sseReservationTtlMs: 30_000,
      maxSseReservationsPerAdmin: 5,
      maxSseStreamsPerAdmin: 5,
      maxOperationsPerConnection: 100,
      corsOrigins: [],
      sseKeepAliveMs: 12_000,
      subscriberBufferBytes: 1_048_576,
      shutdownGraceMs: 10_000,
      metricsToken: undefined,
      logLevel: 'info',
      demo: false,
    } satisfies Config);
  });

  it.each([
    ['1000', 250],
    ['1002', 251],
    ['19999', 5000],
    ['20000', 5000],
    ['8000', 2000],
  ])('derives the sweep interval from IDLE_TIMEOUT_MS=%s', (idle, sweep) => {
    expect(loadConfig({ IDLE_TIMEOUT_MS: idle }, []).sweepIntervalMs).toBe(sweep);
  });

  it('keeps an explicit sweep interval over the derived one', () => {
    expect(loadConfig({ IDLE_TIMEOUT_MS: '1000', SWEEP_INTERVAL_MS: '900' }, []).sweepIntervalMs).toBe(900);
  });

  it.each([
    ['1000', 250],
    ['4000', 1000],
    ['600000', 5000],
  ])('sweeps at least four times per HISTORY_MAX_AGE_MS=%s by default, as each sweep trims the history', (maxAge, sweep) => {
    expect(loadConfig({ HISTORY_MAX_AGE_MS: maxAge }, []).sweepIntervalMs).toBe(sweep);
  });

  it('refuses a sweep interval above half the history age, which would trim what resuming needs', () => {
    expect(loadConfig({ HISTORY_MAX_AGE_MS: '2000', SWEEP_INTERVAL_MS: '1000' }, []).sweepIntervalMs).toBe(1000);
    expect(() => loadConfig({ HISTORY_MAX_AGE_MS: '2000', SWEEP_INTERVAL_MS: '1001' }, [])).toThrow(
      'SWEEP_INTERVAL_MS = "1001": expected at most half of HISTORY_MAX_AGE_MS (1000), as every sweep trims the history one interval early',
    );
  });
});

/** [variable, raw value, field, parsed value]: one valid override of every setting. */
const OVERRIDES: readonly [string, string, keyof Config, unknown][] = [
  ['PORT', '4001', 'port', 4001],
  ['PORT', '0', 'port', 0],
  ['PORT', '65535', 'port', 65_535],
  ['HOST', '0.0.0.0', 'host', '0.0.0.0'],
  ['HOST', '::1', 'host', '::1'],
  ['REDIS_URL', 'redis://127.0.0.1:6379', 'redisUrl', 'redis://127.0.0.1:6379'],
  ['REDIS_URL', 'rediss://user:pw@cache.example:6380/2', 'redisUrl', 'rediss://user:pw@cache.example:6380/2'],
  ['REDIS_PREFIX', 'staging:', 'redisPrefix', 'staging:'],
  ['WORKERS', '1', 'workers', 1],
  ['JWT_SECRET', SECRET, 'jwtSecret', SECRET],
  ['JWT_ISSUER', 'https://auth.example', 'jwtIssuer', 'https://auth.example'],
  ['JWT_AUDIENCE', 'pulse', 'jwtAudience', 'pulse'],
  ['IDLE_TIMEOUT_MS', '1000', 'idleTimeoutMs', 1000],
  ['MAX_SUBSCRIPTIONS_PER_ADMIN', '1', 'maxSubscriptionsPerAdmin', 1],
  ['STATS_INTERVAL_MS', '50', 'statsIntervalMs', 50],
  ['SWEEP_INTERVAL_MS', '50', 'sweepIntervalMs', 50],
  ['LEASE_TTL_MS', '1000', 'leaseTtlMs', 1000],
  ['LEASE_TTL_MS', '30000', 'leaseTtlMs', 30_000],
  ['HISTORY_SIZE', '100', 'historySize', 100],
  ['HISTORY_SIZE', '1000000', 'historySize', 1_000_000],
  ['HISTORY_MAX_AGE_MS', '1000', 'historyMaxAgeMs', 1000],
  ['HISTORY_MAX_AGE_MS', '86400000', 'historyMaxAgeMs', 86_400_000],
  ['IP_MODE', 'full', 'ipMode', 'full'],
  ['IP_MODE', 'truncate', 'ipMode', 'truncate'],
  ['IP_MODE', 'hash', 'ipMode', 'hash'],
  ['IP_MODE', 'drop', 'ipMode', 'drop'],
  ['MAX_BATCH_SIZE', '1', 'maxBatchSize', 1],
  ['MAX_BATCH_SIZE', '10000', 'maxBatchSize', 10_000],
  ['CLOCK_SKEW_MS', '0', 'clockSkewMs', 0],
  ['SUBSCRIBER_BUFFER', '10', 'subscriberBufferSize', 10],
  ['SUBSCRIBER_BUFFER_BYTES', '1024', 'subscriberBufferBytes', 1024],
  ['SHUTDOWN_GRACE_MS', '100', 'shutdownGraceMs', 100],
  ['MAX_DOCUMENT_BYTES', '64', 'maxDocumentBytes', 64],
  ['MAX_DOCUMENT_BYTES', '1048576', 'maxDocumentBytes', 1_048_576],
  ['MAX_DOCUMENT_TOKENS', '10', 'maxDocumentTokens', 10],
  ['MAX_QUERY_DEPTH', '2', 'maxQueryDepth', 2],
  ['MAX_QUERY_FIELDS', '10', 'maxQueryFields', 10],
  ['MAX_REQUEST_BODY_BYTES', '1024', 'maxRequestBodyBytes', 1024],
  ['MAX_REQUEST_BODY_BYTES', '104857600', 'maxRequestBodyBytes', 104_857_600],
  ['SSE_RESERVATION_TTL_MS', '100', 'sseReservationTtlMs', 100],
  ['MAX_SSE_RESERVATIONS_PER_ADMIN', '1', 'maxSseReservationsPerAdmin', 1],
  ['MAX_SSE_STREAMS_PER_ADMIN', '1000', 'maxSseStreamsPerAdmin', 1000],
  ['MAX_OPERATIONS_PER_CONNECTION', '1', 'maxOperationsPerConnection', 1],
  ['CORS_ORIGINS', 'https://dash.example.com, http://localhost:5173,', 'corsOrigins', ['https://dash.example.com', 'http://localhost:5173']],
  ['SSE_KEEPALIVE_MS', '250', 'sseKeepAliveMs', 250],
  ['METRICS_TOKEN', 'scrape-me-0123456789', 'metricsToken', 'scrape-me-0123456789'],
  ['METRICS_TOKEN', 'x'.repeat(16), 'metricsToken', 'x'.repeat(16)],
  ['LOG_LEVEL', 'silent', 'logLevel', 'silent'],
  ['LOG_LEVEL', 'trace', 'logLevel', 'trace'],
];

const flagOf = (variable: string): string => `--${variable.toLowerCase().replaceAll('_', '-')}`;

describe('loadConfig overrides', () => {
  it.each(OVERRIDES)('reads %s=%s from the environment', (variable, raw, field, parsed) => {
    expect(loadConfig({ [variable]: raw }, [])[field]).toEqual(parsed);
  });

  const flagOverrides = OVERRIDES.filter(([variable]) => variable !== 'JWT_SECRET' && variable !== 'METRICS_TOKEN');

  it.each(flagOverrides)('reads %s=%s as "--flag value"', (variable, raw, field, parsed) => {
    expect(loadConfig({}, [flagOf(variable), raw])[field]).toEqual(parsed);
  });

  it.each(flagOverrides)('reads %s=%s as "--flag=value"', (variable, raw, field, parsed) => {
    expect(loadConfig({}, [`${flagOf(variable)}=${raw}`])[field]).toEqual(parsed);
  });

  it('lets flags win over the environment', () => {
    const config = loadConfig(
      { PORT: '5000', HOST: '10.0.0.1', REDIS_URL: 'redis://env:6379', IDLE_TIMEOUT_MS: '60000', LOG_LEVEL: 'debug' },
      ['--port', '4001', '--host=0.0.0.0', '--redis-url', 'redis://flag:6379', '--idle-timeout-ms=2000'],
    );
    expect(config).toMatchObject({ port: 4001, host: '0.0.0.0', redisUrl: 'redis://flag:6379', idleTimeoutMs: 2000, logLevel: 'debug' });
    expect(config.sweepIntervalMs).toBe(500);
  });

  it('takes the last of a repeated flag', () => {
    expect(loadConfig({}, ['--port', '1', '--port=2']).port).toBe(2);
  });
});

describe('loadConfig validation', () => {
  it.each(['12abc', '1e3', '', ' 12', '12 ', '+5', '1.5', '0x10', 'abc', '99999999999999999999'])(
    'rejects the non-integer PORT=%j',
    (raw) => {
      const problems = problemsOf({ PORT: raw });
      expect(problems).toEqual([`PORT = ${JSON.stringify(raw)}: expected a whole number (plain decimal digits) from 0 to 65535`]);
    },
  );

  it.each([
    ['PORT', '-1'],
    ['PORT', '65536'],
    ['IDLE_TIMEOUT_MS', '999'],
    ['IDLE_TIMEOUT_MS', '2147483648'],
    ['MAX_SUBSCRIPTIONS_PER_ADMIN', '0'],
    ['STATS_INTERVAL_MS', '49'],
    ['SWEEP_INTERVAL_MS', '49'],
    ['LEASE_TTL_MS', '999'],
    ['LEASE_TTL_MS', '30001'],
    ['HISTORY_SIZE', '99'],
    ['HISTORY_SIZE', '1000001'],
    ['HISTORY_MAX_AGE_MS', '999'],
    ['HISTORY_MAX_AGE_MS', '86400001'],
    ['MAX_BATCH_SIZE', '0'],
    ['MAX_BATCH_SIZE', '10001'],
    ['CLOCK_SKEW_MS', '-1'],
    ['SUBSCRIBER_BUFFER', '9'],
    ['SUBSCRIBER_BUFFER_BYTES', '1023'],
    ['SHUTDOWN_GRACE_MS', '99'],
    ['MAX_DOCUMENT_BYTES', '63'],
    ['MAX_DOCUMENT_BYTES', '1048577'],
    ['MAX_DOCUMENT_TOKENS', '9'],
    ['MAX_QUERY_DEPTH', '1'],
    ['MAX_QUERY_FIELDS', '9'],
    ['MAX_REQUEST_BODY_BYTES', '1023'],
    ['MAX_REQUEST_BODY_BYTES', '104857601'],
    ['SSE_RESERVATION_TTL_MS', '99'],
    ['SSE_RESERVATION_TTL_MS', '600001'],
    ['MAX_SSE_RESERVATIONS_PER_ADMIN', '0'],
    ['MAX_SSE_RESERVATIONS_PER_ADMIN', '1001'],
    ['MAX_SSE_STREAMS_PER_ADMIN', '0'],
    ['MAX_SSE_STREAMS_PER_ADMIN', '1001'],
    ['MAX_OPERATIONS_PER_CONNECTION', '0'],
    ['MAX_OPERATIONS_PER_CONNECTION', '10001'],
    ['SSE_KEEPALIVE_MS', '99'],
  ])('rejects %s=%s as out of range', (variable, raw) => {
    const problems = problemsOf({ [variable]: raw });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${variable} = "${raw}": expected a whole number`));
  });

  it.each([
    ['REDIS_URL', 'http://127.0.0.1:6379', 'redis:// or rediss://'],
    ['REDIS_URL', 'localhost:6379', 'redis:// or rediss://'],
    ['REDIS_URL', 'redis://', 'redis:// or rediss://'],
    ['REDIS_URL', '', 'redis:// or rediss://'],
    ['REDIS_PREFIX', '', 'non-empty prefix'],
    ['REDIS_PREFIX', 'a{b}', 'without braces'],
    ['HOST', '', 'host name or IP'],
    ['HOST', 'local host', 'host name or IP'],
    ['JWT_ISSUER', '', 'non-empty'],
    ['JWT_AUDIENCE', '', 'non-empty'],
    ['LOG_LEVEL', 'verbose', 'one of fatal, error, warn, info, debug, trace, silent'],
    ['LOG_LEVEL', 'INFO', 'one of fatal'],
    ['IP_MODE', 'anonymize', 'one of full, truncate, hash, drop'],
    ['IP_MODE', 'HASH', 'one of full, truncate, hash, drop'],
    ['IP_MODE', '', 'one of full, truncate, hash, drop'],
    ['CORS_ORIGINS', '*', 'exact origins'],
    ['CORS_ORIGINS', 'https://ok.example, https://dash.example.com/', 'exact origins'],
    ['CORS_ORIGINS', 'https://dash.example.com/app', 'exact origins'],
    ['CORS_ORIGINS', 'dash.example.com', 'exact origins'],
  ])('rejects %s=%j', (variable, raw, expected) => {
    const problems = problemsOf({ [variable]: raw });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(variable);
    expect(problems[0]).toContain(JSON.stringify(raw));
    expect(problems[0]).toContain(expected);
  });

  it('lists every bad value at once, one line each, naming the variable and the value', () => {
    const env = {
      PORT: '12abc',
      HOST: '',
      REDIS_URL: 'mysql://db',
      REDIS_PREFIX: '',
      JWT_SECRET: 'short',
      JWT_ISSUER: '',
      JWT_AUDIENCE: '',
      IDLE_TIMEOUT_MS: '1e3',
      MAX_SUBSCRIPTIONS_PER_ADMIN: '0',
      STATS_INTERVAL_MS: '10',
      SWEEP_INTERVAL_MS: '',
      LEASE_TTL_MS: '60000',
      MAX_BATCH_SIZE: '-5',
      CLOCK_SKEW_MS: 'soon',
      SUBSCRIBER_BUFFER: '1',
      MAX_DOCUMENT_BYTES: '16k',
      MAX_DOCUMENT_TOKENS: '0',
      MAX_QUERY_DEPTH: 'deep',
      MAX_QUERY_FIELDS: '5',
      MAX_REQUEST_BODY_BYTES: '1MiB',
      SSE_RESERVATION_TTL_MS: '30s',
      MAX_SSE_RESERVATIONS_PER_ADMIN: '-1',
      SUBSCRIBER_BUFFER_BYTES: '1MiB',
      SHUTDOWN_GRACE_MS: '10s',
      METRICS_TOKEN: 'short',
      LOG_LEVEL: 'loud',
    };
    const problems = problemsOf(env);
    expect(problems).toHaveLength(Object.keys(env).length);
    for (const [variable, value] of Object.entries(env)) {
      const line = problems.find((problem) => problem.startsWith(`${variable} `));
      expect(line, variable).toBeDefined();
      if (variable !== 'JWT_SECRET' && variable !== 'METRICS_TOKEN') expect(line).toContain(JSON.stringify(value));
      expect(line).toContain('expected');
    }
  });

  it('reports bad flag values under the variable they set', () => {
    expect(problemsOf({}, ['--port', 'x', '--log-level=loud'])).toEqual([
      'PORT (from --port) = "x": expected a whole number (plain decimal digits) from 0 to 65535',
      'LOG_LEVEL (from --log-level) = "loud": expected one of fatal, error, warn, info, debug, trace, silent',
    ]);
  });

  it('reports unknown flags, stray arguments and missing values together with bad values', () => {
    const problems = problemsOf({ PORT: 'x' }, ['--prot', '4001', '-p', 'stray', '--host', '--port=', '--idle-timeout-ms']);
    expect(problems).toEqual([
      expect.stringMatching(/^--prot: unknown flag; expected one of --port, --host, /),
      '"4001": unexpected argument; settings are flags such as --port 4001',
      expect.stringMatching(/^-p: unknown flag/),
      '"stray": unexpected argument; settings are flags such as --port 4001',
      '--host: expected a value but got "--port=", which looks like a flag; write --host=--port= if that is the value',
      '--idle-timeout-ms: expected a value (--idle-timeout-ms <value> or --idle-timeout-ms=<value>)',
      'PORT = "x": expected a whole number (plain decimal digits) from 0 to 65535',
    ]);
  });

  it('rejects an empty inline flag value as a bad value', () => {
    expect(problemsOf({}, ['--port='])).toEqual(['PORT (from --port) = "": expected a whole number (plain decimal digits) from 0 to 65535']);
  });

  it('rejects arguments after --', () => {
    expect(problemsOf({}, ['--', '--port'])).toEqual(['"--port": unexpected argument; settings are flags such as --port 4001']);
  });

  it('counts the problems in the first line of the message', () => {
    expect(() => loadConfig({ PORT: 'x', HOST: '' }, [])).toThrow(/^invalid configuration \(2 problems\):\n {2}PORT/);
  });
});

describe('the demo switch', () => {
  it.each([
    [{ DEMO: '1' }, [], true],
    [{ DEMO: 'true' }, [], true],
    [{ DEMO: '0' }, [], false],
    [{ DEMO: 'false' }, [], false],
    [{ DEMO: '' }, [], false],
    [{}, ['--demo'], true],
    [{}, ['--demo=true'], true],
    [{ DEMO: '1' }, ['--demo=false'], false],
    [{}, ['--demo', '--port', '4001'], true],
  ] as const)('reads %j %j as %s', (env, argv, demo) => {
    expect(loadConfig(env, argv).demo).toBe(demo);
  });

  it('takes no separate value, so a word after --demo is a stray argument', () => {
    expect(problemsOf({}, ['--demo', 'yes'])).toEqual(['"yes": unexpected argument; settings are flags such as --port 4001']);
  });

  it('rejects a value it cannot read, from the environment or the flag', () => {
    expect(problemsOf({ DEMO: 'yes' })).toEqual(['DEMO = "yes": expected 1 or true to turn it on, 0 or false to turn it off']);
    expect(problemsOf({}, ['--demo=maybe'])).toEqual(['DEMO (from --demo) = "maybe": expected 1 or true to turn it on, 0 or false to turn it off']);
  });

  it('is named in the start-up line only when on', () => {
    expect(describeConfig(loadConfig({}, ['--demo']))).toContain('demo=on');
    expect(describeConfig(loadConfig({}, []))).not.toContain('demo');
  });
});

describe('the number of workers', () => {
  const REDIS = 'redis://127.0.0.1:6379';

  it('is one process in memory mode, whatever the cores', () => {
    expect(loadConfig({}, [], 8).workers).toBe(1);
  });

  it('is one per core with REDIS_URL, from the environment or the flag', () => {
    expect(loadConfig({ REDIS_URL: REDIS }, [], 8).workers).toBe(8);
    expect(loadConfig({}, ['--redis-url', REDIS], 3).workers).toBe(3);
  });

  it("defaults to the machine's core count when none is given", () => {
    expect(loadConfig({ REDIS_URL: REDIS }, []).workers).toBe(availableParallelism());
  });

  it.each([
    [{ REDIS_URL: REDIS, WORKERS: '3' }, [], 3],
    [{ REDIS_URL: REDIS }, ['--workers', '2'], 2],
    [{ REDIS_URL: REDIS, WORKERS: '8' }, ['--workers=1'], 1],
    [{ REDIS_URL: REDIS }, ['--workers', '1024'], 1024],
    [{}, ['--workers', '1'], 1],
    [{ WORKERS: '1' }, [], 1],
  ] as const)('reads %j %j as %d', (env, argv, workers) => {
    expect(loadConfig(env, argv, 8).workers).toBe(workers);
  });

  it.each(['0', '-1', '1025', 'auto', '2.5', ''])('rejects WORKERS=%j', (raw) => {
    expect(problemsOf({ REDIS_URL: REDIS, WORKERS: raw })).toEqual([
      `WORKERS = ${JSON.stringify(raw)}: expected a whole number (plain decimal digits) from 1 to 1024`,
    ]);
  });

  it('refuses more than one worker without REDIS_URL, saying why and what to set', () => {
    const expected =
      'expected at most 1 without REDIS_URL or REDIS_CLUSTER_NODES: memory mode is one process; set one of them to run several workers as one gateway';
    expect(problemsOf({ WORKERS: '2' })).toEqual([`WORKERS = "2": ${expected}`]);
    expect(problemsOf({}, ['--workers', '4'])).toEqual([`WORKERS (from --workers) = "4": ${expected}`]);
  });

  it('blames a bad REDIS_URL, not WORKERS, when the URL is given but wrong', () => {
    const problems = problemsOf({ REDIS_URL: 'localhost:6379', WORKERS: '2' });
    expect(problems).toEqual([expect.stringMatching(/^REDIS_URL = "localhost:6379": expected a redis:\/\/ or rediss:\/\/ URL/)]);
  });

  it('is named in the start-up line', () => {
    expect(describeConfig(loadConfig({}, []))).toContain('backend=memory workers=1 ');
    expect(describeConfig(loadConfig({ REDIS_URL: REDIS, WORKERS: '4' }, []))).toContain('workers=4');
  });
});

describe('secrets stay out of messages', () => {
  it('never echoes a too-short JWT_SECRET', () => {
    const secret = 'hunter2-but-longer';
    const problems = problemsOf({ JWT_SECRET: secret });
    expect(problems).toEqual([
      'JWT_SECRET = "(value not shown)": expected at least 32 bytes for HS256 (or leave it unset for dev mode with a generated secret)',
    ]);
    expect(problems.join('\n')).not.toContain(secret);
  });

  it('counts bytes, not characters, for the secret length', () => {
    expect(loadConfig({ JWT_SECRET: 'é'.repeat(16) }, []).jwtSecret).toBe('é'.repeat(16));
    expect(problemsOf({ JWT_SECRET: 'é'.repeat(15) })).toHaveLength(1);
  });

  it('refuses the secret as a flag, because a command line is visible to other users', () => {
    for (const argv of [['--jwt-secret', SECRET], [`--jwt-secret=${SECRET}`]]) {
      const problems = problemsOf({}, argv);
      expect(problems).toEqual([expect.stringMatching(/^--jwt-secret: not accepted as a flag .*set JWT_SECRET in the environment$/)]);
      expect(problems.join('\n')).not.toContain(SECRET);
    }
  });

  it.each([
    ['too short', 'fifteen-chars!!'],
    ['with whitespace', 'a metrics token with spaces'],
    ['empty', ''],
  ])('refuses a METRICS_TOKEN %s without echoing it', (_why, token) => {
    const problems = problemsOf({ METRICS_TOKEN: token });
    expect(problems).toEqual([
      'METRICS_TOKEN = "(value not shown)": expected at least 16 characters without whitespace (or leave it unset for an open /metrics)',
    ]);
    if (token !== '') expect(problems.join('\n')).not.toContain(token);
  });

  it('refuses METRICS_TOKEN as a flag, like the JWT secret', () => {
    const token = 'scrape-me-0123456789';
    for (const argv of [['--metrics-token', token], [`--metrics-token=${token}`]]) {
      const problems = problemsOf({}, argv);
      expect(problems).toEqual([expect.stringMatching(/^--metrics-token: not accepted as a flag .*set METRICS_TOKEN in the environment$/)]);
      expect(problems.join('\n')).not.toContain(token);
    }
  });

  it('masks the password of a rejected REDIS_URL', () => {
    const problems = problemsOf({ REDIS_URL: 'http://admin:pa55word@cache:6379' });
    expect(problems).toEqual([
      'REDIS_URL = "http://admin:***@cache:6379": expected a redis:// or rediss:// URL with a host, e.g. redis://127.0.0.1:6379',
    ]);
  });

  it.each([
    ['redis://user:pw@host:6379/0', 'redis://user:***@host:6379/0'],
    ['redis://:pw@host', 'redis://:***@host'],
    ['redis://lonely@host', 'redis://***@host'],
    ['pw@host:6379', '***@host:6379'],
    ['redis://host:6379/a@b', 'redis://host:6379/a@b'],
    ['redis://host', 'redis://host'],
  ])('redacts %s as %s', (raw, redacted) => {
    expect(redactUrlCredentials(raw)).toBe(redacted);
  });
});

describe('describeConfig', () => {
  it('summarises memory and dev mode on one line', () => {
    const line = describeConfig(loadConfig({}, []));
    expect(line).not.toContain('\n');
    expect(line).toContain('listen=127.0.0.1:4000');
    expect(line).toContain('backend=memory');
    expect(line).toContain('auth=HS256/dev-generated-secret');
    expect(line).toContain('idleTimeoutMs=300000');
    expect(line).toContain('metrics=open');
    expect(line).toContain('historySize=10000 historyMaxAgeMs=600000');
    expect(line).toContain('maxDocumentBytes=16384 maxDocumentTokens=2000 maxQueryDepth=12 maxQueryFields=500');
    expect(line).toContain('maxRequestBodyBytes=1048576 sseReservationTtlMs=30000 maxSseReservationsPerAdmin=5 maxSseStreamsPerAdmin=5 maxOperationsPerConnection=100 corsOrigins=none sseKeepAliveMs=12000');
  });

  it('names Redis without its password and never shows the secret', () => {
    const config = loadConfig(
      { REDIS_URL: 'redis://app:s3cret@cache:6379', JWT_SECRET: SECRET, JWT_ISSUER: 'iss-1', JWT_AUDIENCE: 'aud-1', HOST: '::' },
      [],
    );
    const line = describeConfig(config);
    expect(line).toContain('listen=[::]:4000');
    expect(line).toContain('backend=redis redis://app:***@cache:6379 prefix=pulse:');
    expect(line).toContain('auth=HS256/JWT_SECRET iss=iss-1 aud=aud-1');
    expect(line).not.toContain(SECRET);
    expect(line).not.toContain('s3cret');
  });

  it('names the IP mode, the default and a chosen one', () => {
    expect(describeConfig(loadConfig({}, []))).toContain('historyMaxAgeMs=600000 ipMode=full');
    expect(describeConfig(loadConfig({ IP_MODE: 'hash' }, []))).toContain('ipMode=hash');
    expect(describeConfig(loadConfig({}, ['--ip-mode', 'drop']))).toContain('ipMode=drop');
  });

  it('says that /metrics is hidden off loopback without METRICS_TOKEN', () => {
    expect(describeConfig(loadConfig({ HOST: '0.0.0.0', JWT_SECRET: SECRET }, []))).toContain('metrics=hidden');
  });

  it('says that /metrics is protected without showing METRICS_TOKEN', () => {
    const token = 'scrape-me-0123456789';
    const line = describeConfig(loadConfig({ METRICS_TOKEN: token }, []));
    expect(line).toContain('metrics=METRICS_TOKEN');
    expect(line).not.toContain(token);
  });
});
