import { randomBytes } from 'node:crypto';

/**
 * Positions in the change log as clients see them. Inside Pulse a change's
 * cursor is its sequence number; on the wire it also names the log's epoch,
 * so that a cursor kept across a Redis flush (or from an earlier memory
 * process) is recognised as belonging to another log instead of being
 * compared with numbers that started again at 1.
 */

/** A change-log position with the epoch of the log it belongs to. */
export interface CursorPosition {
  /** Names one life of the change log: new when the log starts afresh (process start, flushed Redis). */
  readonly epoch: string;
  /** The change's number in that log (0 before any change). */
  readonly seq: number;
}

/** What an epoch may contain: it must never hold the `:` that separates it from the sequence number. */
const EPOCH = /^[A-Za-z0-9_-]{1,32}$/;
const WIRE = /^([A-Za-z0-9_-]{1,32}):(\d{1,16})$/;

/** A fresh random epoch: 12 base64url characters (72 bits), so two logs never share one by chance. */
export function newEpoch(): string {
  return randomBytes(9).toString('base64url');
}

/** Whether `value` can be an epoch (checked where one is read back from Redis). */
export function isEpoch(value: string): boolean {
  return EPOCH.test(value);
}

/** The wire form, `"<epoch>:<seq>"`. */
export function formatCursor({ epoch, seq }: CursorPosition): string {
  return `${epoch}:${seq}`;
}

/** Reads the wire form back; null when `value` is not one (the caller decides what error that is). */
export function parseCursor(value: unknown): CursorPosition | null {
  if (typeof value !== 'string') return null;
  const match = WIRE.exec(value);
  if (!match) return null;
  const seq = Number(match[2]);
  return Number.isSafeInteger(seq) ? { epoch: match[1] as string, seq } : null;
}
