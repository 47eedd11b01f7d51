import { describe, expect, it } from 'vitest';
import type { PathCount } from '../../server/domain/activity.js';
import { coalesced } from '../../server/store/coalesce.js';
import { assemblePage, planPage } from '../../server/store/merge-pages.js';
import { DEEPEN, firstDepth, mergeTopPaths, WHOLE_PATH_SET, type PathList, type PathSource } from '../../server/store/merge-stats.js';
import { compareMembers, encodePageCursor, type PagePosition } from '../../server/store/paging.js';

/**
 * What the partitioned reads cost (issue 12: "reads merge partitions at
 * bounded cost"), on in-process partitions that count what the merge asks
 * for: the topPaths merge on even spreads and on its worst case, the
 * two-phase page plan, and the sharing of concurrent `stats` merges. The
 * merged results against one store are checked on real engines in
 * ./partitioned-reads.test.ts.
 */

const byTotal = (a: PathCount, b: PathCount): number => b.sessions - a.sessions || compareMembers(a.path, b.path);

/** One partition's path counts, answering as the Lua does, and counting calls and entries. */
class FakePartition implements PathSource {
  listCalls = 0;
  scoreCalls = 0;
  entriesRead = 0;
  scored = 0;
  constructor(readonly counts: Map<string, number>) {}

  read(depth: number): PathList {
    const sorted = [...this.counts].map(([path, sessions]) => ({ path, sessions })).sort(byTotal);
    const complete = sorted.length <= WHOLE_PATH_SET || sorted.length <= depth;
    const paths = complete ? sorted : sorted.slice(0, depth);
    this.entriesRead += paths.length;
    return { complete, paths };
  }

  async pathList(depth: number): Promise<PathList> {
    this.listCalls++;
    return this.read(depth);
  }

  async pathScores(paths: readonly string[]): Promise<number[]> {
    this.scoreCalls++;
    this.scored += paths.length;
    return paths.map((path) => this.counts.get(path) ?? 0);
  }
}

/** What one store holding every partition's sessions lists. */
function expectedTop(parts: readonly FakePartition[], limit: number): PathCount[] {
  const totals = new Map<string, number>();
  for (const part of parts) for (const [path, n] of part.counts) totals.set(path, (totals.get(path) ?? 0) + n);
  return [...totals].map(([path, sessions]) => ({ path, sessions })).sort(byTotal).slice(0, limit);
}

/** The merge as `stats` runs it: each partition's first list read with its figures, then deeper rounds. */
async function merge(parts: readonly FakePartition[], limit: number): Promise<PathCount[]> {
  return mergeTopPaths(parts, parts.map((part) => part.read(firstDepth(limit))), limit);
}

/** A seeded generator, so a failing spread can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** `sessions` sessions on `paths` paths (path n gets sessions n, n + paths, …), each placed in a partition at random: the probe's even spread. */
function evenSpread(partitions: number, paths: number, sessions: number, seed = 1): FakePartition[] {
  const next = random(seed);
  const parts = Array.from({ length: partitions }, () => new Map<string, number>());
  for (let n = 0; n < sessions; n++) {
    const part = parts[Math.floor(next() * partitions)] as Map<string, number>;
    const path = `/p/${n % paths}`;
    part.set(path, (part.get(path) ?? 0) + 1);
  }
  return parts.map((counts) => new FakePartition(counts));
}

