import pino from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../server/auth/authenticator.js';
import { loadConfig } from '../../server/config/index.js';
import { startPulse, type RunningPulse } from '../../server/root/pulse.js';
import { launchBrowser, OFFLINE_ARGS, screenshot } from '../support/browser.js';
import { postGraphQL } from '../support/clients.js';
import { RECORD } from '../support/operations.js';

const DEV_SECRET = 'graphiql-dev-secret-'.padEnd(43, 'x');
/** The page is about 9 MB of inlined GraphiQL and Monaco; on a busy 2-core machine it takes seconds to parse. */
const LOAD_MS = 60_000;
const SUBSCRIPTION = 'subscription Live { activityChanged { __typename cursor ... on SessionStarted { session { id userId } } ... on UserJoined { user { id } } } }';

/** Starts Pulse in dev mode, as `npm start` on a fresh clone does: generated secret, admin token prefilled in GraphiQL. */
async function startDevPulse(): Promise<{ pulse: RunningPulse; admin: string; ingest: string }> {
  // GraphiQL shows only a subscription's latest result: figures within the minute after the snapshot would
  // replace the live event at once (StatsChanged leads after a quiet interval), so they wait out a long one.
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', STATS_INTERVAL_MS: '60000' }, []);
  const admin = await mintToken({ secret: DEV_SECRET, sub: 'dev-admin', roles: ['admin'] });
  const ingest = await mintToken({ secret: DEV_SECRET, sub: 'dev-ingest', roles: ['ingest'] });
  const pulse = await startPulse(config, { logger: pino({ level: 'silent' }), devSecret: DEV_SECRET, graphiqlToken: admin });
  return { pulse, admin, ingest };
}

/** The text a Monaco editor shows, with its no-break spaces as plain ones. */
async function editorText(page: Page, editor: string): Promise<string> {
  return (await page.locator(`${editor} .view-lines`).innerText()).replace(/\s+/g, ' ').trim();
}

/**
 * Records, in the page, every text the result pane shows, in order: a
 * subscription's results replace one another there, so a poll could miss
 * one. Monaco renders spaces as no-break spaces; they are normalised.
 */
