/** A background task retried on a backoff until it reports nothing left to do. See {@link retryLoop}. */
export interface RetryLoop {
  /** Schedules a first run after the first delay, unless the loop is already waiting or running. */
  start(): void;
  /** Runs at once instead of waiting out the delay; when a run is in progress, runs once more after it. */
  now(): void;
  /** Cancels the pending run and ends the loop after the current one, for good. */
  stop(): void;
}

/**
 * Runs `attempt` (resolving true while there is more to do, and never
 * rejecting) after `delayMs(0)`, then again after `delayMs(1)`, and so on,
 * until it resolves false; the next {@link RetryLoop.start} begins again at
 * `delayMs(0)`. The timer is unref'd: a pending retry alone does not keep
 * the process alive.
 */
export function retryLoop(attempt: () => Promise<boolean>, delayMs: (attempt: number) => number): RetryLoop {
  let state: 'idle' | 'waiting' | 'running' = 'idle';
  let timer: NodeJS.Timeout | undefined;
  let attempts = 0;
  let again = false;
  let stopped = false;

  const wait = (): void => {
    state = 'waiting';
    timer = setTimeout(() => void run(), delayMs(attempts++));
    timer.unref();
  };
  const run = async (): Promise<void> => {
    clearTimeout(timer);
    state = 'running';
    let more: boolean;
    do {
      again = false;
      more = await attempt();
    } while (more && again && !stopped);
    if (more && !stopped) return wait();
    state = 'idle';
    attempts = 0;
  };

  return {
    start() {
      if (state === 'idle' && !stopped) wait();
    },
    now() {
      if (stopped) return;
      if (state === 'waiting') void run();
      else if (state === 'running') again = true;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
