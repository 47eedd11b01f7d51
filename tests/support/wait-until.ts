/**
 * Polls `check` until it returns true or `timeoutMs` passes. For state that
 * has no event to wait on (a count on the server returning to zero).
 * @throws with `what` in the message when the time runs out
 */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
