import { once } from 'node:events';
import WebSocket from 'ws';

/**
 * Makes the Pulse process under soak collect its garbage, through the
 * inspector it was started with (`--inspect=127.0.0.1:<port>`), so heap
 * figures compare live objects rather than whatever V8 had not collected yet.
 * Two passes: the first can leave objects that only die after finalizers ran.
 */
export async function forceGarbageCollection(inspectorPort: number): Promise<void> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json()) as Array<{ webSocketDebuggerUrl?: string }>;
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on port ${inspectorPort}`);
  const socket = new WebSocket(url);
  await once(socket, 'open');
  try {
    for (const id of [1, 2]) {
      const answered = new Promise<void>((resolve) =>
        socket.on('message', (data: Buffer) => (JSON.parse(data.toString()) as { id?: number }).id === id && resolve()),
      );
      socket.send(JSON.stringify({ id, method: 'HeapProfiler.collectGarbage' }));
      await answered;
    }
  } finally {
    socket.close();
  }
}
