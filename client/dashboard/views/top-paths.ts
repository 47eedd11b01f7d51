import { byTestId, h, placeInOrder, setText } from '../dom.js';

/** A path and how many active sessions are on it. */
export interface PathFigure {
  readonly path: string;
  readonly sessions: number;
}

/** The top paths list. */
export interface TopPathsView {
  /** Shows these paths, busiest first (the server's order). */
  update(paths: readonly PathFigure[]): void;
}

interface Item {
  readonly li: HTMLLIElement;
  readonly bar: HTMLElement;
  readonly count: HTMLElement;
}

/**
 * Binds `[data-testid="top-paths"]`: one `li` per path, keyed by path, so a
 * changed count moves a bar rather than rebuilding the list. Bars are scaled
 * to the busiest path; the list's box has a fixed height for ten entries.
 */
export function createTopPathsView(root: ParentNode): TopPathsView {
  const list = byTestId(root, 'top-paths');
  const empty = byTestId(root, 'top-paths-empty');
  const items = new Map<string, Item>();
  return {
    update(paths) {
      const busiest = Math.max(1, ...paths.map((p) => p.sessions));
      const shown = paths.map((figure) => {
        const item = items.get(figure.path) ?? createItem(items, figure.path);
        setText(item.count, String(figure.sessions));
        item.bar.style.width = `${((figure.sessions / busiest) * 100).toFixed(1)}%`;
        return item.li;
      });
      placeInOrder(list, shown);
      const keep = new Set(paths.map((p) => p.path));
      for (const [path, item] of items) {
        if (!keep.has(path)) {
          item.li.remove();
          items.delete(path);
        }
      }
      empty.hidden = paths.length > 0;
    },
  };
}

function createItem(items: Map<string, Item>, path: string): Item {
  const li = h('li', 'path-item');
  const bar = li.appendChild(h('span', 'path-bar'));
  const name = li.appendChild(h('span', 'path-name', path));
  name.title = path;
  const count = li.appendChild(h('span', 'path-count num'));
  const item = { li, bar, count };
  items.set(path, item);
  return item;
}
