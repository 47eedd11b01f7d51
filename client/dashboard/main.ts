/**
 * The Pulse dashboard: composition only. The client library keeps the live
 * feed (reconnects, pauses in hidden tabs, validates events); the views draw
 * into the markup of index.html; this file wires them together.
 */
import { createPulseClient, type ConnectionStatus } from '../lib/index.js';
import { PrivacyQuery } from '../lib/operations.js';
import { installDebug, noteProblem } from './debug.js';
import { byTestId } from './dom.js';
import { createLiveView } from './live-view.js';
import { createPrivacyPolicyReader } from './privacy-policy.js';
import { createTokenStore } from './token.js';
import { createCardsView } from './views/cards.js';
import { createChartView } from './views/chart.js';
import { createConnectionView } from './views/connection.js';
import { createPrivacyNoteView } from './views/privacy-note.js';
import { createTokenFormView } from './views/token-form.js';
import { createTopPathsView } from './views/top-paths.js';
import { createUsersTableView } from './views/users-table.js';

/** Users in the snapshot (the API's maximum page); later ones arrive as events. */
const SNAPSHOT_USERS = 100;

const debug = installDebug(window);
const tokens = createTokenStore({
  location: window.location,
  history: window.history,
  // Reaching sessionStorage itself can throw (storage disabled), so go through it lazily.
  storage: {
    getItem: (key) => window.sessionStorage.getItem(key),
    setItem: (key, value) => window.sessionStorage.setItem(key, value),
    removeItem: (key) => window.sessionStorage.removeItem(key),
  },
});

const pulse = createPulseClient({
  url: window.location.origin,
  token: () => tokens.get() ?? '',
  onInvalidEvent: (problem) => noteProblem(debug, `event dropped: ${problem}`),
});

const connection = createConnectionView(document);
const live = createLiveView({
  views: {
    cards: createCardsView(document),
    chart: createChartView(document),
    topPaths: createTopPathsView(document),
    users: createUsersTableView(document),
  },
  onProblem: (problem) => noteProblem(debug, problem),
});
const privacy = createPrivacyPolicyReader({
  read: async () => {
    const result = await pulse.urql.query(PrivacyQuery, {}).toPromise();
    return result.data?.privacy ?? { problem: result.error?.message ?? 'no data' };
  },
  view: createPrivacyNoteView(document),
  onProblem: (problem) => noteProblem(debug, problem),
});

const tokenForm = createTokenFormView(document, (token) => {
  tokens.set(token);
  privacy.forget();
  showSignedIn();
  start();
});

function start(): void {
  if (tokens.get() === null) {
    tokenForm.show(true);
    return;
  }
  pulse.live.start({ first: SNAPSHOT_USERS });
  privacy.ensure();
}

function showSignedIn(): void {
  const signedIn = tokens.get() !== null;
  tokenForm.show(!signedIn);
  connection.setCanStart(signedIn);
  byTestId(document, 'sign-out').hidden = !signedIn;
}

function onStatus(status: ConnectionStatus): void {
  // The library may report the current status on subscribing; record each status object once.
  if (debug.statusHistory.at(-1) !== status) debug.statusHistory.push(status);
  connection.show(status);
  document.body.dataset.live = String(status.kind === 'connected');
  // A refused token is useless: forget it and ask for another.
  if (status.kind === 'failed' && status.code !== 'TOO_MANY_SUBSCRIPTIONS') {
    tokens.clear();
    privacy.forget();
    showSignedIn();
  }
}

onStatus(pulse.live.status);
pulse.live.onStatus(onStatus);
pulse.live.onEvent((event) => live.apply(event));

byTestId(document, 'start').addEventListener('click', start);
byTestId(document, 'stop').addEventListener('click', () => pulse.live.stop());
byTestId(document, 'sign-out').addEventListener('click', () => {
  pulse.live.stop();
  tokens.clear();
  live.reset();
  privacy.forget();
  showSignedIn();
});

setInterval(() => {
  const now = Date.now();
  connection.tick(now);
  live.tick();
}, 1000);

showSignedIn();
start();
