import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import {
  cardValue,
  screenshot,
  statusHistory,
  statusOf,
  userCell,
  userRow,
  waitForCardValue,
  waitForStatus,
} from '../support/browser.js';
import { record, useBrowserStage } from './fixtures.js';

/** Resolves with the moment (performance.now) `promise` settled, so a wait can be timed from a later instant. */
const settledAt = (promise: Promise<unknown>): Promise<number> => promise.then(() => performance.now());

describe('the dashboard in a browser', () => {
  // Stats at most every 100 ms, so "within a second" measures the dashboard, not the server's coalescing.
  const stage = useBrowserStage({ env: { STATS_INTERVAL_MS: '100' } });

  it('shows the snapshot, then a recorded activity within a second', async ({ annotate }) => {
    const { pulse, admin, ingest, tabs } = await stage.start();
    await record(pulse, ingest, { sessionId: 'alice-1', userId: 'alice', userName: 'Alice', ipAddress: '203.0.113.7', path: '/pricing' });
    await record(pulse, ingest, { sessionId: 'alice-2', userId: 'alice', userName: 'Alice', ipAddress: '203.0.113.7', path: '/docs' });
    await record(pulse, ingest, { sessionId: 'carol-1', userId: 'carol', userName: 'Carol', ipAddress: '2001:db8::1', path: '/pricing' });

    const page = await tabs.open(admin);
    await waitForStatus(page, 'connected');
    await userRow(page, 'alice').waitFor();
    expect(await userCell(page, 'alice', 'name').textContent()).toContain('Alice');
    expect((await userCell(page, 'alice', 'sessions').textContent())?.trim()).toBe('2');
    expect(await userCell(page, 'carol', 'ip').textContent()).toContain('2001:db8::1');
    expect(await userCell(page, 'carol', 'path').textContent()).toContain('/pricing');
    await waitForCardValue(page, 'active-users', 2);
    expect(await cardValue(page, 'active-sessions')).toBe(3);
    expect(await cardValue(page, 'events-last-minute')).toBe(3);
    await page.locator('[data-testid="top-paths"] li').nth(1).waitFor();
    const topPaths = await page.locator('[data-testid="top-paths"] li').allTextContents();
    expect(topPaths).toHaveLength(2);
    expect(topPaths.join('\n')).toMatch(/\/pricing[\s\S]*\/docs/);
    expect(await page.locator('[data-testid="events-chart"] rect').count()).toBeGreaterThan(0);
    await screenshot(page, 'dashboard-snapshot');

    // Wait from before the mutation so no DOM change can slip past; time from its response.
    const rowShown = settledAt(userRow(page, 'bob').waitFor({ timeout: 5_000 }));
    const usersShown = settledAt(waitForCardValue(page, 'active-users', 3));
    const sessionsShown = settledAt(waitForCardValue(page, 'active-sessions', 4));
    await record(pulse, ingest, { sessionId: 'bob-1', userId: 'bob', userName: 'Bob', ipAddress: '198.51.100.4', path: '/checkout' });
    const answered = performance.now();
    const latency = { row: (await rowShown) - answered, users: (await usersShown) - answered, sessions: (await sessionsShown) - answered };
    await annotate(`activity → dashboard: row ${latency.row.toFixed(0)} ms, cards ${Math.max(latency.users, latency.sessions).toFixed(0)} ms`);
    expect(latency.row).toBeLessThan(1_000);
    expect(latency.users).toBeLessThan(1_000);
    expect(latency.sessions).toBeLessThan(1_000);
    expect(await userCell(page, 'bob', 'path').textContent()).toContain('/checkout');
    expect(await userCell(page, 'bob', 'ip').textContent()).toContain('198.51.100.4');
    await screenshot(page, 'dashboard-live');
    expect(tabs.pageErrors).toEqual([]);
  });

  it('says which IP mode is on, and shows addresses as that mode stored them', async () => {
    const { pulse, admin, ingest, tabs } = await stage.start({ env: { IP_MODE: 'truncate' } });
    await record(pulse, ingest, { sessionId: 'frank-1', userId: 'frank', userName: 'Frank', ipAddress: '203.0.113.77', path: '/' });
    await record(pulse, ingest, { sessionId: 'gina-1', userId: 'gina', userName: 'Gina', path: '/' });
    const page = await tabs.open(admin);
    await waitForStatus(page, 'connected');
    const label = page.locator('[data-testid="ip-mode"]');
    await label.waitFor();
    expect(await label.textContent()).toBe('IP addresses: truncated to /24 and /48');
    expect(await label.getAttribute('data-mode')).toBe('TRUNCATE');
    await userRow(page, 'frank').waitFor();
    expect((await userCell(page, 'frank', 'ip').textContent())?.trim()).toBe('203.0.113.0');
    // An event without an address leaves the cell empty: nothing reads "null".
    expect((await userCell(page, 'gina', 'ip').textContent())?.trim()).toBe('');
    await screenshot(page, 'dashboard-ip-mode');
    // Signing out hides it with the rest.
    await page.locator('[data-testid="sign-out"]').click();
    await label.waitFor({ state: 'hidden' });
    expect(tabs.pageErrors).toEqual([]);
  });

  it('removes a user whose session expired', async () => {
    const { pulse, admin, ingest, tabs } = await stage.start({ env: { IDLE_TIMEOUT_MS: '1000', SWEEP_INTERVAL_MS: '50' } });
    const page = await tabs.open(admin);
    await waitForStatus(page, 'connected');

    await record(pulse, ingest, { sessionId: 'dave-1', userId: 'dave', userName: 'Dave', path: '/blog' });
    await userRow(page, 'dave').waitFor();
    await waitForCardValue(page, 'active-users', 1);
    // Idle for 1 s, swept within 50 ms of that: gone well before 4 s.
    await userRow(page, 'dave').waitFor({ state: 'detached', timeout: 4_000 });
    await waitForCardValue(page, 'active-users', 0);
    await waitForCardValue(page, 'active-sessions', 0);
    expect(await statusOf(page).getAttribute('data-state')).toBe('connected');
    expect(tabs.pageErrors).toEqual([]);
  });

  it('asks for a token when the link carries none, and connects with the one typed in', async () => {
    const { pulse, admin, ingest, tabs } = await stage.start();
    await record(pulse, ingest, { sessionId: 'erin-1', userId: 'erin', userName: 'Erin', path: '/' });
    const page = await tabs.open(null);
    await page.locator('[data-testid="token-form"]').waitFor();

    await page.locator('[data-testid="token-input"]').fill(admin);
    await page.locator('[data-testid="token-input"]').press('Enter');
    await waitForStatus(page, 'connected');
    await userRow(page, 'erin').waitFor();
    expect(tabs.pageErrors).toEqual([]);
  });

  it('reports a token without the admin role as refused, without retrying', async () => {
    const { ingest, tabs } = await stage.start();
    const page = await tabs.open(ingest);
    await waitForStatus(page, 'failed');
    expect((await page.locator('[data-testid="status-message"]').textContent())?.trim()).not.toBe('');
    const history = await statusHistory(page);
    expect(history.at(-1)).toMatchObject({ kind: 'failed', code: 'FORBIDDEN' });
    // A refusal that retrying cannot fix must not be retried.
    expect(history.filter((status) => status.kind === 'reconnecting')).toEqual([]);
    expect(tabs.pageErrors).toEqual([]);
  });
});
