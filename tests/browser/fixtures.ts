import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { launchBrowser, openTabs, type DashboardTabs } from '../support/browser.js';
import { postGraphQL } from '../support/clients.js';
import { RECORD } from '../support/operations.js';
import { startTestPulse, type TestPulse, type TestPulseOptions } from '../support/pulse.js';

/** A Pulse for one scenario, with an admin (unique `sub`, so leases never mix) and an ingest token. */
export interface Scenario {
  readonly pulse: TestPulse;
  /** The admin's `sub`, for `pulse.backends.leases.count(adminSub)`. */
  readonly adminSub: string;
  readonly admin: string;
  readonly ingest: string;
}

/** Starts a memory Pulse on a free port (or the port in `env.PORT`) and mints its tokens. */
export async function startScenario(options: TestPulseOptions = {}): Promise<Scenario> {
  const pulse = await startTestPulse(options);
  const adminSub = `admin-${randomUUID()}`;
  return { pulse, adminSub, admin: await pulse.token(adminSub, ['admin']), ingest: await pulse.token('shop', ['ingest']) };
}

/** One page view, as an application reports it. */
export interface Visit {
  readonly sessionId: string;
  readonly userId: string;
  readonly userName?: string;
  readonly ipAddress?: string;
  readonly path?: string;
}

/** Records a visit through the public API (`recordActivity`, ingest role) and fails the test if it was refused. */
export async function record(pulse: TestPulse, ingest: string, visit: Visit): Promise<void> {
  const { status, body } = await postGraphQL(pulse.graphqlUrl, ingest, RECORD, { input: visit });
  expect(body.errors, `recordActivity answered ${status}`).toBeUndefined();
}

/** A scenario with a browser profile pointed at its server. */
export interface BrowserScenario extends Scenario {
  readonly tabs: DashboardTabs;
}

/** What {@link useBrowserStage} gives a test file. */
export interface BrowserStage {
  /** Starts a server (options merged over the file's defaults) and opens a fresh browser profile on it. */
  start(options?: TestPulseOptions): Promise<BrowserScenario>;
  /** Starts a server only, e.g. the same deployment coming back on the same port. */
  serve(options?: TestPulseOptions): Promise<Scenario>;
  /** Stops a server now (mid-test); the ones still running stop after the test. */
  stop(pulse: TestPulse): Promise<void>;
}

/**
 * Registers the hooks every browser file needs: one Chromium for the file
 * (launching is the slow part), and per test fresh servers and profiles,
 * all closed after it however it ended, so no state leaks between tests.
 * Call it once inside a `describe`.
 */
export function useBrowserStage(defaults: TestPulseOptions = {}): BrowserStage {
  let browser: Browser | undefined;
  const running = new Set<TestPulse>();
  const profiles: DashboardTabs[] = [];

  const stop = async (pulse: TestPulse): Promise<void> => {
    if (running.delete(pulse)) await pulse.close();
  };
  const serve = async (options: TestPulseOptions = {}): Promise<Scenario> => {
    const scenario = await startScenario({ ...defaults, ...options, env: { ...defaults.env, ...options.env } });
    running.add(scenario.pulse);
    return scenario;
  };

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(() => browser?.close());
  afterEach(async () => {
    await Promise.all(profiles.splice(0).map((profile) => profile.close()));
    await Promise.all([...running].map(stop));
  });

  return {
    serve,
    stop,
    start: async (options) => {
      if (!browser) throw new Error('useBrowserStage: start() runs in a test, after beforeAll launched the browser');
      const scenario = await serve(options);
      const tabs = await openTabs(browser, scenario.pulse.url);
      profiles.push(tabs);
      return { ...scenario, tabs };
    },
  };
}
