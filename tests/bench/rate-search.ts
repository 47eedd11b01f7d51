/** Finds the highest offered rate a server sustains: p99 under the bound with nothing lost. */
import type { StepResult } from './protocol.js';

/** The latency bound of the throughput target. */
export const P99_BOUND_MS = 250;

/**
 * A rate fails only when it fails this many times in a row: on a shared
 * machine one stall of another process can push a single step's p99 over
 * the bound, and one such blip would end the doubling early.
 */
const TRIES_BEFORE_FAILING = 2;

/** Lowest rate tried, in events per second. */
const MIN_RATE = 1;
/** Highest rate tried: far beyond what one process on two cores delivers to 1,000 subscribers. */
const MAX_RATE = 100_000;

/** Whether a step held: every event delivered to every subscriber exactly once, p99 under the bound, no failure anywhere. */
export function held(step: StepResult): boolean {
  return (
    step.published > 0 &&
    step.missing === 0 &&
    step.excess === 0 &&
    step.dropped === 0 &&
    step.publishFailures === 0 &&
    step.streamErrors === 0 &&
    step.latency.p99 < P99_BOUND_MS
  );
}

/** Every step tried, and the best that held (`null` when not even the lowest rate did). */
export interface SearchResult<S extends StepResult> {
  readonly best: S | null;
  readonly steps: readonly S[];
}

/**
 * Doubles the rate from `startRate` until a rate fails (twice in a row, see
 * {@link TRIES_BEFORE_FAILING}; or halves it until one holds), then bisects between the best rate that held and the lowest
 * that failed, `bisectSteps` times or until they are within 5 %.
 */
export async function searchRate<S extends StepResult>(run: (rate: number) => Promise<S>, startRate: number, bisectSteps: number): Promise<SearchResult<S>> {
  const steps: S[] = [];
  let best: S | null = null;
  let failedAt: number | null = null;
  const attempt = async (rate: number): Promise<boolean> => {
    for (let tries = 0; tries < TRIES_BEFORE_FAILING; tries++) {
      const step = await run(rate);
      steps.push(step);
      if (held(step)) {
        if (best === null || step.rate > best.rate) best = step;
        return true;
      }
    }
    failedAt = failedAt === null ? rate : Math.min(failedAt, rate);
    return false;
  };
  let rate = startRate;
  for (;;) {
    const ok = await attempt(rate);
    if (ok ? failedAt !== null : best !== null) break;
    rate = ok ? rate * 2 : Math.floor(rate / 2);
    if (rate > MAX_RATE || rate < MIN_RATE) break;
  }
  for (let i = 0; i < bisectSteps; i++) {
    const low: number | undefined = (best as S | null)?.rate;
    if (low === undefined || failedAt === null) break;
    const mid = Math.round((low + failedAt) / 2);
    if (failedAt - low <= Math.max(1, low * 0.05) || mid === low || mid === failedAt) break;
    await attempt(mid);
  }
  return { best, steps };
}
