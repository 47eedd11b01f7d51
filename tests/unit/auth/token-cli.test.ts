import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { generateDevSecret } from '../../../server/auth/authenticator.js';
import { EXIT, parseTokenArgs, runTokenCli, USAGE, UsageError, type TokenRequest } from '../../../server/cli/token.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const SECRET = generateDevSecret();

interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the real script in a child process, as `npm run token` does, with
 * only the given environment (plus PATH), so the outer shell's JWT_SECRET
 * cannot leak in.
 */
function runScript(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'server/cli/token.ts', ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH, ...env } },
      (error, stdout, stderr) => resolve({ code: error === null ? 0 : (error.code as number | null), stdout, stderr }),
    );
  });
}

/** Runs the command in-process and collects what it writes. */
async function runInProcess(args: readonly string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runTokenCli(args, env, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** Parses arguments that must make a request (not help). */
function requestOf(args: readonly string[]): TokenRequest {
  const request = parseTokenArgs(args);
  if (request === 'help') throw new Error('expected a token request');
  return request;
}

function usageProblem(args: readonly string[]): string {
  try {
    parseTokenArgs(args);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as UsageError).message;
  }
  throw new Error('expected a UsageError');
}

describe('parseTokenArgs', () => {
  it('reads sub, repeated roles and the lifetime', () => {
    expect(parseTokenArgs(['--sub', 'alice', '--role', 'admin', '--role=ingest', '--expires-in', '1h'])).toEqual({
      sub: 'alice',
      roles: ['admin', 'ingest'],
      expiresIn: '1h',
    });
  });

  it('leaves the lifetime to mintToken by default, reads digits as seconds and drops repeated roles', () => {
    expect(parseTokenArgs(['--sub=bob', '--role', 'ingest', '--role', 'ingest'])).toEqual({ sub: 'bob', roles: ['ingest'], expiresIn: undefined });
    expect(requestOf(['--sub=bob', '--role', 'ingest', '--expires-in', '3600']).expiresIn).toBe(3600);
    expect(requestOf(['--sub=bob', '--role', 'ingest', '--expires-in', '1.5h']).expiresIn).toBe('1.5h');
  });

  it('answers help for --help and -h', () => {
    expect(parseTokenArgs(['--help'])).toBe('help');
    expect(parseTokenArgs(['-h'])).toBe('help');
  });

  it.each([
    [[], /--sub is required[\s\S]*at least one --role/],
    [['--sub', 'alice'], /^at least one --role is required \(admin or ingest\)$/],
    [['--sub', '', '--role', 'admin'], /^--sub is required/],
    [['--sub', 'alice', '--role', 'root'], /^--role "root" is not a role; expected admin or ingest$/],
    [['--sub', 'alice', '--role', 'admin', '--expires-in', 'soon'], /^--expires-in "soon" is not a positive lifetime/],
    [['--sub', 'alice', '--role', 'admin', '--expires-in', '0'], /^--expires-in "0"/],
    [['--sub', 'alice', '--role', 'admin', '--expires-in', '-5m'], /--expires-in/],
    [['--sub', 'alice', '--role', 'admin', '--bogus'], /Unknown option '--bogus'/],
    [['--sub', 'alice', '--role', 'admin', 'extra'], /Unexpected argument 'extra'/],
    [['--sub', '--role', 'admin'], /--sub/],
  ])('rejects %j', (args, message) => {
    expect(usageProblem(args)).toMatch(message);
  });
});

describe('runTokenCli (in process)', () => {
  it('prints only a token that verifies with the secret', async () => {
    const result = await runInProcess(['--sub', 'alice', '--role', 'admin'], { JWT_SECRET: SECRET });
    expect(result).toMatchObject({ code: EXIT.ok, stderr: '' });
    const { payload } = await jwtVerify(result.stdout, new TextEncoder().encode(SECRET), { algorithms: ['HS256'] });
    expect(payload).toMatchObject({ sub: 'alice', roles: ['admin'] });
  });

  it('prints usage on stdout for --help', async () => {
    expect(await runInProcess(['--help'], {})).toEqual({ code: EXIT.ok, stdout: USAGE, stderr: '' });
  });

  it('reports a bad environment with the config error and exit 1, without echoing the secret', async () => {
    const result = await runInProcess(['--sub', 'alice', '--role', 'admin'], { JWT_SECRET: 'short-secret', PORT: 'x' });
    expect(result.code).toBe(EXIT.environment);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^ {2}PORT = "x"/m);
    expect(result.stderr).toMatch(/^ {2}JWT_SECRET = "\(value not shown\)"/m);
    expect(result.stderr).not.toContain('short-secret');
  });
});

describe('token script (child process)', () => {
  it('prints one token, for the configured secret, issuer and audience', async () => {
    const env = { JWT_SECRET: SECRET, JWT_ISSUER: 'https://auth.example', JWT_AUDIENCE: 'pulse' };
    const result = await runScript(['--sub', 'alice', '--role', 'admin', '--role', 'ingest', '--expires-in', '1h'], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const { payload, protectedHeader } = await jwtVerify(result.stdout.trim(), new TextEncoder().encode(SECRET), {
      algorithms: ['HS256'],
      issuer: 'https://auth.example',
      audience: 'pulse',
    });
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload).toMatchObject({ sub: 'alice', roles: ['admin', 'ingest'] });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600);
  });

  it('exits 1 without JWT_SECRET, pointing at the dev tokens of npm start', async () => {
    const result = await runScript(['--sub', 'alice', '--role', 'admin']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/JWT_SECRET is not set/);
    expect(result.stderr).toMatch(/npm start/);
  });

  it('exits 2 with usage for bad arguments', async () => {
    const result = await runScript(['--sub', 'alice', '--role', 'root', '--nope'], { JWT_SECRET: SECRET });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/Unknown option '--nope'/);
    expect(result.stderr).toContain(USAGE);
  });

  it('exits 2 for a missing role even when JWT_SECRET is absent (arguments are checked first)', async () => {
    const result = await runScript(['--sub', 'alice']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/at least one --role/);
  });
});
