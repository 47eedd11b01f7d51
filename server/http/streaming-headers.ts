import type { Plugin } from 'graphql-yoga';

/**
 * Headers every SSE response needs behind a proxy: nginx buffers event
 * streams unless told not to, which would hold events back for seconds;
 * and no cache or proxy may transform what it relays.
 */
export const STREAMING_HEADERS: Readonly<Record<string, string>> = { 'x-accel-buffering': 'no', 'cache-control': 'no-cache, no-transform' };

/** Puts {@link STREAMING_HEADERS} on every event stream Yoga answers. */
export function useStreamingHeaders(): Plugin {
  return {
    onResponse({ response }) {
      if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
        for (const [name, value] of Object.entries(STREAMING_HEADERS)) response.headers.set(name, value);
      }
    },
  };
}
