import cluster, { type Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';

/** The IPC messages that make `/metrics` answer for the whole cluster. */
const GATHER = 'pulse:metrics:gather'; // a worker asks the primary
const COLLECT = 'pulse:metrics:collect'; // the primary asks every worker
const REPORT = 'pulse:metrics:report'; // a worker answers the primary
const GATHERED = 'pulse:metrics:gathered'; // the primary answers the worker that asked

type WorkerMetrics = MetricObjectWithValues<MetricValue<string>>[];

interface Message {
  readonly type?: unknown;
  readonly id?: unknown;
  readonly metrics?: unknown;
  readonly reports?: unknown;
}

function messageOf(value: unknown): Message {
  return typeof value === 'object' && value !== null ? (value as Message) : {};
}

/**
 * The text `/metrics` serves. In a worker of `--workers N`, every worker's
 * registry, gathered through the primary and merged by prom-client's
 * aggregator (counters and gauges summed across workers), so a scrape sees
 * the gateway whichever worker it reached; elsewhere, the registry's own.
 * A worker that does not answer within `timeoutMs` is left out.
 */
export function clusterMetricsText(registry: Registry, timeoutMs = 2000): () => Promise<string> {
  if (!cluster.isWorker) return () => registry.metrics();
  const waiting = new Map<string, (reports: WorkerMetrics[]) => void>();
  process.on('message', (value: unknown) => {
    const message = messageOf(value);
    if (message.type === COLLECT && typeof message.id === 'string') {
      const { id } = message;
      void registry.getMetricsAsJSON().then((metrics) => process.send?.({ type: REPORT, id, metrics }));
    } else if (message.type === GATHERED && typeof message.id === 'string' && Array.isArray(message.reports)) {
      waiting.get(message.id)?.(message.reports as WorkerMetrics[]);
    }
  });
  return async () => {
    const id = randomUUID();
    const reports = await new Promise<WorkerMetrics[] | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs * 2);
      waiting.set(id, (gathered) => {
        clearTimeout(timer);
        resolve(gathered);
      });
      process.send?.({ type: GATHER, id });
    });
    waiting.delete(id);
    // Without the primary's answer, this worker's own figures are better than none.
    if (reports === null || reports.length === 0) return registry.metrics();
    return AggregatorRegistry.aggregate(reports).metrics();
  };
}

/**
 * The primary's side: when a worker asks, asks every worker (itself
 * included) for its metrics and answers with all that arrived within
 * `timeoutMs`.
 */
export class MetricsGatherer {
  readonly #pending = new Map<string, { readonly asker: Worker; readonly awaited: Set<Worker>; readonly reports: WorkerMetrics[]; readonly timer: NodeJS.Timeout }>();

  constructor(
    private readonly workers: () => Worker[],
    private readonly timeoutMs = 2000,
  ) {}

  /** Handles a message from `from`; false when it was not about metrics. */
  onMessage(from: Worker, value: unknown): boolean {
    const message = messageOf(value);
    if (typeof message.id !== 'string') return false;
    if (message.type === GATHER) this.#gather(from, message.id);
    else if (message.type === REPORT) this.#report(from, message.id, message.metrics);
    else return false;
    return true;
  }

  #gather(asker: Worker, id: string): void {
    const awaited = new Set(this.workers().filter((worker) => worker.isConnected()));
    const timer = setTimeout(() => this.#answer(id), this.timeoutMs);
    this.#pending.set(id, { asker, awaited, reports: [], timer });
    for (const worker of awaited) worker.send({ type: COLLECT, id });
    if (awaited.size === 0) this.#answer(id);
  }

  #report(from: Worker, id: string, metrics: unknown): void {
    const pending = this.#pending.get(id);
    if (pending === undefined || !pending.awaited.delete(from) || !Array.isArray(metrics)) return;
    pending.reports.push(metrics as WorkerMetrics);
    if (pending.awaited.size === 0) this.#answer(id);
  }

  #answer(id: string): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    if (pending.asker.isConnected()) pending.asker.send({ type: GATHERED, id, reports: pending.reports });
  }
}
