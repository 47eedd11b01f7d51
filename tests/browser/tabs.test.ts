import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { screenshot, statusHistory, waitForStatus, type DashboardTabs } from '../support/browser.js';
import { waitUntil } from '../support/wait.js';
import { useBrowserStage } from './fixtures.js';

describe('one admin in several tabs (at most 2 subscriptions)', () => {
  const stage = useBrowserStage({ env: { MAX_SUBSCRIPTIONS_PER_ADMIN: '2' } });

  /** Opens a tab and waits until its feed is live. */
  const connectedTab = async (profile: DashboardTabs, token: string): Promise<Page> => {
    const page = await profile.open(token);
    await waitForStatus(page, 'connected');
    return page;
  };

  it('frees the slot of a closed tab, so another tab can take it', async () => {
    const { pulse, admin, adminSub, tabs } = await stage.start();
    const leases = () => pulse.backends.leases.count(adminSub);
    const a = await connectedTab(tabs, admin);
    await connectedTab(tabs, admin);
    expect(await leases()).toBe(2);

    await a.close();
    await waitUntil(async () => (await leases()) === 1, 5_000, { what: "the closed tab's lease to be released" });
    // Only a freed slot lets a third tab in while the limit is 2.
    await connectedTab(tabs, admin);
    expect(await leases()).toBe(2);
    expect(tabs.pageErrors).toEqual([]);
  });

  it('tells a third tab that there are too many subscriptions, leaving the other two live, until one closes', async () => {
    const { pulse, admin, adminSub, tabs } = await stage.start();
    const a = await connectedTab(tabs, admin);
    const b = await connectedTab(tabs, admin);

    const c = await tabs.open(admin);
    await waitForStatus(c, 'failed');
    expect(await c.locator('[data-testid="status-message"]').textContent()).toMatch(/too many/i);
    expect((await statusHistory(c)).at(-1)).toMatchObject({ kind: 'failed', code: 'TOO_MANY_SUBSCRIPTIONS' });
    await screenshot(c, 'tabs-too-many-subscriptions');

    for (const page of [a, b]) expect(await page.locator('[data-testid="status"]').getAttribute('data-state')).toBe('connected');
    expect(await pulse.backends.leases.count(adminSub)).toBe(2);

    // What the message advises: close another tab, press Start.
    await a.close();
    await waitUntil(async () => (await pulse.backends.leases.count(adminSub)) === 1, 5_000, { what: "the closed tab's lease to be released" });
    await c.locator('[data-testid="start"]').click();
    await waitForStatus(c, 'connected');
    expect(tabs.pageErrors).toEqual([]);
  });
});
