import { ANONYMOUS_SHARE, between, documentationIp, EXIT_PAGES, LANDING_PAGES, nextPage, PEOPLE, pick, pickWeighted, USER_AGENTS, type Random } from './catalog.js';

/** One page view to report, as `ActivityInput` takes it. */
export interface PageView {
  readonly sessionId: string;
  readonly userId: string;
  readonly userName: string | null;
  readonly ipAddress: string;
  readonly path: string;
  readonly userAgent: string;
}

/** What the simulated visitors did in one step. */
export interface SimulationStep {
  /** Page views to record, in order. */
  readonly views: readonly PageView[];
  /** Sessions that logged out (after their views of this step). */
  readonly logouts: readonly string[];
}

/** Options of {@link createSimulation}. */
export interface SimulationOptions {
  /** Decides everything; pass a seeded one for a repeatable run. */
  readonly random: Random;
  /**
   * Sessions kept open at about the same time, idle ones included.
   * @defaultValue 12
   */
  readonly targetSessions?: number;
}

/** Visitors arriving, browsing, going idle and leaving, advanced step by step. */
export interface Simulation {
  /** Advances to `nowMs` and returns what happened since the last step. */
  step(nowMs: number): SimulationStep;
  /** Sessions the simulation considers open (browsing or idle). */
  readonly openSessions: number;
}

interface SimSession {
  readonly view: Omit<PageView, 'path'>;
  path: string;
  phase: 'browsing' | 'idle';
  /** When this session next decides what to do. */
  nextAt: number;
}

/** Reading a page takes this long (ms) before the next click. */
const THINK_MS = [2_000, 9_000] as const;
/** A pause this long (ms), then the visitor comes back or is gone for good (and the server expires the session). */
const IDLE_MS = [15_000, 75_000] as const;
/** Chance that a browsing visitor pauses instead of clicking on. */
const GO_IDLE = 0.12;
/** Chance that an arriving visit is a second device of someone already browsing. */
const SECOND_DEVICE = 0.1;

/**
 * The demo's visitors as a pure state machine: no timers and no I/O, only
 * `random` and the times it is stepped at, so a test drives it exactly.
 * Each step lets visitors arrive (half the target at once on the first
 * step, so a newcomer sees a full dashboard at once), then each visitor
 * whose time has come clicks to a next page, goes idle (stops reporting),
 * comes back, leaves silently, or logs out (likelier after checkout).
 */
export function createSimulation({ random, targetSessions = 12 }: SimulationOptions): Simulation {
  const sessions = new Map<string, SimSession>();
  const run = Math.floor(random() * 36 ** 4).toString(36);
  let counter = 0;
  let first = true;

  const arrive = (nowMs: number, views: PageView[]): void => {
    const view = newVisit(random, sessions, `demo-${run}-${++counter}`);
    const session: SimSession = { view, path: pickWeighted(random, LANDING_PAGES), phase: 'browsing', nextAt: nowMs + between(random, ...THINK_MS) };
    sessions.set(view.sessionId, session);
    views.push({ ...view, path: session.path });
  };

  return {
    step(nowMs) {
      const views: PageView[] = [];
      const logouts: string[] = [];
      const arrivals = first ? Math.ceil(targetSessions / 2) : arrivalsNow(random, targetSessions - sessions.size);
      first = false;
      for (let i = 0; i < arrivals; i++) arrive(nowMs, views);
      for (const session of sessions.values()) {
        if (session.nextAt <= nowMs) decide(random, session, nowMs, sessions, views, logouts);
      }
      return { views, logouts };
    },
    get openSessions() {
      return sessions.size;
    },
  };
}

/** Arrivals trickle in while below the target: on average one every three steps per missing session, at most two at once. */
function arrivalsNow(random: Random, missing: number): number {
  let arrivals = 0;
  for (let i = 0; i < Math.min(missing, 2); i++) if (random() < 0.35) arrivals++;
  return arrivals;
}

function newVisit(random: Random, sessions: ReadonlyMap<string, SimSession>, sessionId: string): Omit<PageView, 'path'> {
  const open = [...sessions.values()];
  const perUser = new Map<string, number>();
  for (const s of open) perUser.set(s.view.userId, (perUser.get(s.view.userId) ?? 0) + 1);
  // A second device (same person, same network, another browser), never a third.
  const onOneDevice = open.filter((s) => s.view.userName !== null && perUser.get(s.view.userId) === 1);
  if (onOneDevice.length > 0 && random() < SECOND_DEVICE) return { ...pick(random, onOneDevice).view, sessionId, userAgent: pick(random, USER_AGENTS) };
  const online = new Set(perUser.keys());
  const offline = PEOPLE.filter((name) => !online.has(slug(name)));
  const userAgent = pick(random, USER_AGENTS);
  const ipAddress = documentationIp(random);
  if (offline.length === 0 || random() < ANONYMOUS_SHARE) {
    return { sessionId, userId: `visitor-${Math.floor(random() * 16 ** 6).toString(16).padStart(6, '0')}`, userName: null, ipAddress, userAgent };
  }
  const name = pick(random, offline);
  return { sessionId, userId: slug(name), userName: name, ipAddress, userAgent };
}

function decide(random: Random, session: SimSession, nowMs: number, sessions: Map<string, SimSession>, views: PageView[], logouts: string[]): void {
  const roll = random();
  if (session.phase === 'idle') {
    if (roll < 0.5) browseOn(random, session, nowMs, views);
    // Gone without a word: the server ends the session after its idle timeout.
    else sessions.delete(session.view.sessionId);
    return;
  }
  const logOut = EXIT_PAGES.has(session.path) ? 0.35 : 0.03;
  if (roll < logOut) {
    sessions.delete(session.view.sessionId);
    logouts.push(session.view.sessionId);
  } else if (roll < logOut + GO_IDLE) {
    session.phase = 'idle';
    session.nextAt = nowMs + between(random, ...IDLE_MS);
  } else {
    browseOn(random, session, nowMs, views);
  }
}

function browseOn(random: Random, session: SimSession, nowMs: number, views: PageView[]): void {
  session.phase = 'browsing';
  session.path = nextPage(random, session.path);
  session.nextAt = nowMs + between(random, ...THINK_MS);
  views.push({ ...session.view, path: session.path });
}

/** "Kirsi Mäkinen" → "kirsi-makinen": ids stay ASCII. */
function slug(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-');
}
