/**
 * Wraps `task` so that its runs never overlap: a call made while it runs
 * asks for one more run after the current one (however many such calls
 * come), and resolves when the runs are over. Use it where two concurrent
 * runs would step on each other and a later run covers an earlier request.
 * @returns a function that starts a run, or joins the current one; rejects with what the last run threw
 */
export function coalesce(task: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again = false;
  const loop = async (): Promise<void> => {
    try {
      do {
        again = false;
        await task();
      } while (again);
    } finally {
      running = null;
    }
  };
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = loop();
    return running;
  };
}
