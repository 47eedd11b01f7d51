import type { ActivityChange } from '../domain/activity.js';
import { parseChanges } from '../domain/change-codec.js';

/**
 * Parses one pub/sub message into the changes of one write. A malformed
 * message comes from outside (a foreign or buggy publisher) and must not
 * break delivery: it is reported to `onMalformed` and dropped.
 * @param partition - the partition whose channel the message came on, set
 *   on every change; left out when the log has one partition, whose changes
 *   carry none (absent means 0) @defaultValue none
 * @returns the changes, or null when the message was malformed
 */
export function decodeMessage(text: string, onMalformed: (error: unknown) => void, partition?: number): ActivityChange[] | null {
  try {
    const changes = parseChanges(text);
    // The channel, not the message, says which partition's log numbered these cursors: a store never writes it twice.
    return partition === undefined ? changes : changes.map((change) => ({ ...change, partition }));
  } catch (error) {
    onMalformed(error);
    return null;
  }
}
