import type { Logger } from 'pino';
import { createMemoryFeed } from '../bus/memory.js';
import type { Clock } from '../core/clock.js';
import { createMemoryLeases } from '../leases/memory.js';
import { createMemorySaltStore } from '../privacy/salts/memory.js';
import { createMemoryStore } from '../store/memory.js';
import { createMemorySingleConnection } from '../transports/sse-single/backend.js';
import { historyOf, singleConnectionOf, type BackendConfig, type BackendObserver, type Backends } from './backend-types.js';

/** Every engine in this process's memory: one process, no setup. */
export function createMemoryBackends(config: BackendConfig, logger: Logger, observer: BackendObserver, clock: Clock): Backends {
  // Made together: the store is the only one given the feed's way in.
  const { feed: bus, deliver } = createMemoryFeed({ onListenerError: (err) => logger.error({ err }, 'change listener failed') });
  const store = createMemoryStore({ deliver, onPublished: observer.onPublished, history: historyOf(config) });
  const leases = createMemoryLeases();
  const singleConnection = createMemorySingleConnection(singleConnectionOf(config));
  const salts = createMemorySaltStore(clock);
  return {
    store,
    bus,
    leases,
    singleConnection,
    salts,
    kind: 'memory',
    isReady: async () => true,
    close: async () => {
      salts.close();
      await singleConnection.close();
      await leases.close();
      await bus.close();
      await store.close();
    },
  };
}
