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

/**
 * How far a wire cursor is along the whole log: the sum of its per-partition
 * positions. Each change moves one partition on by one, so a gapless,
 * repeat-free stream of changes moves it on by exactly one per change,
 * whatever the number of partitions.
 */
export function progressOf(cursor: string): number {
  const match = /^[A-Za-z0-9_-]+:(\d+(?:\.\d+)*)$/.exec(cursor);
  if (!match) throw new Error(`not a Pulse cursor: ${cursor}`);
  return (match[1] as string).split('.').reduce((sum, seq) => sum + Number(seq), 0);
}
