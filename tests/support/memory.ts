import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
/** V8's gc(), reachable without starting the test process with --expose-gc. */
const gc = runInNewContext('gc') as () => void;

/**
 * What this process holds after two full collections: the JS heap plus
 * memory outside it (socket and string buffers), where a queue of unsent
 * results would sit.
 */
export function heldBytesAfterGc(): number {
  gc();
  gc();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}
