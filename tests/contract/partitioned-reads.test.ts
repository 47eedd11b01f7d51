import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ActiveUsersPage, ActivityFilter, ActivityRecordInput } from '../../server/domain/activity.js';
import { partitionOfUser } from '../../server/redis/partitions.js';
import type { ActivityStore } from '../../server/store/types.js';
import { userIn } from '../support/partition-users.js';
import { memoryEngine, storeEngines, type StoreEngine } from '../support/store-engines.js';

/**
 * Reads merged across partitions (issue 12, item 2): `activeUsers` pages,
 * `stats` and `topPaths`, and snapshots, on several partitions of one Redis
 * and of a real Redis Cluster, each compared with a memory store (one
 * partition) that received the same events: the merge must answer what one
 * store holding everyone answers.
 */

const T0 = 1_700_000_000_123;
const NOW = T0 + 10_000;

function event(sessionId: string, userId: string, at: number, path: string | null = null): ActivityRecordInput {
  return { sessionId, userId, userName: `name of ${userId}`, ipAddress: null, path, userAgent: null, at };
}

/** Every page of a listing, following `endCursor` while `hasNextPage`. */
async function allPages(store: ActivityStore, first: number, filter?: ActivityFilter): Promise<ActiveUsersPage[]> {
  const pages: ActiveUsersPage[] = [];
  for (let after: string | null = null; ; ) {
    const page = await store.activeUsers({ first, after, filter, sessionsPerUser: 3 });
    pages.push(page);
    if (!page.hasNextPage) return pages;
    after = page.endCursor;
  }
}

const partitioned = storeEngines().filter((engine) => engine.partitions > 1);

