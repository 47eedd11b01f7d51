import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { dashboardProblems, statusHistory, statusOf, userRow, waitForStatus } from '../support/browser.js';
import { record, useBrowserStage, type BrowserScenario } from './fixtures.js';
import { tapEventStreams, type StreamTap } from './stream-tap.js';

/** A `next` event for the dashboard's own operation, framed as the server frames them. */
const nextEvent = (data: string): string => `event: next\ndata: ${data}\n\n`;

describe('malformed events on the dashboard stream', () => {
  const stage = useBrowserStage();

  interface Tapped extends BrowserScenario {
    readonly page: Page;
    readonly tap: StreamTap;
    /** The id graphql-sse gave the dashboard's `activityChanged` operation. */
    readonly operationId: string;
  }

  /** A connected dashboard whose event stream is tapped. */
  const tappedDashboard = async (): Promise<Tapped> => {
    const scenario = await stage.start();
    let tap: StreamTap | undefined;
    const page = await scenario.tabs.open(scenario.admin, {
      beforeLoad: async (p) => {
        tap = await tapEventStreams(p);
      },
    });
    await waitForStatus(page, 'connected');
    // Connected means the snapshot came through the tap, so the operation id is known.
    const [operationId] = (await tap?.operationIds()) ?? [];
    if (!tap || operationId === undefined) throw new Error('no operation id seen on the tapped event stream: is the dashboard using /graphql/stream?');
    return { ...scenario, page, tap, operationId };
  };

  it('drops events that fail validation and goes on with the next real one', async () => {
    const { pulse, ingest, tabs, page, tap, operationId } = await tappedDashboard();
    const before = await statusHistory(page);
    const problemsBefore = (await dashboardProblems(page)).length;

    const at = new Date().toISOString();
    // A session that would pass, so each event below breaks exactly one rule; had one been applied, 'ghost' would show.
    const session = { id: 'ghost-1', userId: 'ghost', userName: 'Ghost', ipAddress: null, path: '/', userAgent: null, startedAt: at, lastSeen: at, eventCount: 1 };
    const malformed: ReadonlyArray<{ readonly event: Record<string, unknown>; readonly problem: RegExp }> = [
      // No session, no time, and a cursor Pulse never sends.
      { event: { __typename: 'SessionStarted', cursor: 'zzz' }, problem: /SessionStarted/ },
      { event: { __typename: 'SessionStarted', cursor: '999999', at }, problem: /SessionStarted\.session/ },
      { event: { __typename: 'SessionUpdated', cursor: '999999', at, session: { ...session, eventCount: 'many' }, previousPath: null }, problem: /eventCount/ },
      { event: { __typename: 'SessionEnded', cursor: '999999', at, session, reason: 'EXPLODED' }, problem: /reason/ },
      { event: { __typename: 'Bogus', cursor: '999999', at }, problem: /Bogus/ },
    ];
    for (const { event } of malformed) {
      expect(await tap.inject(nextEvent(JSON.stringify({ id: operationId, payload: { data: { activityChanged: event } } })))).toBe(1);
    }
    // The stream is ordered: once this real change shows, the bogus ones were handled before it.
    await record(pulse, ingest, { sessionId: 'grace-1', userId: 'grace', userName: 'Grace', path: '/after-bogus' });
    await userRow(page, 'grace').waitFor();

    expect(await statusOf(page).getAttribute('data-state')).toBe('connected');
    // Dropped, not taken for a broken connection: no reconnect happened.
    expect(await statusHistory(page)).toEqual(before);
    // Each one reached the library's validation and was dropped there (not, say, ignored for its id).
    const dropped = (await dashboardProblems(page)).slice(problemsBefore);
    expect(dropped).toHaveLength(malformed.length);
    malformed.forEach(({ problem }, i) => expect(dropped[i]).toMatch(problem));
    expect(await userRow(page, 'ghost').count()).toBe(0);
    expect(tabs.pageErrors).toEqual([]);
  });

  it('survives a data line that is not JSON and shows later activity', async ({ annotate }) => {
    const { pulse, ingest, tabs, page, tap } = await tappedDashboard();
    const before = (await statusHistory(page)).length;

    expect(await tap.inject(nextEvent('this is not JSON {'))).toBe(1);
    await record(pulse, ingest, { sessionId: 'heidi-1', userId: 'heidi', userName: 'Heidi', path: '/after-garbage' });
    await userRow(page, 'heidi').waitFor();
    await waitForStatus(page, 'connected');

    // Below the library's event validation: graphql-sse's parser throws on a data line that is not JSON and
    // ends the connection. That may cost a reconnect (and a fresh snapshot), never the page or the feed.
    const after = (await statusHistory(page)).slice(before);
    await annotate(`statuses after the non-JSON line: ${after.map((s) => s.kind).join(' → ') || '(none: the event was dropped)'}`);
    expect(after.every((s) => s.kind !== 'failed' && s.kind !== 'stopped')).toBe(true);
    expect(tabs.pageErrors).toEqual([]);
  });
});
