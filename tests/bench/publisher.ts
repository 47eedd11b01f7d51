/** Publishes events through the public mutation: updates of a fixed pool of sessions, one `SessionUpdated` each. */
import { Agent } from 'node:http';
import { postGraphql } from './graphql-post.js';
import { RECORD, type Target } from './protocol.js';

/** Pulse's default `MAX_BATCH_SIZE`: larger ticks are split, so no server needs its limit raised for the steps. */
const MAX_BATCH = 500;

/** One activity as the mutation takes it. */
interface ActivityInput {
  readonly sessionId: string;
  readonly userId: string;
  readonly path: string;
  readonly at: string;
}

/** Round-robin updates of `poolSize` sessions (`bench-s-<i>`, one user each). */
export class Publisher {
  // Keep-alive: publishing must not pay a TCP handshake per tick, on any server alike.
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 32 });
  private next = 0;

  constructor(
    private readonly target: Target,
    private readonly poolSize: number,
  ) {}

  /**
   * Records `count` updates stamped `at` (epoch ms, the latency's origin).
   * @returns how many the server acknowledged
   * @throws Error when a request fails (see {@link postGraphql})
   */
  async publish(count: number, at: number): Promise<number> {
    const iso = new Date(at).toISOString();
    const requests: Promise<unknown>[] = [];
    for (let left = count; left > 0; left -= MAX_BATCH) requests.push(this.send(Math.min(left, MAX_BATCH), iso));
    await Promise.all(requests);
    return count;
  }

  /** Records every session of the pool once (its `SessionStarted` and `UserJoined` happen here, before anyone listens). */
  async prepare(): Promise<number> {
    const batches: Promise<unknown>[] = [];
    for (let left = this.poolSize; left > 0; left -= MAX_BATCH) batches.push(this.send(Math.min(left, MAX_BATCH), new Date().toISOString()));
    await Promise.all(batches);
    return this.poolSize;
  }

  /** Frees the keep-alive sockets. */
  close(): void {
    this.agent.destroy();
  }

  private send(count: number, at: string): Promise<unknown> {
    const inputs: ActivityInput[] = [];
    for (let i = 0; i < count; i++) {
      const n = this.next;
      this.next = (this.next + 1) % this.poolSize;
      inputs.push({ sessionId: `bench-s-${n}`, userId: `bench-u-${n}`, path: '/bench', at });
    }
    return postGraphql(this.target.graphqlUrl, this.target.ingestToken, RECORD, { inputs }, this.agent);
  }
}
