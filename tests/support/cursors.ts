/** The sequence number of a wire cursor (`"<epoch>:<seq>"`), for tests that check order and gaps. */
export function seqOf(cursor: string): number {
  const match = /^[A-Za-z0-9_-]+:(\d+)$/.exec(cursor);
  if (!match) throw new Error(`not a Pulse cursor: ${cursor}`);
  return Number(match[1]);
}

/** The epoch of a wire cursor. */
export function epochOf(cursor: string): string {
  return cursor.slice(0, cursor.indexOf(':'));
}
