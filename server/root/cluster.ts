import cluster, { type Worker } from 'node:cluster';
import { MetricsGatherer } from './cluster-metrics.js';
import type { Logger } from '../observability/logger.js';

/**
 * How the primary hands its dev secret to the workers it forks, so that one
 * dev token works on every worker. The environment, not argv: a command line
 * is visible to every user of the machine (`ps`), a process's environment
 * only to its owner.
 */
const DEV_SECRET_ENV = 'PULSE_WORKER_DEV_SECRET';

/** The `type` of the IPC message a worker sends once it serves. */
const READY = 'pulse:ready';

/** When and how often a crashed worker is forked again. */
export interface RestartBackoff {
  /** Delay before the first restart; doubled for each further crash in a row. */
  readonly initialMs: number;
  /** Longest delay between two restarts of one worker. */
  readonly maxMs: number;
  /** A worker that lived this long before it died starts a fresh series. */
  readonly stableMs: number;
}

/** Restarts at once-ish; a worker that cannot stay up costs one fork every few seconds, not a spin. */
export const DEFAULT_RESTART_BACKOFF: RestartBackoff = { initialMs: 100, maxMs: 5_000, stableMs: 10_000 };

/**
 * Time the primary grants past `SHUTDOWN_GRACE_MS`: a worker gives up at
 * the grace time itself, and its exit then takes a moment to be reported.
 */
export const SHUTDOWN_MARGIN_MS = 2_000;

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** Workers to keep running, at least 1. */
  readonly workers: number;
  /** Each worker's own shutdown bound; the primary waits this plus {@link SHUTDOWN_MARGIN_MS}. */
  readonly shutdownGraceMs: number;
  /** The dev secret (when `JWT_SECRET` is unset), passed to every worker; see {@link inheritedDevSecret}. */
  readonly devSecret: string | undefined;
  readonly logger: Logger;
  /** @defaultValue {@link DEFAULT_RESTART_BACKOFF} */
  readonly backoff?: RestartBackoff;
}

/** The workers of a primary process. */
export interface RunningCluster {
  /**
   * Resolves with the base URL once every worker serves. Rejects when a
   * worker exits before that: a start that fails (Redis unreachable, port
   * taken) fails the same way in every worker, so it is not retried.
   */
  readonly ready: Promise<string>;
  /**
   * Sends `signal` to every worker (each does its own graceful shutdown)
   * and resolves with the exit code for the primary once all have exited:
   * 0 when each exited cleanly, 1 otherwise. Workers still running
   * {@link SHUTDOWN_MARGIN_MS} after `shutdownGraceMs` are killed (code 1).
   * Idempotent: later calls return the first call's promise.
   */
  stop(signal: NodeJS.Signals): Promise<number>;
}

/** One serving position: the worker in it now and how often it died young in a row. */
interface Slot {
  readonly id: number;
  worker: Worker | undefined;
  ready: boolean;
  forkedAt: number;
  crashes: number;
  restart: NodeJS.Timeout | undefined;
}

/** What the primary knows of a worker that exited. */
interface WorkerExit {
  readonly worker: number;
  readonly workerPid: number | undefined;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * Forks `workers` copies of this script (same arguments and Node options)
 * with `node:cluster`: they share one listening port (with `PORT=0`, one
 * random port), and the primary hands connections to them in turn. A
 * worker that dies after the cluster came up is forked again after
 * {@link restartDelayMs}. Call only in the primary.
 */
export function startCluster(options: ClusterOptions): RunningCluster {
  const pool = new WorkerPool(options);
  pool.start();
  return { ready: pool.started.promise, stop: (signal) => pool.stop(signal) };
}

/** The slots, their workers, and what to do when one announces itself or exits. */
class WorkerPool {
  readonly started = deferred<string>();
  private readonly slots: Slot[];
  private readonly env: Record<string, string>;
  private readonly backoff: RestartBackoff;
  private up = false;
  private stopping: Stopping | undefined;
  /** Answers the workers' `/metrics` with every worker's figures. */
  private readonly metrics = new MetricsGatherer(() => this.slots.flatMap((slot) => (slot.worker ? [slot.worker] : [])));

  constructor(private readonly options: ClusterOptions) {
    this.slots = Array.from({ length: options.workers }, (_, id) => ({ id, worker: undefined, ready: false, forkedAt: 0, crashes: 0, restart: undefined }));
    this.env = options.devSecret === undefined ? {} : { [DEV_SECRET_ENV]: options.devSecret };
    this.backoff = options.backoff ?? DEFAULT_RESTART_BACKOFF;
  }

  start(): void {
    this.slots.forEach((slot) => this.fork(slot));
  }

  stop(signal: NodeJS.Signals): Promise<number> {
    const { shutdownGraceMs, logger } = this.options;
    this.stopping ??= stopWorkers(this.slots, signal, shutdownGraceMs + SHUTDOWN_MARGIN_MS, logger);
    return this.stopping.done;
  }

