/** The generator's open subscriptions, all counting into one {@link DeliveryCounter}. */
import { DeliveryCounter } from './delivery-counter.js';
import type { OpenResult, Target } from './protocol.js';
import { openSseSubscription, type SseSubscription } from './sse-subscriber.js';
import { mintSubscriberTokens } from './subscriber-tokens.js';

const MAX_ERRORS_KEPT = 5;

/** Subscriptions to one server; `ended` counts the ones that ended on the server's side. */
export class SubscriptionPool {
  readonly counter = new DeliveryCounter();
  /** Streams that ended without the generator closing them, since the pool was made. */
  ended = 0;
  private readonly subscriptions = new Set<SseSubscription>();

  /** Subscriptions currently open. */
  get size(): number {
    for (const subscription of this.subscriptions) if (!subscription.open) this.subscriptions.delete(subscription);
    return this.subscriptions.size;
  }

  /**
   * Opens subscriptions until `count` are open, `concurrency` at a time, each
   * with a token of its own subject (minted first, untimed), and times it
   * from the first request to the last response headers.
   */
  async topUp(target: Target, count: number, concurrency: number): Promise<OpenResult> {
    const wanted = Math.max(0, count - this.size);
    const tokens = await mintSubscriberTokens(target.tokenSecret, wanted);
    const errors: string[] = [];
    let opened = 0;
    let failed = 0;
    let next = 0;
    const started = performance.now();
    const worker = async (): Promise<void> => {
      while (next < wanted) {
        const token = tokens[next] as string;
        next += 1;
        try {
          this.subscriptions.add(await openSseSubscription(target, token, this.counter, () => this.onEnded()));
          opened += 1;
        } catch (error) {
          failed += 1;
          if (errors.length < MAX_ERRORS_KEPT) errors.push(error instanceof Error ? error.message : String(error));
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, wanted) }, worker));
    return { opened, failed, open: this.size, elapsedMs: performance.now() - started, errors };
  }

  /** Hangs up every subscription. */
  closeAll(): number {
    const closed = this.subscriptions.size;
    for (const subscription of this.subscriptions) subscription.close();
    this.subscriptions.clear();
    return closed;
  }

  private onEnded(): void {
    this.ended += 1;
    this.counter.streamError('a stream ended on the server side');
  }
}
