import { byTestId, setText } from '../dom.js';

/** The figures the cards show (the view takes `null` before the first snapshot). */
export interface CardFigures {
  readonly activeUsers: number;
  readonly activeSessions: number;
  readonly eventsLastMinute: number;
}

/** The three figure cards. */
export interface CardsView {
  /** Shows the figures, or a dash for each when there are none yet. */
  update(figures: CardFigures | null): void;
}

const CARDS = [
  ['card-active-users', 'activeUsers'],
  ['card-active-sessions', 'activeSessions'],
  ['card-events-last-minute', 'eventsLastMinute'],
] as const;

/**
 * Binds the cards of index.html. Each value is only the number (the browser
 * tests read it with `Number()`), in tabular numerals inside a fixed-size
 * card, so a changing figure never moves anything around it.
 */
export function createCardsView(root: ParentNode): CardsView {
  const values = CARDS.map(([testId, field]) => ({ field, node: byTestId(byTestId(root, testId), 'value') }));
  return {
    update(figures) {
      for (const { field, node } of values) {
        const value = figures?.[field];
        setText(node, typeof value === 'number' && Number.isFinite(value) ? String(value) : '–');
      }
    },
  };
}
