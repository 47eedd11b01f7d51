import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActivityReporter, type ActivityInput, type ActivityReporterOptions, type DroppedBatch, type FetchFn } from '../../../client/lib/index.js';
import { refusal, settle } from './fake-pulse.js';

type Answer = () => Response | Promise<Response>;

/** A fake Pulse that records each `recordActivities` batch, with the time it arrived. */
class FakeIngest {
  readonly batches: Array<{ at: number; inputs: ActivityInput[]; authorization: string | null }> = [];
  /** Answers, in order; when they run out, every batch is recorded. */
  readonly answers: Answer[] = [];

  readonly fetch = vi.fn<FetchFn>(async (_input, init) => {
    const { variables } = JSON.parse(String(init?.body)) as { variables: { inputs: ActivityInput[] } };
    this.batches.push({ at: Date.now(), inputs: variables.inputs, authorization: new Headers(init?.headers).get('authorization') });
    const answer = this.answers.shift();
    return answer ? answer() : Response.json({ data: { recordActivities: { recorded: variables.inputs.length } } });
  });

  /** The session ids of each batch. */
  sessions(): string[][] {
    return this.batches.map((b) => b.inputs.map((i) => String(i.sessionId)));
  }
}

const event = (n: number): ActivityInput => ({ sessionId: `s${n}`, userId: `u${n}`, path: '/p' });

