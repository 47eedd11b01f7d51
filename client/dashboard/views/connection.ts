import type { ConnectionStatus, FatalCode } from '../../lib/index.js';
import { byTestId, setAttr, setText } from '../dom.js';
import { secondsUntil } from '../format.js';

/** The connection indicator, its failure message and the Start/Stop buttons. */
export interface ConnectionView {
  /** Shows a new status. */
  show(status: ConnectionStatus): void;
  /** Refreshes the reconnect countdown (called by the 1 s ticker). */
  tick(nowMs: number): void;
  /** Whether Start can do anything: without a token it cannot. */
  setCanStart(canStart: boolean): void;
}

/** What to tell the admin for each refusal that retrying cannot fix, and what to do about it. */
export const FAILURE_MESSAGES: Readonly<Record<FatalCode, string>> = {
  UNAUTHENTICATED: 'Your token was refused: it is malformed, expired or signed for another Pulse. Paste a new admin token.',
  FORBIDDEN: 'Your token was refused: it lacks the admin role (an ingest token can only record activity). Paste an admin token.',
  TOO_MANY_SUBSCRIPTIONS: 'Too many subscriptions: this admin already has the maximum open. Close another dashboard tab and press Start.',
  BAD_USER_INPUT: 'Pulse refused the subscription this dashboard sent; reload the page, and report it if it persists.',
  PAYLOAD_TOO_LARGE: 'Pulse refused the subscription this dashboard sent as too large; reload the page, and report it if it persists.',
  SESSION_USER_MISMATCH: 'Pulse refused the request this dashboard sent; reload the page, and report it if it persists.',
  CONFLICT: 'Pulse found this dashboard\'s live stream open twice; reload the page, and report it if it persists.',
};

/** States in which the feed is on (or trying to be), so Start has nothing to do. */
const RUNNING: ReadonlySet<ConnectionStatus['kind']> = new Set(['connecting', 'connected', 'reconnecting', 'paused']);

/**
 * Binds `[data-testid="status"]` (with `data-state`, and `data-attempt` and
 * `data-delay-ms` while reconnecting), `[data-testid="status-message"]` and
 * the buttons. The countdown is worked out from `retryAt` at each tick, so
 * it stays right however late a tick fires.
 */
export function createConnectionView(root: ParentNode): ConnectionView {
  const status = byTestId(root, 'status');
  const label = byTestId(status, 'status-text');
  const message = byTestId(root, 'status-message');
  const start = byTestId<HTMLButtonElement>(root, 'start');
  const stop = byTestId<HTMLButtonElement>(root, 'stop');
  let current: ConnectionStatus = { kind: 'stopped' };
  let canStart = true;

  const render = (nowMs: number): void => {
    setAttr(status, 'data-state', current.kind);
    setAttr(status, 'data-attempt', current.kind === 'reconnecting' ? String(current.attempt) : null);
    setAttr(status, 'data-delay-ms', current.kind === 'reconnecting' ? String(current.delayMs) : null);
    setAttr(status, 'title', current.kind === 'reconnecting' ? `Connection lost: ${current.reason}` : current.kind === 'failed' ? current.message : null);
    setText(label, statusLabel(current, nowMs));
    setText(message, current.kind === 'failed' ? FAILURE_MESSAGES[current.code] : '');
    start.disabled = !canStart || RUNNING.has(current.kind);
    stop.disabled = !RUNNING.has(current.kind);
  };

  render(Date.now());
  return {
    show(next) {
      current = next;
      render(Date.now());
    },
    tick: (nowMs) => {
      if (current.kind === 'reconnecting') render(nowMs);
    },
    setCanStart(value) {
      canStart = value;
      render(Date.now());
    },
  };
}

/** The indicator's words for a status, e.g. "Reconnecting in 3 s (attempt 2)". */
export function statusLabel(status: ConnectionStatus, nowMs: number): string {
  switch (status.kind) {
    case 'connecting':
      // `attempt` counts the failures before this try, as the reconnecting label does.
      return status.attempt > 0 ? `Connecting (attempt ${status.attempt})…` : 'Connecting…';
    case 'connected':
      return 'Live';
    case 'reconnecting': {
      const seconds = secondsUntil(status.retryAt, nowMs);
      return seconds > 0 ? `Reconnecting in ${seconds} s (attempt ${status.attempt})` : `Reconnecting now (attempt ${status.attempt})`;
    }
    case 'paused':
      return 'Paused while the tab is hidden';
    case 'stopped':
      return 'Stopped';
    case 'failed':
      return 'Not connected';
  }
}
