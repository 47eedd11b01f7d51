import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { waitUntil } from './wait.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A Pulse running as its own OS process, as `npm start` runs it. */
export interface PulseProcess {
  readonly child: ChildProcess;
  /** Base URL parsed from its banner. */
  readonly url: string;
  /** Everything it printed on stdout so far. */
  stdout(): string;
  /** Sends SIGTERM and waits for the exit. */
  stop(): Promise<number | null>;
}

/** Settings for a child Pulse; `undefined` removes a variable the test process has. */
export type ChildEnv = Record<string, string | undefined>;

function childEnv(env: ChildEnv): NodeJS.ProcessEnv {
  // One process unless a test asks for workers: with REDIS_URL, Pulse would otherwise fork one worker per core.
  const merged = { ...process.env, PORT: '0', LOG_LEVEL: 'warn', WORKERS: '1', ...env };
  return Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined));
}

/** How to run Pulse: Node's arguments before Pulse's own. */
export type PulseEntry = readonly string[];

/** The TypeScript sources through tsx, as the tests run them. */
export const SOURCE_ENTRY: PulseEntry = ['--import', 'tsx', 'server/main.ts'];

/**
 * The production build (`npm run build`) under plain `node`, guarded: the
 * start fails if Pulse's compiled code loads TypeScript or a devDependency
 * (see `production-guard/hooks.mjs`).
 */
export const COMPILED_ENTRY: PulseEntry = ['--import', './tests/support/production-guard/register.mjs', 'dist/server/main.js'];

/** Pulse in a child process, with its output collected. */
function runMain(env: ChildEnv, args: readonly string[], entry: PulseEntry): { child: ChildProcess; stdout(): string; stderr(): string } {
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return { child, stdout: () => out, stderr: () => err };
}

/**
 * Starts Pulse (by default `server/main.ts`) in a child process with `env`
 * (PORT defaults to 0) and resolves once its banner names the URL it
 * listens on.
 */
export async function spawnPulse(env: ChildEnv, args: readonly string[] = [], entry: PulseEntry = SOURCE_ENTRY): Promise<PulseProcess> {
  const { child, stdout, stderr } = runMain(env, args, entry);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Pulse did not start within 20 s:\n${stdout()}\n${stderr()}`)), 20_000);
    const onData = (): void => {
      const match = /Pulse is running on (http:\/\/\S+)/.exec(stdout());
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Pulse exited with ${code} before listening:\n${stdout()}\n${stderr()}`));
    });
  });
  child.removeAllListeners('exit');
  return {
    child,
    url,
    stdout,
    stop: async () => {
      // A killed process has no exit code but a signal; either way it is gone.
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

/** Runs Pulse to completion (for start-up failures) and returns its exit code and output. */
export async function runPulseToExit(
  env: ChildEnv,
  args: readonly string[] = [],
  entry: PulseEntry = SOURCE_ENTRY,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { child, stdout, stderr } = runMain(env, args, entry);
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout: stdout(), stderr: stderr() };
}

/** One JSON log line of a Pulse process or of one of its workers (they share stdout). */
export type LogLine = Record<string, unknown> & { readonly pid?: number; readonly msg?: string };

/** The JSON log lines in `stdout`, skipping the banner's plain lines. */
export function logLines(stdout: string): LogLine[] {
  return stdout.split('\n').flatMap((line) => {
    if (!line.startsWith('{')) return [];
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      // A line still being written when stdout was read.
      return [];
    }
  });
}

/**
 * The pid of the process that served the request with this `x-request-id`,
 * from its `http request` log line (LOG_LEVEL `info` or lower). Waits for
 * the line: a worker writes it to the shared pipe on its own schedule.
 */
export function servedBy(pulse: PulseProcess, requestId: string, timeoutMs = 5_000): Promise<number> {
  const pid = (): number | undefined => logLines(pulse.stdout()).find((line) => line.msg === 'http request' && line.requestId === requestId)?.pid;
  return waitUntil(pid, timeoutMs, { what: `the log line of request ${requestId}` });
}

/** The pids of the workers a cluster's primary reported serving (LOG_LEVEL `info` or lower), in order. */
export function servingWorkerPids(pulse: PulseProcess): number[] {
  return logLines(pulse.stdout()).flatMap((line) => (line.msg === 'worker serving' && typeof line.workerPid === 'number' ? [line.workerPid] : []));
}
