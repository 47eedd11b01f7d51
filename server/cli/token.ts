import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { mintToken, ROLES, type Role } from '../auth/authenticator.js';
import { ConfigError, loadConfig, type Config } from '../config/index.js';

/** How to call the token command; printed with every usage error. */
export const USAGE = [
  'usage: npm run token -- --sub <id> --role <admin|ingest> [--role <admin|ingest>] [--expires-in <lifetime>]',
  '  --sub         subject of the token (the admin or the ingesting application)',
  '  --role        role to grant; repeat for several',
  '  --expires-in  seconds (3600) or a span such as 30m, 12h, 7d (default 12h)',
  'Signs with JWT_SECRET (and JWT_ISSUER / JWT_AUDIENCE when set) from the environment; prints only the token.',
].join('\n');

/** Exit codes: 1 when the environment cannot sign, 2 for bad arguments (as most Unix tools do). */
export const EXIT = { ok: 0, environment: 1, usage: 2 } as const;

/** A token to mint, as asked on the command line. */
export interface TokenRequest {
  readonly sub: string;
  readonly roles: readonly Role[];
  /** Seconds, or a jose time span; `undefined` for {@link mintToken}'s default. */
  readonly expiresIn: string | number | undefined;
}

/** Bad command-line arguments; the message lists every problem found. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A positive lifetime in the forms jose understands (`90s`, `30 min`, `12h`, `7d`, `1.5h`). */
const SPAN = /^(\d+|\d+\.\d+) ?(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|years?|yrs?|y)$/i;

/**
 * Reads the command's arguments.
 * @returns the request, or `'help'` for `--help` / `-h`
 * @throws UsageError for unknown flags, stray arguments, or a missing or bad `--sub`, `--role`, `--expires-in`
 */
export function parseTokenArgs(argv: readonly string[]): TokenRequest | 'help' {
  const values = parseStrict(argv);
  if (values.help === true) return 'help';
  const problems: string[] = [];
  const sub = values.sub ?? '';
  if (sub.trim() === '') problems.push('--sub is required and must not be empty');
  const roles = parseRoles(values.role ?? [], problems);
  const expiresIn = parseExpiresIn(values['expires-in'], problems);
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  return { sub, roles, expiresIn };
}

function parseStrict(argv: readonly string[]) {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        sub: { type: 'string' },
        role: { type: 'string', multiple: true },
        'expires-in': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
    return values;
  } catch (error) {
    // parseArgs reports unknown flags, stray arguments and missing values as TypeErrors with clear messages.
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function parseRoles(given: readonly string[], problems: string[]): Role[] {
  if (given.length === 0) problems.push(`at least one --role is required (${ROLES.join(' or ')})`);
  const roles: Role[] = [];
  for (const value of given) {
    const role = ROLES.find((known) => known === value);
    if (role === undefined) problems.push(`--role ${JSON.stringify(value)} is not a role; expected ${ROLES.join(' or ')}`);
    else if (!roles.includes(role)) roles.push(role);
  }
  return roles;
}

function parseExpiresIn(value: string | undefined, problems: string[]): string | number | undefined {
  if (value === undefined) return undefined;
  const amount = Number.parseFloat(value);
  if (/^\d+$/.test(value) && amount > 0) return amount;
  if (SPAN.test(value) && amount > 0) return value;
  problems.push(`--expires-in ${JSON.stringify(value)} is not a positive lifetime; expected seconds (3600) or a span such as 30m, 12h, 7d`);
  return undefined;
}

/** Where the command writes; each call is one line. */
export interface TokenCliIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

const NO_SECRET = [
  'JWT_SECRET is not set, so there is no secret to sign with.',
  'Without it, `npm start` runs in dev mode with a random secret and prints ready-made dev tokens at start.',
  'To mint tokens here, set JWT_SECRET (at least 32 bytes) to the secret the server runs with.',
].join('\n');

/**
 * Runs the token command: prints one token on `out`, or explains on `err`.
 * @returns the exit code, see {@link EXIT}
 */
export async function runTokenCli(argv: readonly string[], env: NodeJS.ProcessEnv, io: TokenCliIo): Promise<number> {
  let request: TokenRequest | 'help';
  try {
    request = parseTokenArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`${error.message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  if (request === 'help') {
    io.out(USAGE);
    return EXIT.ok;
  }
  return signFor(request, env, io);
}

async function signFor(request: TokenRequest, env: NodeJS.ProcessEnv, io: TokenCliIo): Promise<number> {
  let config: Config;
  try {
    // No argv: the command's own flags are not server settings.
    config = loadConfig(env, []);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    io.err(error.message);
    return EXIT.environment;
  }
  if (config.jwtSecret === undefined) {
    io.err(NO_SECRET);
    return EXIT.environment;
  }
  const { jwtSecret: secret, jwtIssuer: issuer, jwtAudience: audience } = config;
  io.out(await mintToken({ secret, issuer, audience, ...request }));
  return EXIT.ok;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runTokenCli(process.argv.slice(2), process.env, {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
  });
}
