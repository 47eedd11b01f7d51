/**
 * Sharing one read among concurrent callers. A call that finds no read of
 * its key in flight starts one. A call that finds one in flight does not
 * take its answer (that read may have started before the call, and would
 * miss what the caller wrote just before calling): it joins the next read,
 * which starts as soon as the one in flight ends and serves every call that
 * joined it meanwhile. So every answer comes from a read started no earlier
 * than its call, and at most two reads per key run back to back however many
 * callers there are.
 */

/** Runs a read for `key` at the time `now` (the latest `now` of the calls it serves). */
export type SharedRead<K, T> = (key: K, now: number) => Promise<T>;

interface Slot<T> {
  running: Promise<T> | null;
  /** The read that calls made while `running` join, and the latest `now` among them. */
  next: Promise<T> | null;
  nextNow: number;
}

/**
 * Wraps `read` so that concurrent calls with the same key share it as said
 * above. A failed read fails every call it serves; the next call starts afresh.
 */
export function coalesced<K, T>(read: SharedRead<K, T>): SharedRead<K, T> {
  const slots = new Map<K, Slot<T>>();
  const start = (key: K, slot: Slot<T>, now: number): Promise<T> => {
    const running = read(key, now).finally(() => {
      if (slot.running !== running) return;
      slot.running = null;
      if (slot.next === null) slots.delete(key);
    });
    slot.running = running;
    return running;
  };
  return (key, now) => {
    const slot = slots.get(key) ?? { running: null, next: null, nextNow: now };
    slots.set(key, slot);
    if (slot.next !== null) {
      slot.nextNow = Math.max(slot.nextNow, now);
      return slot.next;
    }
    if (slot.running === null) return start(key, slot, now);
    slot.nextNow = now;
    // Whether the read in flight succeeds or fails, the joined read runs after it.
    slot.next = slot.running.then(ignore, ignore).then(() => {
      slot.next = null;
      return start(key, slot, slot.nextNow);
    });
    return slot.next;
  };
}

function ignore(): void {}
