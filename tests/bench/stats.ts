/** Percentiles for the bench: delivery latencies by histogram, query latencies by sorted samples. */

/** Latencies above this many ms all land in the last bucket; a step that slow has failed long before. */
const MAX_TRACKED_MS = 60_000;

/** A latency distribution in whole milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/**
 * Delivery latencies counted in 1 ms buckets: constant memory and one
 * increment per sample, because the generator records hundreds of
 * thousands of them per second and must not become the bottleneck itself.
 */
export class LatencyHistogram {
  private readonly buckets = new Uint32Array(MAX_TRACKED_MS + 1);
  private count = 0;
  private sum = 0;
  private max = 0;

  /** Records one latency; negative values (clock granularity) count as 0. */
  add(ms: number): void {
    const bucket = ms <= 0 ? 0 : ms >= MAX_TRACKED_MS ? MAX_TRACKED_MS : Math.round(ms);
    this.buckets[bucket]! += 1;
    this.count += 1;
    this.sum += bucket;
    if (bucket > this.max) this.max = bucket;
  }

  /** Forgets every sample. */
  reset(): void {
    this.buckets.fill(0);
    this.count = this.sum = this.max = 0;
  }

  /** Percentiles of what was recorded; all zero when nothing was. */
  summary(): LatencySummary {
    return { count: this.count, p50: this.at(0.5), p90: this.at(0.9), p99: this.at(0.99), max: this.max, mean: this.count === 0 ? 0 : this.sum / this.count };
  }

  /** The smallest latency that at least `fraction` of the samples do not exceed (nearest rank). */
  private at(fraction: number): number {
    if (this.count === 0) return 0;
    const rank = Math.ceil(fraction * this.count);
    let seen = 0;
    for (let ms = 0; ms <= this.max; ms++) {
      seen += this.buckets[ms]!;
      if (seen >= rank) return ms;
    }
    return this.max;
  }
}

/** Percentiles of fractional samples (query timings in ms), by nearest rank. */
export function summarize(samples: readonly number[]): LatencySummary {
  if (samples.length === 0) return { count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (fraction: number): number => sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)]!;
  const mean = sorted.reduce((total, value) => total + value, 0) / sorted.length;
  return { count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1]!, mean };
}
