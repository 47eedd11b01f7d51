import { describe, expect, it } from 'vitest';
import { authMode } from '../../../server/auth/dev-mode.js';
import { isLoopbackHost } from '../../../server/config/host.js';
import { metricsAccess } from '../../../server/http/metrics-endpoint.js';

const SECRET = 'k'.repeat(32);

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.0.0.2', '127.255.255.254', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LocalHost'])('%s is loopback', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each([
    '0.0.0.0',
    '::',
    '10.0.0.1',
    '128.0.0.1',
    '126.255.255.255',
    '192.168.1.10',
    '::2',
    'fe80::1%lo',
    '::ffff:10.0.0.1',
    'example.com',
    'localhost.',
    'localhost.example.com',
    '127.0.0.1.nip.io',
    `::1%${'a'.repeat(5000)}`,
    '',
  ])('%s is not', (host) => {
    expect(isLoopbackHost(host)).toBe(false);
  });
});

describe('authMode', () => {
  it('uses JWT_SECRET whenever it is set, on any host and in production', () => {
    for (const host of ['127.0.0.1', '0.0.0.0', '::']) {
      for (const nodeEnv of [undefined, 'production', 'development']) expect(authMode({ jwtSecret: SECRET, host, nodeEnv })).toEqual({ kind: 'secret' });
    }
  });

  it('is dev mode only without a secret, outside production, on loopback', () => {
    for (const nodeEnv of [undefined, '', 'development', 'test']) {
      expect(authMode({ jwtSecret: undefined, host: '127.0.0.1', nodeEnv })).toEqual({ kind: 'dev' });
      expect(authMode({ jwtSecret: undefined, host: '::1', nodeEnv })).toEqual({ kind: 'dev' });
      expect(authMode({ jwtSecret: undefined, host: 'localhost', nodeEnv })).toEqual({ kind: 'dev' });
    }
  });

  it.each([
    ['production on loopback', '127.0.0.1', 'production', /NODE_ENV is production/],
    ['Production, any case or padding', '127.0.0.1', ' PRODUCTION ', /NODE_ENV is production/],
    ['every interface', '0.0.0.0', undefined, /HOST "0\.0\.0\.0" is not a loopback address/],
    ['every IPv6 interface', '::', 'development', /HOST "::" is not a loopback address/],
    ['a LAN address', '10.1.2.3', undefined, /not a loopback address/],
    ['a host name', 'pulse.internal', undefined, /not a loopback address/],
  ])('refuses without a secret: %s', (_case, host, nodeEnv, why) => {
    const mode = authMode({ jwtSecret: undefined, host, nodeEnv });
    expect(mode.kind).toBe('refuse');
    const problem = mode.kind === 'refuse' ? mode.problem : '';
    expect(problem).toMatch(/^JWT_SECRET is not set/);
    expect(problem).toMatch(why);
    expect(problem).not.toContain('\n');
  });

  it('keeps a hostile HOST out of the problem line beyond a bound', () => {
    const mode = authMode({ jwtSecret: undefined, host: `fe80::1%${'z'.repeat(10_000)}`, nodeEnv: undefined });
    expect(mode.kind === 'refuse' && mode.problem.length).toBeLessThan(400);
  });
});

describe('metricsAccess', () => {
  it('needs the token wherever one is set, hides /metrics off loopback without one, and leaves it open on loopback', () => {
    expect(metricsAccess('t'.repeat(16), false)).toEqual({ kind: 'token', token: 't'.repeat(16) });
    expect(metricsAccess('t'.repeat(16), true)).toEqual({ kind: 'token', token: 't'.repeat(16) });
    expect(metricsAccess(undefined, false)).toEqual({ kind: 'hidden' });
    expect(metricsAccess(undefined, true)).toEqual({ kind: 'open' });
  });
});
