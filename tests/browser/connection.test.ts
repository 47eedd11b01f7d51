import { describe, expect, it } from 'vitest';
import type { ConnectionStatus } from '../../client/lib/types.js';
import {
  screenshot,
  setVisibility,
  statusHistory,
  userRow,
  waitForCardValue,
  waitForStatus,
} from '../support/browser.js';
import type { TestPulse } from '../support/pulse.js';
import { waitUntil } from '../support/wait.js';
import { record, useBrowserStage } from './fixtures.js';

type Reconnecting = Extract<ConnectionStatus, { kind: 'reconnecting' }>;

describe('the dashboard connection', () => {
  const stage = useBrowserStage({ env: { STATS_INTERVAL_MS: '100' } });

  const openStreams = (pulse: TestPulse) => pulse.services.openStreams.count;

  it('pauses the stream while the page is hidden and resumes it, current, when it is shown', async () => {
    const { pulse, admin, adminSub, ingest, tabs } = await stage.start();
    const page = await tabs.open(admin);
    await waitForStatus(page, 'connected');
    expect(openStreams(pulse)).toBe(1);

    await setVisibility(page, 'hidden');
    await waitForStatus(page, 'paused');
    await waitUntil(() => openStreams(pulse) === 0, 5_000, { what: 'the hidden page to close its stream' });
    await waitUntil(async () => (await pulse.backends.leases.count(adminSub)) === 0, 5_000, { what: 'its lease to be released' });
    // Happens while nobody listens: the resumed feed must still show it.
    await record(pulse, ingest, { sessionId: 'frank-1', userId: 'frank', userName: 'Frank', path: '/while-hidden' });

    await setVisibility(page, 'visible');
    await waitForStatus(page, 'connected');
    await waitUntil(() => openStreams(pulse) === 1, 5_000, { what: 'the shown page to open its stream again' });
    await userRow(page, 'frank').waitFor();
    expect(tabs.pageErrors).toEqual([]);
  });

  it('stops and starts with the buttons', async () => {
    const { pulse, admin, tabs } = await stage.start();
    const page = await tabs.open(admin);
    await waitForStatus(page, 'connected');

    await page.locator('[data-testid="stop"]').click();
    await waitForStatus(page, 'stopped');
    await waitUntil(() => openStreams(pulse) === 0, 5_000, { what: 'the stopped page to close its stream' });
    await page.locator('[data-testid="start"]').click();
    await waitForStatus(page, 'connected');
    expect(openStreams(pulse)).toBe(1);
    expect(tabs.pageErrors).toEqual([]);
  });

  it('reconnects with growing delays while the server is down, then shows the new server state', { timeout: 40_000 }, async ({ annotate }) => {
    const { pulse, admin, ingest, tabs } = await stage.start();
    const port = new URL(pulse.url).port;
    await record(pulse, ingest, { sessionId: 'old-1', userId: 'old-user', userName: 'Only on the old server', path: '/old' });
    const page = await tabs.open(admin);
    await waitForStatus(page, 'connected');
    await userRow(page, 'old-user').waitFor();
    const before = (await statusHistory(page)).length;

    await stage.stop(pulse);
    const shown = await waitForStatus(page, 'reconnecting');
    expect(shown.attempt).toBeGreaterThanOrEqual(1);
    expect(shown.delayMs).toBeGreaterThan(0);
    expect(shown.text).toMatch(/reconnecting/i);
    expect(shown.text).toContain(String(shown.attempt));
    await screenshot(page, 'connection-reconnecting');
    // The first `reconnecting` follows the drop; two more each follow a failed try against the stopped server.
    await page.waitForFunction(
      (from) => {
        const debug = (window as unknown as { __pulseDashboard?: { statusHistory?: Array<{ kind: string }> } }).__pulseDashboard;
        return (debug?.statusHistory ?? []).slice(from).filter((s) => s.kind === 'reconnecting').length >= 3;
      },
      before,
      { timeout: 20_000 },
    );

    // Same port and secret: to the dashboard, the same server back from a restart, with none of its memory.
    const restarted = await stage.serve({ env: { PORT: port }, secret: pulse.secret });
    await record(restarted.pulse, ingest, { sessionId: 'new-1', userId: 'new-user', userName: 'Only on the new server', path: '/new' });
    await waitForStatus(page, 'connected', 20_000);
    await userRow(page, 'new-user').waitFor();
    await userRow(page, 'old-user').waitFor({ state: 'detached' });
    await waitForCardValue(page, 'active-users', 1);

    const outage = (await statusHistory(page)).slice(before);
    const tries = outage.filter((s): s is Reconnecting => s.kind === 'reconnecting');
    await annotate(`reconnect delays: ${tries.map((s) => `#${s.attempt} ${s.delayMs} ms`).join(', ')}`);
    expect(tries.length).toBeGreaterThanOrEqual(3);
    // The status element showed the pending retry the client had scheduled.
    expect(tries[0]).toMatchObject({ attempt: shown.attempt, delayMs: shown.delayMs });
    tries.reduce((previous, current) => {
      expect(current.attempt).toBeGreaterThan(previous.attempt);
      // Jittered delays of successive tries may meet at a bound, never go back.
      expect(current.delayMs).toBeGreaterThanOrEqual(previous.delayMs);
      return current;
    });
    // Exponential whatever the jitter: two tries on, the delay has at least doubled (the cap is far above these).
    tries.slice(2).forEach((current, i) => expect(current.delayMs).toBeGreaterThanOrEqual(2 * (tries[i]?.delayMs ?? Infinity)));
    expect(outage.at(-1)).toMatchObject({ kind: 'connected' });
    expect(tabs.pageErrors).toEqual([]);
  });
});