describe('createActivityReporter (fake server, fake timers)', () => {
  let ingest: FakeIngest;
  let dropped: DroppedBatch[];

  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    ingest = new FakeIngest();
    dropped = [];
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const create = (options: Partial<ActivityReporterOptions> = {}) =>
    createActivityReporter({
      url: 'http://pulse.test',
      token: 'ingest',
      fetch: ingest.fetch,
      random: () => 0.5,
      onDrop: (drop) => dropped.push(drop),
      ...options,
    });

  it('sends a batch as soon as it is full', async () => {
    const reporter = create({ maxBatch: 3 });
    [1, 2, 3, 4].forEach((n) => reporter.report(event(n)));
    await settle();
    expect(ingest.sessions()).toEqual([['s1', 's2', 's3']]);
    expect(ingest.batches[0]).toMatchObject({ at: 0, authorization: 'Bearer ingest' });
    expect(reporter.stats).toMatchObject({ sent: 3, queued: 1 });
  });

  it('sends a partial batch delayMs after its first event', async () => {
    const reporter = create({ delayMs: 250 });
    reporter.report(event(1));
    await vi.advanceTimersByTimeAsync(200);
    reporter.report(event(2));
    await vi.advanceTimersByTimeAsync(49);
    expect(ingest.batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(ingest.batches).toEqual([{ at: 250, inputs: [event(1), event(2)], authorization: 'Bearer ingest' }]);
  });

  it('keeps one request in flight, so batches arrive in order', async () => {
    let release!: () => void;
    ingest.answers.push(() => new Promise<Response>((resolve) => (release = () => resolve(Response.json({ data: { recordActivities: { recorded: 2 } } })))));
    const reporter = create({ maxBatch: 2 });
    [1, 2, 3, 4, 5, 6].forEach((n) => reporter.report(event(n)));
    await settle();
    expect(ingest.sessions()).toEqual([['s1', 's2']]);
    release();
    await settle();
    expect(ingest.sessions()).toEqual([['s1', 's2'], ['s3', 's4'], ['s5', 's6']]);
  });

  it('retries a failed batch with growing backoff, resetting after a success', async () => {
    ingest.answers.push(
      () => refusal(503, 'SERVICE_UNAVAILABLE'),
      () => Promise.reject(new TypeError('fetch failed')),
      () => Response.json({ data: { recordActivities: { recorded: 1 } } }),
      () => refusal(503, 'SERVICE_UNAVAILABLE'),
    );
    const reporter = create({ maxBatch: 1, initialRetryDelayMs: 1_000 });
    reporter.report(event(1));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(ingest.batches.map((b) => b.at)).toEqual([0, 750, 2_250]);
    expect(ingest.sessions()).toEqual([['s1'], ['s1'], ['s1']]);
    reporter.report(event(2));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(ingest.batches.map((b) => b.at)).toEqual([0, 750, 2_250, 10_000, 10_750]);
    expect(reporter.stats).toMatchObject({ sent: 2, retries: 3, queued: 0, droppedRefused: 0 });
  });

  it('drops and reports a batch refused with a code retrying cannot fix, then goes on', async () => {
    ingest.answers.push(() => refusal(400, 'BAD_USER_INPUT', 'ipAddress is not an IP address'));
    const reporter = create({ maxBatch: 2 });
    [1, 2, 3, 4].forEach((n) => reporter.report(event(n)));
    await settle();
    expect(dropped).toEqual([{ events: [event(1), event(2)], failure: { code: 'BAD_USER_INPUT', status: 400, message: '[GraphQL] ipAddress is not an IP address' } }]);
    expect(ingest.sessions()).toEqual([['s1', 's2'], ['s3', 's4']]);
    expect(reporter.stats).toMatchObject({ sent: 2, droppedRefused: 2, retries: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('holds at most maxQueue events, counting what report() turns away', async () => {
    ingest.answers.push(() => refusal(503, 'SERVICE_UNAVAILABLE'));
    const reporter = create({ maxQueue: 5, maxBatch: 2 });
    const accepted = [1, 2, 3, 4, 5, 6, 7].map((n) => reporter.report(event(n)));
    expect(accepted).toEqual([true, true, true, true, true, false, false]);
    expect(reporter.stats).toMatchObject({ queued: 5, droppedFull: 2 });
    await settle(); // the first batch failed and waits for its retry: still held
    expect(reporter.report(event(8))).toBe(false);
    expect(reporter.stats).toMatchObject({ queued: 5, droppedFull: 3 });
  });

  it('flush() sends everything at once and resolves when the queue is empty', async () => {
    const reporter = create({ maxBatch: 2, delayMs: 60_000 });
    [1, 2, 3, 4, 5].forEach((n) => reporter.report(event(n)));
    await reporter.flush();
    expect(ingest.sessions()).toEqual([['s1', 's2'], ['s3', 's4'], ['s5']]);
    expect(reporter.stats.queued).toBe(0);
    await reporter.flush(); // nothing left: resolves at once
  });

  it('close() flushes, then refuses further events', async () => {
    const reporter = create({ delayMs: 60_000 });
    [1, 2, 3].forEach((n) => reporter.report(event(n)));
    await reporter.close();
    expect(ingest.sessions()).toEqual([['s1', 's2', 's3']]);
    expect(reporter.report(event(4))).toBe(false);
    expect(reporter.stats).toMatchObject({ sent: 3, droppedFull: 1, queued: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('close() gives up after closeTimeoutMs, dropping and reporting what is left', async () => {
    ingest.answers.push(...Array.from({ length: 20 }, () => () => refusal(503, 'SERVICE_UNAVAILABLE')));
    const reporter = create({ maxBatch: 2, closeTimeoutMs: 5_000 });
    [1, 2, 3].forEach((n) => reporter.report(event(n)));
    let closed = false;
    void reporter.close().then(() => (closed = true));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(closed).toBe(true);
    expect(dropped).toEqual([{ events: [event(1), event(2), event(3)], failure: { code: null, status: null, message: 'unsent 5000 ms after close()' } }]);
    expect(reporter.stats).toMatchObject({ sent: 0, droppedAtClose: 3, queued: 0 });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('asks a token function again for every request', async () => {
    let n = 0;
    const reporter = create({ maxBatch: 1, token: async () => `t${++n}` });
    [1, 2].forEach((i) => reporter.report(event(i)));
    await reporter.flush();
    expect(ingest.batches.map((b) => b.authorization)).toEqual(['Bearer t1', 'Bearer t2']);
  });
});
