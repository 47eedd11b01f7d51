import { sessionsByRecency, type LiveUser } from '../lib/index.js';
import { parseInstant } from './format.js';
import type { UserRow } from './views/users-table.js';

/**
 * Turns the live state's users into table rows, most recent first. Rows
 * are cached per `LiveUser` object: the state shares unchanged users between
 * events, so only the users an event touched are worked out again.
 */
export function createUserRows(): (users: readonly LiveUser[]) => UserRow[] {
  const cache = new WeakMap<LiveUser, UserRow>();
  return (users) =>
    users.map((user) => {
      const cached = cache.get(user);
      if (cached) return cached;
      const row = toUserRow(user);
      cache.set(user, row);
      return row;
    });
}

/** One user as the table shows them: the newest session's IP and path, every session in the tooltip. */
export function toUserRow(user: LiveUser): UserRow {
  const sessions = sessionsByRecency(user);
  const latest = sessions[0];
  const detail = [
    `User id: ${user.id}`,
    ...sessions.map((s) => `${s.ipAddress ?? 'unknown IP'} on ${s.path ?? 'unknown path'}${s.userAgent ? ` (${s.userAgent})` : ''}`),
  ].join('\n');
  return {
    id: user.id,
    name: user.name ?? user.id,
    named: user.name !== null,
    sessions: user.sessionCount,
    ip: latest?.ipAddress ?? '',
    path: latest?.path ?? '',
    lastSeen: parseInstant(user.lastSeen),
    detail,
  };
}
