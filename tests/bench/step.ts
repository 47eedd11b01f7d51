/** One step of offered load: publish at a fixed rate, then account for every event of the measuring window. */
import { setTimeout as delay } from 'node:timers/promises';
import type { StepArgs, StepResult } from './protocol.js';
import type { Publisher } from './publisher.js';
import type { SubscriptionPool } from './subscription-pool.js';

/** Publishing granularity: 50 mutations a second at most, so a step's cost is the events, not the requests. */
const TICK_MS = 20;
const POLL_MS = 25;
const MAX_ERRORS_KEPT = 5;
/** No event for this long means the server has caught up with an earlier step. */
const QUIET_MS = 300;
/** A server still sending after this long is counted against the next step, which then fails honestly. */
const MAX_QUIET_WAIT_MS = 10_000;

/** Waits until the previous step's backlog has stopped arriving, so it does not weigh on this one. */
async function quiet(pool: SubscriptionPool): Promise<void> {
  const deadline = Date.now() + MAX_QUIET_WAIT_MS;
  let last = -1;
  while (pool.counter.total !== last && Date.now() < deadline) {
    last = pool.counter.total;
    await delay(QUIET_MS);
  }
}

/**
 * Publishes `rate` events per second for `warmMs + measureMs`, each stamped
 * with the time it was sent, then waits (at most `drainMs`) until every
 * subscriber received every event stamped inside the measuring window.
 * What has not arrived by then counts as missing.
 */
export async function runStep(args: StepArgs, pool: SubscriptionPool, publisher: Publisher): Promise<StepResult> {
  const { rate, warmMs, measureMs, drainMs } = args;
  await quiet(pool);
  const subscribers = pool.size;
  const endedBefore = pool.ended;
  const start = Date.now();
  const windowStart = start + warmMs;
  const windowEnd = windowStart + measureMs;
  pool.counter.reset(windowStart, windowEnd);
  const cpuBefore = process.cpuUsage();
  const errors: string[] = [];
  let published = 0;
  let publishFailures = 0;
  let sent = 0;
  const inFlight = new Set<Promise<void>>();
  for (let now = Date.now(); now < windowEnd; now = Date.now()) {
    // From elapsed time, not a tick count: a late tick catches up instead of lowering the rate.
    const due = Math.floor(((now - start) * rate) / 1000) - sent;
    if (due > 0) {
      sent += due;
      const at = now;
      const request = publisher.publish(due, at).then(
        (count) => {
          if (at >= windowStart) published += count;
        },
        (error: unknown) => {
          publishFailures += 1;
          if (errors.length < MAX_ERRORS_KEPT) errors.push(`publish: ${error instanceof Error ? error.message : String(error)}`);
        },
      );
      inFlight.add(request);
      void request.finally(() => inFlight.delete(request));
    }
    await delay(TICK_MS);
  }
  await Promise.race([Promise.all(inFlight), delay(drainMs)]);
  const deadline = Date.now() + drainMs;
  while (pool.counter.received < published * subscribers && Date.now() < deadline) await delay(POLL_MS);
  const cpu = process.cpuUsage(cpuBefore);
  const { counter } = pool;
  const expected = published * subscribers;
  return {
    rate,
    subscribers,
    published,
    expected,
    received: counter.received,
    missing: Math.max(0, expected - counter.received),
    excess: Math.max(0, counter.received - expected),
    dropped: pool.ended - endedBefore,
    publishFailures,
    streamErrors: counter.streamErrors,
    errors: [...errors, ...counter.errors].slice(0, MAX_ERRORS_KEPT),
    // The offered rate times the share delivered: counting arrivals per window second instead would let
    // a tick that straddles the window's start (one tick's catch-up, stamped inside) inflate the figure.
    deliveriesPerSec: expected === 0 ? 0 : rate * subscribers * (counter.received / expected),
    latency: counter.latency.summary(),
    generatorCpuPct: ((cpu.user + cpu.system) / 1000 / (Date.now() - start)) * 100,
  };
}
