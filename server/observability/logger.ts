import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';

/** The logger every part of Pulse receives (a pino logger). */
export type Logger = PinoLogger;

/**
 * Log paths whose values are replaced before a line is written, so that a
 * careless `logger.info({ req })` or `logger.info({ config })` cannot leak a
 * credential, nor a failed Redis command its arguments (personal data). Wildcards cover one level of nesting (pino's redact syntax).
 */
export const REDACTED_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.headers.authorization',
  'connectionParams.authorization',
  '*.connectionParams.authorization',
  'authorization',
  '*.authorization',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'jwtSecret',
  '*.jwtSecret',
  'devSecret',
  '*.devSecret',
  // ioredis puts a failed command's arguments on its error: a store script's are the records themselves (names, agents).
  'err.command.args',
  '*.err.command.args',
  'error.command.args',
];

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Where lines go instead of stdout, for tests. */
  readonly destination?: DestinationStream;
  /**
   * One readable line per record (time, level, message, fields) instead of
   * JSON: for a person at a terminal in dev mode. Production keeps JSON,
   * which log shippers parse. @defaultValue false
   */
  readonly readable?: boolean;
}

/**
 * Creates the process logger: JSON lines on stdout (or readable ones, see
 * {@link LoggerOptions.readable}), credentials redacted either way.
 * @param level - a pino level or `silent` (validated by `loadConfig`)
 * @throws Error from pino for a level it does not know
 */
export function createLogger(level: string, { destination, readable = false }: LoggerOptions = {}): Logger {
  const options = { level, redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' } };
  if (readable) return pino(options, readableStream(destination));
  return destination === undefined ? pino(options) : pino(options, destination);
}

/** pino-pretty, synchronous so that lines interleave with the banner in order. */
function readableStream(destination: DestinationStream | undefined): DestinationStream {
  return pretty({
    sync: true,
    colorize: destination === undefined && process.stdout.isTTY,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    singleLine: true,
    ...(destination === undefined ? {} : { destination }),
  });
}
