import { byTestId, flash, h, placeInOrder, setAttr, setText } from '../dom.js';
import { formatAgo } from '../format.js';

/** One row of the active users table. */
export interface UserRow {
  readonly id: string;
  /** Display name; the id when the user has none. */
  readonly name: string;
  /** False for a user known only by id (e.g. an anonymous visitor), shown muted. */
  readonly named: boolean;
  readonly sessions: number;
  /** Of the most recently active session; '' when unknown. */
  readonly ip: string;
  /** Of the most recently active session; '' when unknown. */
  readonly path: string;
  /** Epoch ms of the latest activity, or `undefined` when unknown. */
  readonly lastSeen: number | undefined;
  /** Extra detail for the row's tooltip (other sessions' IPs and paths). */
  readonly detail: string;
}

/** The active users table. */
export interface UsersTableView {
  /** Shows these users in this order, touching only rows and cells that changed. */
  update(users: readonly UserRow[], nowMs: number): void;
  /** Refreshes the "last seen" column (called by the 1 s ticker). */
  tick(nowMs: number): void;
}

/** The columns, as `data-col` names them. */
type Column = 'name' | 'sessions' | 'ip' | 'path' | 'last-seen';

interface Row {
  readonly tr: HTMLTableRowElement;
  readonly cells: Readonly<Record<Column, HTMLTableCellElement>>;
  lastSeen: number | undefined;
  /** The data last drawn; the same object again means nothing changed. */
  source: UserRow | undefined;
  /** That data as text, to tell a real change (flash) from an equal copy. */
  drawn: string;
}

/** More rows than this would only slow the page; the footer says how many are left out. */
const MAX_ROWS = 200;

/**
 * Binds `[data-testid="users-table"]`: one `tr[data-user-id]` per user,
 * keyed by id. An event changes the cells of its user's row and, when the
 * order changed, moves that row: the table is never rebuilt, so rows keep
 * their identity and the page does not flicker. A changed row flashes once.
 */
export function createUsersTableView(root: ParentNode): UsersTableView {
  const table = byTestId<HTMLTableElement>(root, 'users-table');
  const body = table.tBodies[0] ?? table.createTBody();
  const empty = byTestId(root, 'users-empty');
  const overflow = byTestId(root, 'users-overflow');
  const rows = new Map<string, Row>();

  return {
    update(users, nowMs) {
      const shown = users.slice(0, MAX_ROWS);
      const order = shown.map((user) => drawRow(rows, user, nowMs).tr);
      placeInOrder(body, order);
      const keep = new Set(shown.map((user) => user.id));
      for (const [id, row] of rows) {
        if (!keep.has(id)) {
          row.tr.remove();
          rows.delete(id);
        }
      }
      empty.hidden = users.length > 0;
      setText(overflow, users.length > MAX_ROWS ? `Showing the ${MAX_ROWS} most recent of ${users.length} users.` : '');
    },
    tick(nowMs) {
      for (const row of rows.values()) drawLastSeen(row, nowMs);
    },
  };
}

function drawRow(rows: Map<string, Row>, user: UserRow, nowMs: number): Row {
  const existing = rows.get(user.id);
  const row = existing ?? createRow(rows, user.id);
  if (row.source === user) return row;
  row.source = user;
  const drawn = JSON.stringify([user.name, user.named, user.sessions, user.ip, user.path, user.lastSeen]);
  if (drawn === row.drawn) return row;
  setText(row.cells.name, user.name);
  row.cells.name.classList.toggle('anonymous', !user.named);
  setText(row.cells.sessions, String(user.sessions));
  setText(row.cells.ip, user.ip);
  setText(row.cells.path, user.path);
  setAttr(row.cells.path, 'title', user.path || null);
  setAttr(row.tr, 'title', user.detail || null);
  row.lastSeen = user.lastSeen;
  row.drawn = drawn;
  drawLastSeen(row, nowMs);
  if (existing) flash(row.tr);
  return row;
}

function drawLastSeen(row: Row, nowMs: number): void {
  setText(row.cells['last-seen'], row.lastSeen === undefined ? '' : formatAgo(row.lastSeen, nowMs));
  setAttr(row.cells['last-seen'], 'title', row.lastSeen === undefined ? null : new Date(row.lastSeen).toLocaleString());
}

function createRow(rows: Map<string, Row>, id: string): Row {
  const tr = h('tr');
  tr.dataset.userId = id;
  const cell = (column: Column): HTMLTableCellElement => {
    const td = tr.appendChild(h('td', `col-${column}`));
    td.dataset.col = column;
    return td;
  };
  // In column order: each call appends its cell.
  const cells = { name: cell('name'), sessions: cell('sessions'), ip: cell('ip'), path: cell('path'), 'last-seen': cell('last-seen') };
  const row: Row = { tr, cells, lastSeen: undefined, source: undefined, drawn: '' };
  rows.set(id, row);
  return row;
}
