import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ActivityChange } from '../../../server/domain/activity.js';
import { subscribe, TRANSPORTS, type Subscription } from '../../support/clients.js';
import { ACTIVITY } from '../../support/operations.js';
import { BACKENDS, startTestPulse, type TestPulse } from '../../support/pulse.js';
import { refusalOf } from '../../support/refusal.js';
import { waitUntil } from '../../support/wait.js';

/** What a subscription holds on the server; every path must bring all of it back to zero. */
function held(pulse: TestPulse): { streams: number; leases: number; busListeners: number } {
  return { streams: pulse.services.openStreams.count, leases: pulse.backends.leases.heldCount, busListeners: pulse.services.bus.listenerCount };
}

async function allReleased(pulse: TestPulse): Promise<void> {
  await waitUntil(() => Object.values(held(pulse)).every((n) => n === 0), 5_000, { what: `everything is released (${JSON.stringify(held(pulse))})` });
}

describe.each(BACKENDS)('subscription cleanup on the %s backend', (backend) => {
  let pulse: TestPulse;
  let admin: string;

  beforeAll(async () => {
    pulse = await startTestPulse({ backend, env: { STATS_INTERVAL_MS: '100' } });
    admin = await pulse.token(`admin-${randomUUID()}`, ['admin']);
  });
  afterAll(() => pulse.close());

  const open = (transport: (typeof TRANSPORTS)[number], variables?: Record<string, unknown>): Subscription =>
    subscribe(transport, { graphqlUrl: pulse.graphqlUrl, token: admin }, ACTIVITY, variables);

  describe.each(TRANSPORTS)('over %s', (transport) => {
    it('releases everything when the client unsubscribes', async () => {
      const sub = open(transport);
      expect((await sub.results.next()).data).toBeDefined();
      expect(held(pulse)).toMatchObject({ streams: 1, leases: 1 });
      sub.dispose();
      await allReleased(pulse);
    });

    it('releases everything when building the snapshot fails', async () => {
      vi.spyOn(pulse.backends.store, 'snapshot').mockRejectedValueOnce(new Error('injected snapshot failure'));
      const sub = open(transport);
      expect(await refusalOf(sub)).toMatchObject(transport === 'sse-distinct' ? { status: 503 } : { code: 'SERVICE_UNAVAILABLE' });
      sub.dispose();
      await allReleased(pulse);
    });

    it('releases everything when the client leaves before the first event', async () => {
      const snapshot = pulse.backends.store.snapshot.bind(pulse.backends.store);
      let reached!: () => void;
      let proceed!: () => void;
      const reachedSnapshot = new Promise<void>((resolve) => (reached = resolve));
      const gate = new Promise<void>((resolve) => (proceed = resolve));
      vi.spyOn(pulse.backends.store, 'snapshot').mockImplementationOnce(async (...args) => {
        reached();
        await gate;
        return snapshot(...args);
      });
      const sub = open(transport);
      await reachedSnapshot;
      expect(held(pulse).leases).toBe(1);
      sub.dispose();
      proceed();
      await allReleased(pulse);
    });

    it('releases everything when the stream fails on the server mid-way', async () => {
      const busSubscribe = vi.spyOn(pulse.services.bus, 'subscribe');
      const sub = open(transport, { filter: { userId: 'someone' } });
      expect((await sub.results.next()).data).toBeDefined();
      const [streamListener] = busSubscribe.mock.calls[0] ?? [];
      busSubscribe.mockRestore();
      // A change without a session makes the stream's own filter throw: a genuine server-side exception.
      streamListener?.({ type: 'SessionStarted', cursor: Number.MAX_SAFE_INTEGER, at: Date.now(), session: null } as unknown as ActivityChange);
      await Promise.race([sub.finished, sub.results.waitFor((r) => Boolean(r.errors?.length))]);
      sub.dispose();
      await allReleased(pulse);
    });
  });
});
