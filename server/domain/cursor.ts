import { createHash, randomBytes } from 'node:crypto';

/**
 * Positions in the change log as clients see them. The log is split into
 * partitions (one on memory and, by default, on one Redis; several on Redis
 * Cluster), each numbering its own changes 1, 2, 3…: a change's cursor is
 * its number in its partition's log. A subscriber's position is one number
 * per partition, and its wire form also names the epoch of the log, so that
 * a cursor kept across a Redis flush (or from an earlier memory process) is
 * recognised as belonging to another log instead of being compared with
 * numbers that started again at 1.
 */

/** The newest change applied, per partition in partition order (0 before any change of that partition). */
export type Position = readonly number[];

/** Most partitions a position can name (`MAX_PARTITIONS` in server/redis/partitions.ts). */
export const MAX_POSITION_PARTITIONS = 256;

/** A change-log position with the epoch of the log it belongs to. */
export interface CursorPosition {
  /** Names one life of the change log: new when the log starts afresh (process start, flushed Redis). */
  readonly epoch: string;
  /** Where the holder is in each partition's log. */
  readonly seqs: Position;
}

/** What an epoch may contain: it must never hold the `:` that separates it from the sequence numbers. */
const EPOCH = /^[A-Za-z0-9_-]{1,32}$/;
const WIRE = /^([A-Za-z0-9_-]{1,32}):(\d{1,16}(?:\.\d{1,16})*)$/;

/** The longest wire cursor: a 32-character epoch, `:`, then 16 digits and a `.` per partition. */
export const MAX_CURSOR_LENGTH = 32 + 1 + MAX_POSITION_PARTITIONS * 17 - 1;

/** A fresh random epoch: 12 base64url characters (72 bits), so two logs never share one by chance. */
export function newEpoch(): string {
  return randomBytes(9).toString('base64url');
}

/** Whether `value` can be an epoch (checked where one is read back from Redis). */
export function isEpoch(value: string): boolean {
  return EPOCH.test(value);
}

/**
 * The epoch of a partitioned log: each partition's log has an epoch of its
 * own (a master restarted empty starts one partition afresh), and a cursor
 * names all of them at once. One partition's epoch is the log's epoch as it
 * is, so a one-partition cursor reads as it always has; several are hashed
 * to 16 base64url characters (96 bits), so a change of any of them changes it.
 */
export function combinedEpoch(epochs: readonly string[]): string {
  if (epochs.length === 1) return epochs[0] as string;
  return createHash('sha256').update(epochs.join(':')).digest('base64url').slice(0, 16);
}

/** The wire form, `"<epoch>:<seq>"`, with one `.`-separated seq per partition. */
export function formatCursor({ epoch, seqs }: CursorPosition): string {
  return `${epoch}:${seqs.join('.')}`;
}

/** Reads the wire form back; null when `value` is not one (the caller decides what error that is). */
export function parseCursor(value: unknown): CursorPosition | null {
  if (typeof value !== 'string' || value.length > MAX_CURSOR_LENGTH) return null;
  const match = WIRE.exec(value);
  if (!match) return null;
  const seqs = (match[2] as string).split('.').map(Number);
  if (seqs.length > MAX_POSITION_PARTITIONS || !seqs.every(Number.isSafeInteger)) return null;
  return { epoch: match[1] as string, seqs };
}
