import { applyEvent, emptyLiveState, usersByRecency, type ActivityEvent, type LiveState, type LiveStats } from '../lib/index.js';
import { createUserRows } from './users-model.js';
import type { CardsView } from './views/cards.js';
import type { ChartView } from './views/chart.js';
import type { TopPathsView } from './views/top-paths.js';
import type { UsersTableView } from './views/users-table.js';

/** The views the live state is drawn into. */
export interface LiveViews {
  readonly cards: CardsView;
  readonly chart: ChartView;
  readonly topPaths: TopPathsView;
  readonly users: UsersTableView;
}

/** Options of {@link createLiveView}. */
export interface LiveViewOptions {
  readonly views: LiveViews;
  /** Told about an event that could not be applied or drawn; the page carries on. */
  readonly onProblem: (problem: string) => void;
  /** @defaultValue `Date.now` */
  readonly now?: () => number;
  /**
   * Runs a redraw soon, coalescing a burst of events into one.
   * @defaultValue the next animation frame, or 100 ms when frames are not running
   */
  readonly schedule?: (redraw: () => void) => void;
}

/** Keeps the live state and redraws what each event changed. */
export interface LiveView {
  /** Applies one event of the feed. */
  apply(event: ActivityEvent): void;
  /** Forgets everything shown (signing out must not leave the last admin's data on screen). */
  reset(): void;
  /** Refreshes the relative times (called by the 1 s ticker). */
  tick(): void;
}

/**
 * Events go through `applyEvent` into an immutable state; a redraw compares
 * the parts of the state by reference with those last drawn, so a
 * `StatsChanged` never touches the table and a session event never touches
 * the chart. Nothing is queried again: the feed carries everything.
 *
 * A malformed event has already been dropped by the client library; should
 * one slip through, or a view throw, the state stays as it was (or that view
 * keeps its last picture) and the problem is reported, never thrown.
 */
export function createLiveView({ views, onProblem, now = Date.now, schedule = nextFrame }: LiveViewOptions): LiveView {
  let state: LiveState = emptyLiveState();
  let drawn: { users: LiveState['users'] | null; stats: LiveStats | null | undefined } = { users: null, stats: undefined };
  let pending = false;
  const toRows = createUserRows();

  const guarded = (what: string, draw: () => void): void => {
    try {
      draw();
    } catch (error) {
      onProblem(`${what} could not be drawn: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  const redraw = (): void => {
    pending = false;
    if (state.stats !== drawn.stats) drawStats(views, state.stats, guarded);
    if (state.users !== drawn.users) guarded('users table', () => views.users.update(toRows(usersByRecency(state)), now()));
    drawn = { users: state.users, stats: state.stats };
  };

  const request = (): void => {
    if (pending) return;
    pending = true;
    schedule(redraw);
  };

  return {
    apply(event) {
      try {
        state = applyEvent(state, event);
      } catch (error) {
        onProblem(`event ignored: ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
      request();
    },
    reset() {
      state = emptyLiveState();
      request();
    },
    tick: () => guarded('last seen', () => views.users.tick(now())),
  };
}

function drawStats(views: LiveViews, stats: LiveStats | null, guarded: (what: string, draw: () => void) => void): void {
  guarded('cards', () => views.cards.update(stats));
  guarded('chart', () => views.chart.update(stats?.eventsPerMinute ?? []));
  guarded('top paths', () => views.topPaths.update(stats?.topPaths ?? []));
}

/**
 * The next animation frame, so several events in one frame cost one redraw;
 * with a timeout as well, because frames stop in a background tab while a
 * (not yet paused) feed still delivers.
 */
function nextFrame(redraw: () => void): void {
  let done = false;
  const once = (): void => {
    if (done) return;
    done = true;
    redraw();
  };
  requestAnimationFrame(once);
  setTimeout(once, 100);
}
