import type { ConnectionStatus } from '../lib/index.js';

/** What the dashboard exposes on `window.__pulseDashboard` for browser tests and debugging. */
export interface DashboardDebug {
  /** Every connection status seen, in order, starting with the initial one. */
  readonly statusHistory: ConnectionStatus[];
  /** Dropped events and rendering failures, newest last (at most {@link MAX_PROBLEMS}). */
  readonly problems: string[];
}

declare global {
  interface Window {
    /** See {@link DashboardDebug}. */
    __pulseDashboard?: DashboardDebug;
  }
}

/** Problems kept; older ones are dropped so a stream of bad events cannot grow memory. */
export const MAX_PROBLEMS = 50;

/** Installs (or reuses) `window.__pulseDashboard`. */
export function installDebug(target: Window): DashboardDebug {
  const debug = target.__pulseDashboard ?? { statusHistory: [], problems: [] };
  target.__pulseDashboard = debug;
  return debug;
}

/** Records a problem without letting the list grow without bound. */
export function noteProblem(debug: DashboardDebug, problem: string): void {
  debug.problems.push(problem);
  if (debug.problems.length > MAX_PROBLEMS) debug.problems.splice(0, debug.problems.length - MAX_PROBLEMS);
}
