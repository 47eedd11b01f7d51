import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

/** The logger every part of Pulse receives (a pino logger). */
export type Logger = PinoLogger;

/**
 * Log paths whose values are replaced before a line is written, so that a
 * careless `logger.info({ req })` or `logger.info({ config })` cannot leak a
 * credential. Wildcards cover one level of nesting (pino's redact syntax).
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
];

/**
 * Creates the process logger: JSON lines on stdout, credentials redacted.
 * @param level - a pino level or `silent` (validated by `loadConfig`)
 * @param destination - where lines go instead of stdout, for tests
 * @throws Error from pino for a level it does not know
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' } };
  return destination === undefined ? pino(options) : pino(options, destination);
}
