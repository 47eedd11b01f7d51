import type { Plugin } from 'graphql-yoga';

/**
 * Headers every SSE response needs behind a proxy: nginx buffers event
 * streams unless told not to, which would hold events back for seconds.
 */
export function useStreamingHeaders(): Plugin {
  return {
    onResponse({ response }) {
      if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
        response.headers.set('x-accel-buffering', 'no');
        response.headers.set('cache-control', 'no-cache, no-transform');
      }
    },
  };
}