  private fork(slot: Slot): void {
    const worker = cluster.fork(this.env);
    Object.assign(slot, { worker, ready: false, forkedAt: Date.now(), restart: undefined });
    this.options.logger.info({ worker: slot.id, workerPid: worker.process.pid }, 'worker starting');
    worker.on('message', (message: unknown) => this.onMessage(slot, worker, message));
    // An IPC failure to one worker must not take the primary, and so every worker, down; its exit follows.
    worker.on('error', (err: Error) => this.options.logger.warn({ err, worker: slot.id, workerPid: worker.process.pid }, 'worker error'));
    worker.once('exit', (code: number | null, signal: NodeJS.Signals | null) => this.onExit(slot, { worker: slot.id, workerPid: worker.process.pid, code, signal }));
  }

  private onMessage(slot: Slot, worker: Worker, message: unknown): void {
    if (this.metrics.onMessage(worker, message)) return;
    const url = readyUrl(message);
    if (url === undefined || slot.worker !== worker) return;
    slot.ready = true;
    this.options.logger.info({ worker: slot.id, workerPid: worker.process.pid, url }, 'worker serving');
    if (!this.up && this.slots.every((s) => s.ready)) {
      this.up = true;
      this.started.resolve(url);
    }
  }

  private onExit(slot: Slot, exit: WorkerExit): void {
    const wasReady = slot.ready;
    Object.assign(slot, { worker: undefined, ready: false });
    if (this.stopping) this.stopping.exited(exit, wasReady);
    else if (this.up) this.restart(slot, exit);
    else {
      this.options.logger.error(exit, 'worker exited before it was serving');
      const how = exit.signal ?? `code ${exit.code}`;
      this.started.reject(new Error(`worker ${exit.worker} (pid ${exit.workerPid}) exited with ${how} before it was serving`));
    }
  }

  private restart(slot: Slot, exit: WorkerExit): void {
    slot.crashes = Date.now() - slot.forkedAt >= this.backoff.stableMs ? 1 : slot.crashes + 1;
    const delayMs = restartDelayMs(slot.crashes, this.backoff);
    this.options.logger.warn({ ...exit, delayMs }, 'worker exited unexpectedly; starting a new one');
    slot.restart = setTimeout(() => this.fork(slot), delayMs);
  }
}

/**
 * Delay before forking a worker again after its `crashes`-th death in a
 * row: `initialMs`, doubling, capped at `maxMs`.
 */
export function restartDelayMs(crashes: number, { initialMs, maxMs }: RestartBackoff): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, Math.min(crashes - 1, 30)));
}

/** A shutdown in progress: told of each exit, resolves `done` with the primary's exit code. */
interface Stopping {
  readonly done: Promise<number>;
  exited(exit: WorkerExit, wasReady: boolean): void;
}

/** Signals every live worker, cancels pending restarts, and tracks the exits until none is left or the deadline passes. */
function stopWorkers(slots: readonly Slot[], signal: NodeJS.Signals, deadlineMs: number, logger: Logger): Stopping {
  const done = deferred<number>();
  let clean = true;
  const live = (): Worker[] => slots.flatMap((slot) => (slot.worker ? [slot.worker] : []));
  const finishIfAllGone = (): void => {
    if (live().length === 0) done.resolve(clean ? 0 : 1);
  };
  for (const slot of slots) clearTimeout(slot.restart);
  const deadline = setTimeout(() => {
    const left = live();
    logger.error({ workerPids: left.map((worker) => worker.process.pid), deadlineMs }, 'workers still running past SHUTDOWN_GRACE_MS; killing them');
    left.forEach((worker) => worker.process.kill('SIGKILL'));
    done.resolve(1);
  }, deadlineMs);
  void done.promise.then(() => clearTimeout(deadline));
  live().forEach((worker) => worker.process.kill(signal));
  finishIfAllGone();
  return {
    done: done.promise,
    exited: (exit, wasReady) => {
      // A worker still starting has no shutdown handler yet and dies of the signal itself; it had nothing to drain.
      const ok = exit.code === 0 || (!wasReady && exit.signal === signal);
      if (!ok) clean = false;
      logger[ok ? 'info' : 'warn'](exit, 'worker stopped');
      finishIfAllGone();
    },
  };
}

/** The URL of a worker's ready message, `undefined` for any other message. */
function readyUrl(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const { type, url } = message as { type?: unknown; url?: unknown };
  return type === READY && typeof url === 'string' ? url : undefined;
}

/**
 * In a worker: tells the primary that this worker serves `url` and handles
 * SIGTERM / SIGINT from now on. Does nothing outside a cluster.
 */
export function announceReady(url: string): void {
  process.send?.({ type: READY, url });
}

/**
 * In a worker: the dev secret its primary generated, or `undefined` when
 * `JWT_SECRET` is set. Removed from the environment once read, so nothing
 * this process starts inherits it.
 */
export function inheritedDevSecret(): string | undefined {
  const secret = process.env[DEV_SECRET_ENV];
  Reflect.deleteProperty(process.env, DEV_SECRET_ENV);
  return secret;
}

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(error: Error): void } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
