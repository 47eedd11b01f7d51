/** The orchestrator's handle on the load generator process: typed calls over IPC. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { GeneratorApi, GeneratorReply, Operation } from './protocol.js';

const ENTRY = fileURLToPath(new URL('./load-generator.ts', import.meta.url));

/** A running load generator. */
export class GeneratorClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (reply: GeneratorReply) => {
      const waiter = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (reply.ok) waiter?.resolve(reply.result);
      else waiter?.reject(new Error(`load generator: ${reply.error}`));
    });
    child.once('exit', (code) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`the load generator exited with ${code}`));
      this.pending.clear();
    });
  }

  /** Forks `load-generator.ts` under tsx (explicitly: the orchestrator's own exec flags are tsx's internals). */
  static start(): GeneratorClient {
    return new GeneratorClient(fork(ENTRY, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }

  /**
   * Runs one operation in the generator.
   * @throws Error with the generator's message (and stack) when it failed, or when it exited
   */
  call<K extends Operation>(op: K, args: Parameters<GeneratorApi[K]>[0]): Promise<ReturnType<GeneratorApi[K]>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ id, op, args });
    });
  }

  /** Disconnects; the generator exits when its IPC channel closes. */
  stop(): void {
    if (this.child.connected) this.child.disconnect();
  }
}
