/** The three servers under test, each started fresh as its own process, with its RSS and CPU read from /proc. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Which server. */
export type ServerKind = 'pulse' | 'raw' | 'yoga';

/** Every server, in the order they are measured. */
export const SERVER_KINDS: readonly ServerKind[] = ['pulse', 'raw', 'yoga'];

/** Column headings. */
export const SERVER_NAMES: Record<ServerKind, string> = { pulse: 'Pulse', raw: 'Raw SSE', yoga: 'Bare Yoga' };

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BASELINE_ENTRY: Record<Exclude<ServerKind, 'pulse'>, string> = { raw: 'tests/bench/baseline-raw-sse.ts', yoga: 'tests/bench/baseline-yoga.ts' };
/** Pulse's banner and the baselines' line. */
const LISTENING = /(?:is running|listening) on (http:\/\/\S+)/;
/** Linux's USER_HZ, the unit of utime and stime in /proc/<pid>/stat; 100 on every mainstream distribution. */
const CLOCK_TICKS_PER_SECOND = 100;
/** pino's level number of `warn`. */
const WARN = 40;
/** Servers started and not yet exited, for {@link killStartedServers}. */
const started = new Set<ChildProcess>();

/**
 * Pulse as a deployment runs it: the production build under plain `node`,
 * built first when a source changed. A checkout from before the production
 * build (`--pulse-root`) runs its sources through tsx.
 */
function pulseEntry(root: string): string[] {
  if (!existsSync(`${root}/server/cli/build.mjs`)) return ['--import', 'tsx', 'server/main.ts'];
  execFileSync(process.execPath, ['server/cli/build.mjs', '--if-stale'], { cwd: root, stdio: 'inherit' });
  return ['dist/server/main.js'];
}

/** SIGKILLs every server this process started that still runs: the way out when the run overran its bound. */
export function killStartedServers(): void {
  for (const child of started) child.kill('SIGKILL');
}

/** A server process under test. */
export interface BenchServer {
  readonly kind: ServerKind;
  /** `http://127.0.0.1:<port>/graphql`. */
  readonly graphqlUrl: string;
  readonly pid: number;
  /** Resident memory now (VmRSS), summed over the process and its descendants. */
  rssBytes(): number;
  /** CPU time used so far (user + system) by the process and its live descendants, in seconds. */
  cpuSeconds(): number;
  /** Warnings and errors it logged (pino lines at warn or above, and stderr), counted by message. */
  problems(): Record<string, number>;
  /** SIGTERM, then SIGKILL after 15 s. */
  stop(): Promise<void>;
}

/**
 * Starts `kind` with `env` added to the environment, with `NODE_ENV=production`
 * for all three servers as a deployment runs them (graphql-js skips its
 * development checks; Yoga would ping every 300 ms under `test`), and resolves once it prints the
 * URL it listens on. Pulse runs from `pulseRoot` (another checkout, to
 * compare versions; it needs its own node_modules or a link to these).
 * @param nodeArgs - flags for `node` itself, e.g. `--cpu-prof` (which `NODE_OPTIONS` may not carry) @defaultValue none
 * @throws Error with its output when it exits or stays silent for 30 s
 */
export async function startServer(kind: ServerKind, env: Record<string, string>, pulseRoot: string = ROOT, nodeArgs: readonly string[] = []): Promise<BenchServer> {
  const { NODE_ENV: _ignored, ...inherited } = process.env;
  const cwd = kind === 'pulse' ? pulseRoot : ROOT;
  const child = spawn(process.execPath, [...nodeArgs, ...(kind === 'pulse' ? pulseEntry(pulseRoot) : ['--import', 'tsx', BASELINE_ENTRY[kind]])], {
    cwd,
    env: { ...inherited, NODE_ENV: 'production', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const problems: Record<string, number> = {};
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${kind} did not start within 30 s:\n${output}`)), 30_000);
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      if (output.length < 100_000) output += chunk;
      countProblems(chunk, problems);
      const match = LISTENING.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.stderr?.on('data', (chunk: string) => {
      if (output.length < 100_000) output += chunk;
      for (const line of chunk.split('\n')) if (line.trim() !== '') bump(problems, `stderr: ${line.trim().slice(0, 160)}`);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${kind} exited with ${code} before listening:\n${output}`));
    });
  });
  child.removeAllListeners('exit');
  started.add(child);
  child.once('exit', () => started.delete(child));
  return handle(kind, child, `${url}/graphql`, problems);
}

function handle(kind: ServerKind, child: ChildProcess, graphqlUrl: string, problems: Record<string, number>): BenchServer {
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${kind} has no pid`);
  return {
    kind,
    graphqlUrl,
    pid,
    rssBytes: () => sumOverTree(pid, readRss),
    cpuSeconds: () => sumOverTree(pid, readCpuSeconds),
    problems: () => ({ ...problems }),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Counts pino lines at warn or above by their message; other stdout (banners) is not a problem. */
function countProblems(chunk: string, problems: Record<string, number>): void {
  for (const line of chunk.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const record = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
      if ((record.level ?? 0) >= WARN) bump(problems, `${record.msg ?? '?'}${record.err?.message ? `: ${record.err.message}` : ''}`.slice(0, 200));
    } catch {
      // A log line split across chunks: rare, and only a count is lost.
    }
  }
}

function bump(problems: Record<string, number>, key: string): void {
  problems[key] = (problems[key] ?? 0) + 1;
}

/** `pid` and every process below it: a Pulse with `WORKERS` above 1 serves from forked workers. */
function processTree(pid: number): number[] {
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${tree[i]}/task`);
    } catch {
      continue; // exited meanwhile
    }
    for (const task of tasks) {
      try {
        const children = readFileSync(`/proc/${tree[i]}/task/${task}/children`, 'utf8').trim();
        if (children !== '') tree.push(...children.split(' ').map(Number));
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return tree;
}

/** Sums a reading over the process tree, skipping processes that exit while it is read. */
function sumOverTree(pid: number, read: (pid: number) => number): number {
  let total = 0;
  for (const member of processTree(pid)) {
    try {
      total += read(member);
    } catch {
      // gone
    }
  }
  return total;
}

function readRss(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match?.[1]) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

function readCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may itself hold spaces: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}