describe('topPaths merge cost', () => {
  it('reads an even spread of small path sets whole, in the first round only (the probe: 18 partitions, 1000 paths, 50k sessions)', async () => {
    const parts = evenSpread(18, 1_000, 50_000);
    for (const limit of [1, 10, 50]) expect(await merge(parts, limit)).toEqual(expectedTop(parts, limit));
    expect(parts.map((part) => part.listCalls + part.scoreCalls)).toEqual(parts.map(() => 0));
  });

  it('merges an even spread of large path sets exactly, within the stated rounds and entries', async () => {
    // 3000 paths per partition (over WHOLE_PATH_SET): no early bound settles; every total ties near 6.
    const parts = evenSpread(6, 3_000, 108_000, 7);
    const limit = 10;
    expect(await merge(parts, limit)).toEqual(expectedTop(parts, limit));
    for (const part of parts) {
      const n = part.counts.size;
      expect(part.listCalls).toBeLessThanOrEqual(Math.ceil(Math.log(n / firstDepth(limit)) / Math.log(DEEPEN)));
      expect(part.entriesRead).toBeLessThan(2.5 * n);
      expect(part.scoreCalls).toBeLessThanOrEqual(part.listCalls + 1);
      expect(part.scored).toBeLessThanOrEqual((part.listCalls + 1) * n);
    }
  });

  it('worst case: disjoint paths of equal counts, so only reading every list through settles it', async () => {
    // 8 partitions of 5000 paths of their own, one session each: every total is 1, and the bound on unseen paths
    // (the sum of the open lists' last counts, 8) stays above it until every list ends.
    const parts = Array.from({ length: 8 }, (_, p) => new FakePartition(new Map(Array.from({ length: 5_000 }, (_, i) => [`/w/${p}/${String(i).padStart(4, '0')}`, 1]))));
    const limit = 50;
    const top = await merge(parts, limit);
    expect(top).toEqual(expectedTop(parts, limit));
    for (const part of parts) {
      // The stated bound (merge-stats.ts): 1 + ⌈log₄(n / firstDepth)⌉ reads, fewer than 2.5 n entries, one score
      // call per deeper round, each path scored once in each partition that had not listed it.
      expect(part.listCalls).toBe(Math.ceil(Math.log(5_000 / firstDepth(limit)) / Math.log(DEEPEN)));
      expect(part.entriesRead).toBeLessThan(2.5 * 5_000);
      expect(part.scoreCalls).toBeLessThanOrEqual(part.listCalls + 1);
      expect(part.scored).toBeLessThan(7 * 5_000);
    }
  });

  it('finds a path in no partition’s first list, and scores only the paths that can still reach the top', async () => {
    // Each partition: 2000 own paths of 5 sessions, and /hidden with 4: /hidden (4 × 10) is the global first.
    const parts = Array.from({ length: 10 }, (_, p) => {
      const counts = new Map<string, number>(Array.from({ length: 2_000 }, (_, i) => [`/own/${p}/${i}`, 5] as const));
      counts.set('/hidden', 4);
      return new FakePartition(counts);
    });
    expect(await merge(parts, 3)).toEqual(expectedTop(parts, 3));
    expect((await merge(parts, 1))[0]).toEqual({ path: '/hidden', sessions: 40 });
  });

  it('matches one store on random spreads, skewed and flat, small and large', async () => {
    for (let seed = 1; seed <= 30; seed++) {
      const next = random(seed);
      const partitions = 2 + Math.floor(next() * 10);
      const pathCount = [20, 300, 1_500, 2_500][seed % 4] as number;
      const skew = next() * 3;
      const parts = Array.from({ length: partitions }, () => new Map<string, number>());
      for (let n = 0; n < pathCount * 4; n++) {
        const path = `/r/${Math.floor(pathCount * next() ** (1 + skew))}`;
        const part = parts[Math.floor(next() * partitions)] as Map<string, number>;
        part.set(path, (part.get(path) ?? 0) + 1);
      }
      const fakes = parts.map((counts) => new FakePartition(counts));
      for (const limit of [1, 7, 50]) expect(await merge(fakes, limit)).toEqual(expectedTop(fakes, limit));
    }
  });
});

describe('two-phase page plan', () => {
  const at = (lastSeen: number, userId: string): PagePosition => ({ lastSeen, userId });
  const edge = (p: PagePosition) => ({ cursor: encodePageCursor(p), node: { id: p.userId, name: null, lastSeen: p.lastSeen, sessionCount: 1, sessions: [] } });

  it('asks each partition for its share of the page only, and knows exactly whether a next page exists', () => {
    const keys = [[at(9, 'a'), at(5, 'b'), at(1, 'c')], [at(9, 'b'), at(7, 'x')], []];
    expect(planPage(keys, 3)).toEqual({ counts: [1, 2, 0], hasNextPage: true, cut: at(7, 'x') });
    expect(planPage(keys, 5)).toEqual({ counts: [3, 2, 0], hasNextPage: false, cut: at(1, 'c') });
    expect(planPage([[], []], 4)).toEqual({ counts: [0, 0], hasNextPage: false, cut: null });
  });

  it('leaves a user who moved below the cut between the phases to the next page, which starts at the cut', () => {
    const plan = planPage([[at(9, 'a'), at(5, 'b')], [at(7, 'x'), at(2, 'y')]], 2);
    // Between the phases, partition 0's `a` fell to 3: its page now holds `b`, below the cut (7, x).
    const page = assemblePage(
      [
        { edges: [edge(at(5, 'b'))], hasNextPage: true, endCursor: null },
        { edges: [edge(at(7, 'x'))], hasNextPage: true, endCursor: null },
      ],
      plan,
    );
    expect(page.edges.map((e) => e.node.id)).toEqual(['x']);
    expect(page).toMatchObject({ hasNextPage: true, endCursor: encodePageCursor(at(7, 'x')) });
  });
});

describe('coalesced stats', () => {
  it('serves calls made during a read with one read started after them, at the latest `now` among them', async () => {
    const started: number[] = [];
    const releases: (() => void)[] = [];
    const read = coalesced(async (limit: number, now: number) => {
      started.push(now);
      await new Promise<void>((resolve) => releases.push(resolve));
      return { limit, now };
    });
    const first = read(10, 1);
    const joined = [read(10, 2), read(10, 4), read(10, 3)];
    const other = read(5, 9);
    expect(started).toEqual([1, 9]);
    releases.shift()?.();
    expect(await first).toEqual({ limit: 10, now: 1 });
    await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([1, 9, 4]);
    releases.forEach((release) => release());
    expect(await Promise.all(joined)).toEqual([{ limit: 10, now: 4 }, { limit: 10, now: 4 }, { limit: 10, now: 4 }]);
    expect(await other).toEqual({ limit: 5, now: 9 });
  });

  it('fails every call a failed read serves, and starts afresh afterwards', async () => {
    let calls = 0;
    const read = coalesced(async (_limit: number, now: number) => {
      calls++;
      if (calls === 1) throw new Error('down');
      return now;
    });
    const failing = read(1, 1);
    const next = read(1, 2);
    await expect(failing).rejects.toThrow('down');
    expect(await next).toBe(2);
    expect(await read(1, 3)).toBe(3);
    expect(calls).toBe(3);
  });
});
