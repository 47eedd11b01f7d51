import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import type { ConnectionStatus } from '../../client/lib/types.js';

/** Where Debian's `chromium` package puts the browser (a launcher script Playwright can run). */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Flags for a quiet, deterministic headless Chromium: no sandbox (tests run as
 * root in CI), no GPU, no QUIC (the server speaks HTTP/1.1 only), and none of
 * the background traffic (updates, sync, first-run pages) that would add
 * requests and timing noise no test asked for.
 */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * The Chromium binary to drive: `CHROMIUM_PATH` when set, else
 * {@link DEFAULT_CHROMIUM_PATH}.
 * @throws Error with install advice when the file is missing; browser tests never skip
 */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  const path = env.CHROMIUM_PATH || DEFAULT_CHROMIUM_PATH;
  if (!existsSync(path)) {
    throw new Error(
      `Chromium not found at ${path}. The browser tests need it: apt-get update && apt-get install -y chromium, or set CHROMIUM_PATH to a Chromium or Chrome binary.`,
    );
  }
  return path;
}

/**
 * Extra flags for a browser that can reach no other host: every name but
 * 127.0.0.1 fails to resolve, as on a machine without internet (a page that
 * needs a CDN shows it at once).
 */
export const OFFLINE_ARGS: readonly string[] = ['--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1'];

/**
 * Launches headless Chromium through playwright-core (which ships no browser
 * of its own, so we point it at the system one). One per test file: launching
 * costs about half a second, a fresh context per test isolates the rest.
 * @param extraArgs - flags beyond {@link CHROMIUM_ARGS}, e.g. {@link OFFLINE_ARGS}
 * @throws Error with install advice when the binary is missing or does not start
 */
export async function launchBrowser(extraArgs: readonly string[] = []): Promise<Browser> {
  const executablePath = chromiumPath();
  try {
    return await chromium.launch({ executablePath, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] });
  } catch (error) {
    throw new Error(`Chromium at ${executablePath} did not start (reinstall it: apt-get install -y chromium, or set CHROMIUM_PATH)`, { cause: error });
  }
}

/** The states `[data-testid="status"]` reports in `data-state`. */
export type StatusState = 'connecting' | 'connected' | 'reconnecting' | 'paused' | 'stopped' | 'failed';

/** The figure cards, named as in `data-testid="card-<name>"`. */
export type CardName = 'active-users' | 'active-sessions' | 'events-last-minute';

/** Options of {@link DashboardTabs.open}. */
export interface OpenOptions {
  /**
   * Runs on the new page before it navigates, e.g. to add an init script that
   * must see the dashboard's first request. @defaultValue none
   */
  readonly beforeLoad?: (page: Page) => Promise<void>;
  /** How long the dashboard has to render its status. @defaultValue 5000 */
  readonly timeoutMs?: number;
}

/**
 * Tabs of one browser profile (a Playwright context), like one admin's
 * browser window: they share cookies and the connection pool. Collects every
 * uncaught page error and Content Security Policy violation, so a test can
 * assert there were none.
 */
export interface DashboardTabs {
  readonly context: BrowserContext;
  /** Uncaught exceptions, unhandled rejections and CSP violations of every tab, as `url: message`. */
  readonly pageErrors: readonly string[];
  /** Opens the dashboard in a new tab, signed in through the URL fragment (`null`: no token, the form shows). */
  open(token: string | null, options?: OpenOptions): Promise<Page>;
  /** Closes every tab (their streams drop as a closed browser tab's would). */
  close(): Promise<void>;
}

/** A fresh profile against the Pulse at `baseUrl` (e.g. `http://127.0.0.1:39211`). */
export async function openTabs(browser: Browser, baseUrl: string): Promise<DashboardTabs> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const pageErrors: string[] = [];
  return {
    context,
    pageErrors,
    open: async (token, { beforeLoad, timeoutMs = 5_000 } = {}) => {
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(`${page.url()}: ${error.message}`));
      // The dashboard is served with a strict CSP; a violation is only a console error, yet it means a style or script was blocked.
      page.on('console', (message) => {
        if (message.type() === 'error' && message.text().includes('Content Security Policy')) pageErrors.push(`${page.url()}: ${message.text()}`);
      });
      await beforeLoad?.(page);
      await page.goto(token === null ? `${baseUrl}/` : `${baseUrl}/#token=${encodeURIComponent(token)}`);
      await expectDashboard(page, timeoutMs);
      return page;
    },
    close: () => context.close(),
  };
}

/** Fails with a useful message when `/` serves something other than the dashboard (e.g. the pre-dashboard placeholder). */
async function expectDashboard(page: Page, timeoutMs: number): Promise<void> {
  try {
    await page.locator(STATUS).waitFor({ state: 'attached', timeout: timeoutMs });
  } catch (error) {
    const text = (await page.locator('body').innerText().catch(() => '')).slice(0, 300);
    throw new Error(
      `no dashboard at ${page.url()} (no ${STATUS} within ${timeoutMs} ms). Is client/dashboard/dist built (npm run build) and served at /? The page says: ${JSON.stringify(text)}`,
      { cause: error },
    );
  }
}

const STATUS = '[data-testid="status"]';

/** The status element. */
export function statusOf(page: Page): Locator {
  return page.locator(STATUS);
}

/** What the status element showed at one instant. */
export interface StatusView {
  readonly state: string;
  /** `data-attempt`, while reconnecting. */
  readonly attempt: number | null;
  /** `data-delay-ms`: the backoff delay of the pending retry, while reconnecting. */
  readonly delayMs: number | null;
  readonly text: string;
}

