import { describe, expect, it } from 'vitest';
import { createPrivacyPolicyReader } from '../../../client/dashboard/privacy-policy.js';
import { toUserRow } from '../../../client/dashboard/users-model.js';
import { formatDuration, IP_MODE_LABELS, privacyDetail, type PrivacyNoteView } from '../../../client/dashboard/views/privacy-note.js';
import type { LiveSession, LiveUser } from '../../../client/lib/index.js';
import type { PrivacyPolicy } from '../../../client/lib/operations.js';

describe('the IP mode label', () => {
  it.each([
    ['FULL', 'IP addresses: stored in full'],
    ['TRUNCATE', 'IP addresses: truncated to /24 and /48'],
    ['HASH', 'IP addresses: pseudonymised daily'],
    ['DROP', 'IP addresses: not stored'],
  ] as const)('says what %s keeps: %j', (mode, label) => {
    expect(IP_MODE_LABELS[mode]).toBe(label);
  });

  it('explains the IP column and how long history is kept in its tooltip', () => {
    expect(privacyDetail({ ipMode: 'HASH', historyMaxAgeMs: 600_000 })).toBe(
      'The IP column shows pseudonyms: the same address has the same one for a UTC day, and a new one the next day. Changes are kept 10 min for resuming.',
    );
    expect(privacyDetail({ ipMode: 'DROP', historyMaxAgeMs: 86_400_000 })).toMatch(/^Pulse keeps no addresses: .* kept 24 h for resuming\.$/);
  });

  it.each([
    [1_000, '1 s'],
    [90_000, '90 s'],
    [600_000, '10 min'],
    [3_600_000, '1 h'],
    [86_400_000, '24 h'],
  ])('writes %i ms as %j', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

/** A label that records what it was asked to show. */
function recordingView(): PrivacyNoteView & { readonly shown: (PrivacyPolicy | null)[] } {
  const shown: (PrivacyPolicy | null)[] = [];
  return { shown, show: (policy) => void shown.push(policy) };
}

/** A `read` whose answers the test gives, one pending call at a time. */
function controlledRead() {
  const pending: ((answer: PrivacyPolicy | { problem: string }) => void)[] = [];
  return {
    read: () => new Promise<PrivacyPolicy | { problem: string }>((resolve) => pending.push(resolve)),
    calls: () => pending.length,
    answer: async (index: number, value: PrivacyPolicy | { problem: string }) => {
      pending[index]?.(value);
      // Every promise continuation queued by then runs before the next macrotask.
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

const TRUNCATE: PrivacyPolicy = { ipMode: 'TRUNCATE', historyMaxAgeMs: 600_000 };

describe('reading the privacy policy for the label', () => {
  it('asks once however often the feed (re)starts, and shows the answer', async () => {
    const view = recordingView();
    const source = controlledRead();
    const reader = createPrivacyPolicyReader({ read: source.read, view, onProblem: () => {} });
    reader.ensure();
    reader.ensure();
    await source.answer(0, TRUNCATE);
    reader.ensure();
    expect(source.calls()).toBe(1);
    expect(view.shown).toEqual([TRUNCATE]);
  });

  it('hides the label on sign-out, drops an answer that arrives after it, and asks again for the next token', async () => {
    const view = recordingView();
    const source = controlledRead();
    const reader = createPrivacyPolicyReader({ read: source.read, view, onProblem: () => {} });
    reader.ensure();
    reader.forget();
    await source.answer(0, TRUNCATE);
    expect(view.shown).toEqual([null]);
    reader.ensure();
    await source.answer(1, { ipMode: 'DROP', historyMaxAgeMs: 600_000 });
    expect(view.shown).toEqual([null, { ipMode: 'DROP', historyMaxAgeMs: 600_000 }]);
  });

  it('reports a failed read, keeps the label hidden, and tries again at the next start', async () => {
    const view = recordingView();
    const source = controlledRead();
    const problems: string[] = [];
    const reader = createPrivacyPolicyReader({ read: source.read, view, onProblem: (problem) => problems.push(problem) });
    reader.ensure();
    await source.answer(0, { problem: '[Network] Failed to fetch' });
    expect(problems).toEqual(['privacy policy not read: [Network] Failed to fetch']);
    expect(view.shown).toEqual([]);
    reader.ensure();
    await source.answer(1, TRUNCATE);
    expect(view.shown).toEqual([TRUNCATE]);
  });
});

describe('addresses in the users table', () => {
  const session = (id: string, ipAddress: string | null, lastSeen: string): LiveSession => ({
    id,
    userId: 'u',
    userName: 'Ada',
    ipAddress,
    path: '/docs',
    userAgent: null,
    startedAt: lastSeen,
    lastSeen,
    eventCount: 1,
  });
  const user = (...sessions: LiveSession[]): LiveUser => ({
    id: 'u',
    name: 'Ada',
    lastSeen: sessions[0]?.lastSeen ?? '',
    sessions: new Map(sessions.map((s) => [s.id, s])),
    sessionCount: sessions.length,
  });

  it('shows an address as stored: a network or a pseudonym, unchanged', () => {
    expect(toUserRow(user(session('s1', '203.0.113.0', '2026-12-02T10:00:00Z'))).ip).toBe('203.0.113.0');
    expect(toUserRow(user(session('s1', '5f0c9a41d2e87b36', '2026-12-02T10:00:00Z'))).ip).toBe('5f0c9a41d2e87b36');
  });

  it('shows a dropped address as absent, never as "null"', () => {
    const row = toUserRow(user(session('s2', null, '2026-12-02T10:00:01Z'), session('s1', null, '2026-12-02T10:00:00Z')));
    expect(row.ip).toBe('');
    expect(row.detail).not.toContain('null');
  });
});
