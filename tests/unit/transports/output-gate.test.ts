import { describe, expect, it } from 'vitest';
import { OutputGate, startMark } from '../../../server/transports/output-bounds.js';

/** A start that records when it began and ends when the test says so. */
function controlled(log: string[], name: string): { start: () => Promise<string>; finish: () => void } {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    start: async () => {
      log.push(`start ${name}`);
      await done;
      log.push(`end ${name}`);
      return name;
    },
    finish: () => finish(),
  };
}

describe('OutputGate', () => {
  it('starts operations one at a time, in arrival order, each after the previous one is done', async () => {
    const log: string[] = [];
    const gate = new OutputGate(() => Promise.resolve());
    const [a, b, c] = ['a', 'b', 'c'].map((name) => controlled(log, name)) as [ReturnType<typeof controlled>, ReturnType<typeof controlled>, ReturnType<typeof controlled>];
    const results = [gate.run(a.start), gate.run(b.start), gate.run(c.start)];
    // Every pending callback has run: only the first has started.
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['start a']);
    b.finish();
    c.finish();
    a.finish();
    expect(await Promise.all(results)).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('waits for room before each start, and goes on after a start that failed', async () => {
    const log: string[] = [];
    let openRoom!: () => void;
    let rooms = 0;
    const gate = new OutputGate(() => {
      rooms++;
      return rooms === 2 ? new Promise<void>((resolve) => (openRoom = resolve)) : Promise.resolve();
    });
    const failing = gate.run(() => Promise.reject(new Error('bug')));
    const waiting = gate.run(async () => {
      log.push('second started');
      return 2;
    });
    await expect(failing).rejects.toThrow('bug');
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual([]);
    openRoom();
    expect(await waiting).toBe(2);
    expect(log).toEqual(['second started']);
  });

  it('lets an operation start while at most half the byte bound is unread', () => {
    expect(startMark({ maxOperations: 100, maxBufferedBytes: 1_048_576, onSlowConsumer: () => {} })).toBe(524_288);
  });
});