/**
 * Waits until the status shows `state` and resolves with everything it showed
 * at that instant, read in the page in one go: a reconnecting status may turn
 * into `connecting` a moment later, so its attributes must not be read by
 * separate round trips. On timeout the error names the state shown instead
 * and the status history, which is what one needs to debug a connection test.
 * @param timeoutMs - how long to wait; 5000 by default
 */
export async function waitForStatus(page: Page, state: StatusState, timeoutMs = 5_000): Promise<StatusView> {
  try {
    const handle = await page.waitForFunction(
      ([selector, want]) => {
        const element = document.querySelector(selector);
        if (element?.getAttribute('data-state') !== want) return null;
        const numberOf = (name: string): number | null => (element.hasAttribute(name) ? Number(element.getAttribute(name)) : null);
        return { state: want, attempt: numberOf('data-attempt'), delayMs: numberOf('data-delay-ms'), text: element.textContent?.trim() ?? '' };
      },
      [STATUS, state] as const,
      { timeout: timeoutMs },
    );
    const view = await handle.jsonValue();
    // waitForFunction resolves on a truthy value only; the check is for the type.
    if (view === null) throw new Error('waitForFunction resolved with null');
    return view;
  } catch (error) {
    const shown = await statusOf(page).getAttribute('data-state').catch(() => null);
    const history = await statusHistory(page).catch(() => []);
    throw new Error(`status did not become ${state} within ${timeoutMs} ms: it is ${shown}; history ${JSON.stringify(history)}`, { cause: error });
  }
}

/** Every status the dashboard went through, in order (`window.__pulseDashboard.statusHistory`). */
export async function statusHistory(page: Page): Promise<ConnectionStatus[]> {
  return page.evaluate(() => {
    // The dashboard's own declaration of this global is not ours to import; read it structurally.
    const debug = (window as unknown as { __pulseDashboard?: { statusHistory?: unknown } }).__pulseDashboard;
    return structuredClone(debug?.statusHistory ?? []) as ConnectionStatus[];
  });
}

/**
 * What the dashboard noted as going wrong without breaking it, newest last
 * (`window.__pulseDashboard.problems`): events the client library dropped as
 * malformed, rendering failures.
 */
export async function dashboardProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const debug = (window as unknown as { __pulseDashboard?: { problems?: unknown } }).__pulseDashboard;
    return Array.isArray(debug?.problems) ? debug.problems.map(String) : [];
  });
}

/** The `[data-testid="value"]` of a card. */
export function cardValueOf(page: Page, card: CardName): Locator {
  return page.locator(`[data-testid="card-${card}"] [data-testid="value"]`);
}

/**
 * Reads a card's number.
 * @throws Error when the card shows something that is not a number
 */
export async function cardValue(page: Page, card: CardName): Promise<number> {
  const text = (await cardValueOf(page, card).textContent())?.trim() ?? '';
  const value = Number(text.replace(/[\s,]/g, ''));
  if (text === '' || !Number.isFinite(value)) throw new Error(`card ${card} shows ${JSON.stringify(text)}, not a number`);
  return value;
}

/**
 * Waits until a card shows `expected`, watching the DOM in the page (no
 * polling from the test).
 * @param timeoutMs - how long to wait; 5000 by default
 */
export async function waitForCardValue(page: Page, card: CardName, expected: number, timeoutMs = 5_000): Promise<void> {
  const selector = `[data-testid="card-${card}"] [data-testid="value"]`;
  try {
    await page.waitForFunction(
      ([sel, want]) => Number(document.querySelector(sel)?.textContent?.replace(/[\s,]/g, '') ?? Number.NaN) === want,
      [selector, expected] as const,
      { timeout: timeoutMs },
    );
  } catch (error) {
    const shown = await cardValueOf(page, card).textContent().catch(() => null);
    throw new Error(`card ${card} did not show ${expected} within ${timeoutMs} ms (it shows ${JSON.stringify(shown)})`, { cause: error });
  }
}

/** The users table row of a user. */
export function userRow(page: Page, userId: string): Locator {
  return page.locator(`[data-testid="users-table"] tr[data-user-id="${userId}"]`);
}

/** A cell of a user's row: `name`, `sessions`, `ip`, `path` or `last-seen`. */
export function userCell(page: Page, userId: string, column: 'name' | 'sessions' | 'ip' | 'path' | 'last-seen'): Locator {
  return userRow(page, userId).locator(`[data-col="${column}"]`);
}

/**
 * Makes the page look hidden or visible to its scripts.
 *
 * Headless Chromium has no real tab hiding: every page stays `visible`, and
 * Playwright offers no switch (CDP's lifecycle `frozen` state would also stop
 * the page's scripts, which is not what a background tab does). So we shadow
 * `document.visibilityState` and `document.hidden` with own properties and
 * fire `visibilitychange` as the browser would (at the document, bubbling).
 * The dashboard reads the same properties and hears the same event; only
 * timer throttling of real background tabs is not reproduced.
 */
export async function setVisibility(page: Page, state: 'hidden' | 'visible'): Promise<void> {
  await page.evaluate((next) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => next });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => next === 'hidden' });
    document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
  }, state);
}

/**
 * Where screenshots go: `PULSE_SCREENSHOT_DIR`, else `tests/browser/screenshots/`
 * (ignored by git through `tests/browser/.gitignore`; nothing generated is committed).
 */
export function screenshotDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PULSE_SCREENSHOT_DIR || fileURLToPath(new URL('../browser/screenshots/', import.meta.url));
}

/** Saves a full-page PNG named after `name` and resolves with its path, for a human to look at after a run. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = screenshotDir();
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
