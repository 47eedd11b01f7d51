import type { ActivityChange } from '../domain/activity.js';
import { parseChanges } from '../domain/change-codec.js';

/**
 * Parses one pub/sub message into the changes of one write. A malformed
 * message comes from outside (a foreign or buggy publisher) and must not
 * break delivery: it is reported to `onMalformed` and dropped.
 * @returns the changes, or null when the message was malformed
 */
export function decodeMessage(text: string, onMalformed: (error: unknown) => void): ActivityChange[] | null {
  try {
    return parseChanges(text);
  } catch (error) {
    onMalformed(error);
    return null;
  }
}