async function watchResultPane(page: Page): Promise<void> {
  await page.evaluate(() => {
    if (!document.querySelector('.result-window')) throw new Error('no result pane');
    const shown: string[] = [];
    (window as unknown as { __shown: string[] }).__shown = shown;
    // The whole page is observed and the pane looked up on each change: GraphiQL may render a new pane
    // element once a query runs, and an observer of the old one would see nothing more.
    new MutationObserver(() => {
      const text = (document.querySelector('.result-window .view-lines')?.textContent ?? '').replace(/\s+/g, ' ');
      if (text !== shown.at(-1)) shown.push(text);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}

/** Waits until the result pane has shown, after `from` earlier texts, one containing every part of `parts`; resolves with its index. */
async function waitForShown(page: Page, parts: readonly string[], from = 0): Promise<number> {
  const handle = await page.waitForFunction(
    ([want, start]) => {
      const shown = (window as unknown as { __shown: string[] }).__shown;
      const index = shown.findIndex((text, i) => i >= start && want.every((part) => text.includes(part)));
      return index === -1 ? null : index + 1;
    },
    [parts, from] as const,
    { timeout: LOAD_MS },
  ).catch(async (error: unknown) => {
    const shown = await page.evaluate(() => (window as unknown as { __shown: string[] }).__shown);
    throw new Error(`the result pane never showed ${parts.join(' ')}; it showed ${JSON.stringify(shown)}`, { cause: error });
  });
  return (await handle.jsonValue()) ?? 0;
}

describe('GraphiQL, served by Pulse itself, in a browser that reaches no other host', () => {
  let browser: Browser;
  let pulse: RunningPulse | undefined;
  beforeAll(async () => {
    browser = await launchBrowser(OFFLINE_ARGS);
  });
  afterAll(() => browser.close());
  afterEach(async () => {
    await pulse?.close();
    pulse = undefined;
  });

  it('runs a subscription typed into its editor and shows live events after the snapshot, with every request to Pulse', async () => {
    const started = await startDevPulse();
    pulse = started.pulse;
    const origin = new URL(pulse.url).origin;
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    // What went to /graphql and what came back, timed, for a failure's message: a pane that never showed anything says why here.
    const exchanges: string[] = [];
    const began = performance.now();
    const at = (): string => `${Math.round(performance.now() - began)}ms`;
    page.on('request', (request) => {
      if (request.url().startsWith(`${origin}/graphql`)) exchanges.push(`${at()} ${request.method()} sent, accept ${request.headers()['accept'] ?? '-'}, ${request.postData()?.slice(0, 80) ?? ''}`);
    });
    page.on('requestfailed', (request) => exchanges.push(`${at()} ${request.method()} failed: ${request.failure()?.errorText ?? '?'}`));
    page.on('response', (response) => {
      if (response.url().startsWith(`${origin}/graphql`)) exchanges.push(`${at()} ${response.request().method()} ${response.status()} ${response.headers()['content-type'] ?? ''}`);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    try {
      const response = await page.goto(`${pulse.url}/graphql`, { timeout: LOAD_MS });
      const csp = response?.headers()['content-security-policy'] ?? '';
      expect(csp).toContain("connect-src 'self'");
      expect(csp).toMatch(/script-src 'sha256-/);
      // Not stuck on "Loading...": the editors render from what the page itself carries.
      await page.locator('.graphiql-query-editor .monaco-editor').waitFor({ timeout: LOAD_MS });
      expect(await page.locator('body').innerText()).not.toMatch(/Loading/);
      // Dev mode: the admin token is already in the headers editor.
      await page.locator('.graphiql-editor-tools >> text=Headers').click();
      await expect.poll(() => editorText(page, '.graphiql-editor-tool .graphiql-editor:not(.hidden)'), { timeout: LOAD_MS }).toContain(`"Authorization":"Bearer ${started.admin}"`);

      // Type the document as a user would: focus the editor, select all, enter the text (inserted as a paste, so no auto-closed braces).
      await page.locator('.graphiql-query-editor .view-lines').click();
      await page.keyboard.press('ControlOrMeta+A');
      await page.keyboard.insertText(SUBSCRIPTION);
      await page.keyboard.press('Home');
      await expect.poll(() => editorText(page, '.graphiql-query-editor'), { timeout: LOAD_MS }).toBe(SUBSCRIPTION);
      // GraphiQL reads the editor's operations 100 ms after the last keystroke (debounced). Until then it still
      // sees the default document's two, and its Execute button is a menu to pick one: a click then opens the
      // menu and runs nothing. Input outruns that timer on a busy machine, so wait for the one-operation button.
      await page.locator('button.graphiql-execute-button:not([aria-haspopup])').waitFor({ timeout: LOAD_MS });
      await watchResultPane(page);
      const streamRequest = page.waitForRequest((request) => (request.headers()['accept'] ?? '').includes('text/event-stream'), { timeout: LOAD_MS });
      await page.getByRole('button', { name: /Execute query/ }).click();
      exchanges.push(`${at()} Execute clicked`);
      // The subscription goes over SSE (a GET, the document in its query string) to Pulse's own /graphql.
      const stream = new URL(
        (
          await streamRequest.catch((error: unknown) => {
            throw new Error(`GraphiQL sent no event-stream request; /graphql: ${JSON.stringify(exchanges)}`, { cause: error });
          })
        ).url(),
      );
      expect(`${stream.origin}${stream.pathname}`).toBe(`${origin}/graphql`);

      const snapshotAt = await waitForShown(page, ['"Snapshot"']).catch((error: unknown) => {
        throw new Error(`${(error as Error).message}; /graphql: ${JSON.stringify(exchanges)}; page problems: ${JSON.stringify(problems)}`, { cause: error });
      });
      await screenshot(page, 'graphiql-snapshot');
      const { body } = await postGraphQL(`${pulse.url}/graphql`, started.ingest, RECORD, { input: { sessionId: 'grace-1', userId: 'grace', path: '/graphiql' } });
      expect(body.errors).toBeUndefined();
      // One write is SessionStarted then UserJoined; Monaco may render only the later one, both name the user.
      const liveAt = await waitForShown(page, ['"grace'], snapshotAt);
      expect(liveAt).toBeGreaterThan(snapshotAt);
      await screenshot(page, 'graphiql-live');

      const elsewhere = requests.filter((url) => new URL(url).origin !== origin && !url.startsWith(`blob:${origin}/`) && !url.startsWith('data:'));
      expect(elsewhere).toEqual([]);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 180_000);
});
