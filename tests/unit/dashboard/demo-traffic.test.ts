import { afterEach, describe, expect, it } from 'vitest';
import { NEXT_PAGES, PEOPLE } from '../../../client/demo/catalog.js';
import { createSimulation } from '../../../client/demo/simulation.js';
import { startDemoTraffic, type DemoTraffic } from '../../../client/demo/traffic.js';
import type { FetchFn, Timers } from '../../../client/lib/index.js';
import { postGraphQL } from '../../support/clients.js';
import { ACTIVE_USERS, STATS } from '../../support/operations.js';
import { startTestPulse, type TestPulse } from '../../support/pulse.js';
import { waitUntil } from '../../support/wait.js';

/** A seeded random source (mulberry32), so a failing run can be replayed exactly. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Real timers that keep count of the ones still to fire, so a test can see that nothing is left scheduled. */
function countedTimers(): Timers & { readonly pending: Set<unknown> } {
  const pending = new Set<unknown>();
  return {
    pending,
    setTimeout: (callback, ms) => {
      const handle = setTimeout(() => {
        pending.delete(handle);
        callback();
      }, ms);
      pending.add(handle);
      return handle;
    },
    clearTimeout: (handle) => {
      pending.delete(handle);
      clearTimeout(handle as NodeJS.Timeout);
    },
  };
}

/** The pages a visitor can be on: landing pages and every page the site links to. */
const KNOWN_PAGES = new Set([...Object.keys(NEXT_PAGES), ...Object.values(NEXT_PAGES).flatMap((next) => next.map(([path]) => path))]);

/** Addresses from the documentation ranges only (RFC 5737, RFC 3849). */
const DOCUMENTATION_IP = /^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d{1,3}$|^2001:db8:/;

describe('the demo simulation', () => {
  it('is repeatable: the same seed and step times give the same visits', () => {
    const run = () => {
      const simulation = createSimulation({ random: seeded(7) });
      return Array.from({ length: 120 }, (_, i) => simulation.step(i * 1000));
    };
    expect(run()).toEqual(run());
  });

  it('fills up to its target at once, then keeps about that many sessions open', () => {
    const simulation = createSimulation({ random: seeded(11), targetSessions: 10 });
    const first = simulation.step(0);
    expect(first.views).toHaveLength(5);
    const open: number[] = [];
    let logouts = 0;
    for (let second = 1; second <= 900; second++) {
      logouts += simulation.step(second * 1000).logouts.length;
      open.push(simulation.openSessions);
    }
    expect(Math.max(...open)).toBeLessThanOrEqual(10);
    expect(open.slice(60).every((n) => n >= 5)).toBe(true);
    expect(logouts).toBeGreaterThan(0);
  });

  it('reports realistic visits: catalog pages, documentation addresses, user agents', () => {
    const simulation = createSimulation({ random: seeded(3) });
    const views = Array.from({ length: 300 }, (_, i) => simulation.step(i * 1000).views).flat();
    expect(views.length).toBeGreaterThan(50);
    for (const view of views) {
      expect(KNOWN_PAGES.has(view.path), view.path).toBe(true);
      expect(view.ipAddress).toMatch(DOCUMENTATION_IP);
      expect(view.userAgent).toMatch(/^Mozilla\/5\.0 /);
      if (view.userName !== null) expect(PEOPLE).toContain(view.userName);
      else expect(view.userId).toMatch(/^visitor-[0-9a-f]{6}$/);
    }
  });
});

describe('demo traffic against a real Pulse', () => {
  let pulse: TestPulse | undefined;
  let traffic: DemoTraffic | undefined;
  afterEach(async () => {
    await traffic?.stop();
    await pulse?.close();
    pulse = traffic = undefined;
  });

  it('makes users appear, logs some out, and sends nothing once stopped', async () => {
    pulse = await startTestPulse();
    const admin = await pulse.token('demo-watcher', ['admin']);
    const problems: string[] = [];
    let requests = 0;
    const fetch: FetchFn = (input, init) => {
      requests++;
      return globalThis.fetch(input, init);
    };
    const timers = countedTimers();
    // Each step is 10 simulated seconds apart, so visitors think, idle and log out within a short real run.
    let virtualMs = Date.now();
    traffic = startDemoTraffic({
      url: pulse.url,
      token: await pulse.token('demo', ['ingest']),
      random: seeded(42),
      now: () => (virtualMs += 10_000),
      stepMs: 20,
      timers,
      fetch,
      onError: (problem) => problems.push(problem),
    });

    const users = await waitUntil(
      async () => {
        const { body } = await postGraphQL<{ activeUsers: { edges: Array<{ node: { id: string; sessions: Array<{ ipAddress: string; path: string }> } }> } }>(
          pulse!.graphqlUrl,
          admin,
          ACTIVE_USERS,
          { first: 50 },
        );
        const edges = body.data?.activeUsers.edges ?? [];
        return edges.length >= 3 && edges;
      },
      5_000,
      { intervalMs: 50, what: 'three simulated users to be active' },
    );
    for (const { node } of users) {
      for (const session of node.sessions) {
        expect(session.ipAddress).toMatch(DOCUMENTATION_IP);
        expect(KNOWN_PAGES.has(session.path), session.path).toBe(true);
      }
    }
    await waitUntil(() => traffic!.counts.logouts > 0, 5_000, { what: 'a simulated logout' });

    await traffic.stop();
    // Stopped means no step and no batch left to fire, and nothing in flight: no request can follow.
    expect(timers.pending.size).toBe(0);
    const sent = requests;
    const { body } = await postGraphQL<{ stats: { activeSessions: number } }>(pulse.graphqlUrl, admin, STATS);
    expect(body.data?.stats.activeSessions).toBeGreaterThan(0);
    expect(requests).toBe(sent);
    expect(problems).toEqual([]);
  });
});