describe.each(partitioned)('reads merged across partitions: $engine', ({ make, partitions }) => {
  let e: StoreEngine;
  let reference: StoreEngine;
  let both: (inputs: ActivityRecordInput[]) => Promise<void>;

  beforeEach(async () => {
    [e, reference] = await Promise.all([make({ label: 'partitioned-reads' }), memoryEngine()]);
    both = async (inputs) => {
      await Promise.all([e.store.record(inputs, NOW), reference.store.record(inputs, NOW)]);
    };
  });
  afterEach(async () => {
    await Promise.all([e.close(), reference.close()]);
  });

  /**
   * 60 users over every partition, lastSeen in 12 values (so five users tie
   * on each, in several partitions), one to three sessions each, on paths
   * /docs/… or /home.
   */
  async function crowd(): Promise<void> {
    const inputs = Array.from({ length: 60 }, (_, i) => {
      const user = `user-${String(i).padStart(2, '0')}`;
      return Array.from({ length: 1 + (i % 3) }, (_, s) => event(`${user}-s${s}`, user, T0 + (i % 12) * 10 + s, s === 1 ? '/home' : `/docs/${i % 7}`));
    });
    await both(inputs.flat());
    const used = new Set(inputs.flat().map((input) => partitionOfUser(input.userId, partitions)));
    expect(used.size).toBe(partitions);
  }

  it.each([1, 4, 7, 60, 100])('pages by (lastSeen, userId) exactly as one store, ties across partitions included (first %i)', async (first) => {
    await crowd();
    expect(await allPages(e.store, first)).toEqual(await allPages(reference.store, first));
  });

  it('pages a pathPrefix and a userId filter as one store', async () => {
    await crowd();
    // Under a path filter a page's endCursor may name a position past its last user (one store: the last user it
    // examined; merged: the last user listed); both resume at the same next page, so only what pages hold is compared.
    const holding = (pages: ActiveUsersPage[]): unknown[] => pages.map(({ edges, hasNextPage }) => ({ edges, hasNextPage }));
    for (const pathPrefix of ['/docs/3', '/home', '/docs/']) {
      expect(holding(await allPages(e.store, 5, { pathPrefix }))).toEqual(holding(await allPages(reference.store, 5, { pathPrefix })));
    }
    for (const userId of ['user-07', 'user-42', 'nobody']) {
      expect(await allPages(e.store, 5, { userId })).toEqual(await allPages(reference.store, 5, { userId }));
    }
    const { endCursor } = await e.store.activeUsers({ first: 9 });
    expect(await e.store.activeUsers({ first: 9, after: endCursor })).toEqual(await reference.store.activeUsers({ first: 9, after: endCursor }));
  });

  it('resumes a pathPrefix listing where a partition stopped at its scan bound, skipping no match', async () => {
    // Partition 0 alone holds 1100 users on /common (over the bound of 1000 it may examine per page); rare users sit
    // below them in partition 0 and among them in the others.
    const busy = Array.from({ length: 1_100 }, (_, i) => {
      const user = userIn(0, `busy-${String(i).padStart(4, '0')}`, partitions);
      return event(`${user}-s`, user, T0 + 2_000 + i, '/common');
    });
    const rare = Array.from({ length: partitions * 2 }, (_, i) => {
      const user = userIn(i % partitions, `rare-${i}`, partitions);
      return event(`${user}-s`, user, T0 + (i % 2 === 0 ? 500 : 2_500) + i, '/rare');
    });
    await e.store.record([...busy, ...rare], NOW);
    // A page room for every rare user: only partition 0's bound can cut the first one short.
    const pages = await allPages(e.store, 20, { pathPrefix: '/rare' });
    const listed = pages.flatMap((page) => page.edges.map((edge) => edge.node.id));
    const expected = [...rare].sort((a, b) => b.at - a.at).map((input) => input.userId);
    expect(listed).toEqual(expected);
    // The first page lists only what lies above partition 0's last examined user, and says there is more.
    expect(pages[0]?.edges.length).toBeLessThan(expected.length);
    expect(pages[0]?.hasNextPage).toBe(true);
  });

  it('sums the figures, element-wise per minute, as one store', async () => {
    await crowd();
    await both([event('late', 'user-late', T0, '/docs/1')]);
    await Promise.all([e.store.record([event('user-03-s0', 'user-03', T0 + 999)], NOW + 61_000), reference.store.record([event('user-03-s0', 'user-03', T0 + 999)], NOW + 61_000)]);
    for (const [now, limit] of [[NOW, 3], [NOW + 61_000, 10], [NOW + 120_000, 0]] as const) {
      expect(await e.store.stats(now, limit)).toEqual(await reference.store.stats(now, limit));
    }
  });

  it('merges topPaths exactly: a path in no partition’s top k is still the global first', async () => {
    // Each partition: its own two paths with 10 and 9 sessions, and /everywhere with 8: top 2 per partition never names
    // /everywhere, whose total (8 per partition) beats every other path.
    const inputs: ActivityRecordInput[] = [];
    for (let p = 0; p < partitions; p++) {
      const counts: [string, number][] = [[`/own-${p}-a`, 10], [`/own-${p}-b`, 9], ['/everywhere', 8]];
      for (const [path, count] of counts) {
        for (let i = 0; i < count; i++) {
          const user = userIn(p, `u-${p}-${path}-${i}`, partitions);
          inputs.push(event(`${user}-s`, user, T0 + i, path));
        }
      }
    }
    await both(inputs);
    for (const limit of [1, 2, 3, partitions, 2 * partitions + 1, 100]) {
      const expected = (await reference.store.stats(NOW, limit)).topPaths;
      expect((await e.store.stats(NOW, limit)).topPaths).toEqual(expected);
    }
    expect((await e.store.stats(NOW, 1)).topPaths).toEqual([{ path: '/everywhere', sessions: 8 * partitions }]);
  });

  it('orders tied totals by path, as one store, when the tie runs past every partition’s top k', async () => {
    // Many paths of one session each, spread over the partitions: every total ties, the names decide.
    const inputs = Array.from({ length: 40 }, (_, i) => {
      const user = `tie-user-${i}`;
      return event(`${user}-s`, user, T0 + i, `/tie/${String((i * 7) % 40).padStart(2, '0')}`);
    });
    inputs.push(...[3, 5].map((n) => event(`dup-${n}`, `dup-user-${n}`, T0, `/tie/${String(n * 7).padStart(2, '0')}`)));
    await both(inputs);
    for (const limit of [1, 2, 5, 13, 50]) expect((await e.store.stats(NOW, limit)).topPaths).toEqual((await reference.store.stats(NOW, limit)).topPaths);
  });

  it('merges topPaths exactly when paths spread evenly over partitions, small sets and sets read deeper', async () => {
    // The probe's shape, smaller: path n % paths for session n, users spread over every partition. 2000 paths of 3
    // sessions leave more than WHOLE_PATH_SET paths in a partition of three, so that merge reads deeper; 300 paths
    // of 5 sessions are read whole with the figures. Every total ties, the names decide.
    for (const [paths, sessions] of [[300, 1_500], [2_000, 6_000]] as const) {
      const inputs = Array.from({ length: sessions }, (_, n) => event(`even-${paths}-${n}`, `even-user-${paths}-${n}`, T0 + (n % 50), `/even/${paths}/${n % paths}`));
      for (let from = 0; from < inputs.length; from += 1_000) await both(inputs.slice(from, from + 1_000));
      for (const limit of [1, 10, 50]) expect((await e.store.stats(NOW, limit)).topPaths).toEqual((await reference.store.stats(NOW, limit)).topPaths);
      // A snapshot starts from each partition's top k only, and deepens from there.
      expect((await e.store.snapshot({ first: 1 }, NOW, 10)).stats).toEqual((await reference.store.snapshot({ first: 1 }, NOW, 10)).stats);
    }
  });

  it('shares concurrent stats merges, each answer from a read started no earlier than its call', async () => {
    await crowd();
    const first = e.store.stats(NOW, 5);
    // Recorded after the first call began: the calls below must see it.
    await e.store.record([event('late-s', 'late-user', T0 + 5_000, '/late')], NOW);
    await reference.store.record([event('late-s', 'late-user', T0 + 5_000, '/late')], NOW);
    const [a, b] = await Promise.all([e.store.stats(NOW, 5), e.store.stats(NOW, 5), first]);
    const expected = await reference.store.stats(NOW, 5);
    expect(a).toEqual(expected);
    expect(b).toEqual(expected);
  });

  it('snapshots every partition: merged page and stats, a cursor per partition', async () => {
    await crowd();
    const snapshot = await e.store.snapshot({ first: 8, sessionsPerUser: 3 }, NOW, 4);
    const expected = await reference.store.snapshot({ first: 8, sessionsPerUser: 3 }, NOW, 4);
    expect([snapshot.page, snapshot.stats]).toEqual([expected.page, expected.stats]);
    expect(snapshot.cursor).toHaveLength(partitions);
    expect(snapshot.cursor.reduce((sum, cursor) => sum + cursor, 0)).toBe(expected.cursor[0]);
    expect(snapshot.epoch).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect((await e.peer.snapshot({ first: 1 }, NOW, 1)).epoch).toBe(snapshot.epoch);
  });
});
