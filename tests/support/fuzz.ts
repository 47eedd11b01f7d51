/** A seeded random source (mulberry32): the same seed gives the same run, so a failure reproduces. */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

/** Creates a {@link Random} from a 32-bit seed. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return { next, int, pick: (items) => items[int(items.length)] as (typeof items)[number], chance: (p) => next() < p };
}

const PUNCTUATION = [...'{}()[]:!$@.,="#\n\\ ', '...', '"""', 'on', 'fragment', 'query', 'subscription', 'mutation', '__typename', '\u0000', '\uD800', '😀'];
const ALPHABET = [...'abcxyzAZ_0123456789-'];

/** A random string: letters, punctuation, odd code points, sometimes long. */
export function randomString(random: Random, maxLength = 40): string {
  const length = random.chance(0.05) ? 200 + random.int(3000) : random.int(maxLength);
  let text = '';
  for (let i = 0; i < length; i++) text += random.chance(0.7) ? random.pick(ALPHABET) : random.pick(PUNCTUATION);
  return text;
}

/** A random JSON value, nested a few levels at most. */
export function randomJson(random: Random, depth = 0): unknown {
  const kinds = depth > 3 ? 6 : 8;
  switch (random.int(kinds)) {
    case 0:
      return null;
    case 1:
      return random.chance(0.5);
    case 2:
      return random.pick([0, -1, 1, 2 ** 31, -(2 ** 53), 1e308, -1e-308, 0.5, 101, 100, Number.MAX_SAFE_INTEGER]);
    case 3:
      return randomString(random);
    case 4:
      return random.pick(['2026-01-01T00:00:00Z', '2026-13-45T99:99:99Z', '1970-01-01T00:00:00+00:00', 'now', '', '::1', '999.1.1.1', '10.0.0.1']);
    case 5:
      return '/'.repeat(random.int(3000));
    case 6:
      return Array.from({ length: random.int(5) }, () => randomJson(random, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: random.int(5) }, () => [randomString(random, 12), randomJson(random, depth + 1)]));
  }
}

/** Applies 1 to 4 random edits (delete, insert, duplicate, truncate) to a document. */
export function mutateDocument(random: Random, source: string): string {
  let text = source;
  const edits = 1 + random.int(4);
  for (let i = 0; i < edits; i++) {
    const at = random.int(text.length + 1);
    switch (random.int(4)) {
      case 0:
        text = text.slice(0, at) + text.slice(at + 1 + random.int(8));
        break;
      case 1:
        text = text.slice(0, at) + random.pick(PUNCTUATION) + text.slice(at);
        break;
      case 2: {
        const length = random.int(30);
        text = text.slice(0, at) + text.slice(at, at + length).repeat(2) + text.slice(at + length);
        break;
      }
      default:
        text = text.slice(0, at);
    }
  }
  return text;
}

/** An activity input with some fields replaced by random values of any type, some left out, some added. */
export function randomActivityInput(random: Random): Record<string, unknown> {
  const input: Record<string, unknown> = {
    sessionId: `fz-s${random.int(50)}`,
    userId: `fz-u${random.int(20)}`,
    userName: 'Fuzz',
    ipAddress: '192.0.2.1',
    path: '/fuzz',
    userAgent: 'fuzz/1.0',
  };
  for (const key of Object.keys(input)) {
    if (random.chance(0.2)) input[key] = randomJson(random);
  }
  if (random.chance(0.2)) input.at = randomJson(random);
  if (random.chance(0.1)) input[randomString(random, 10)] = randomJson(random);
  // Some fields left out, required ones included.
  return Object.fromEntries(Object.entries(input).filter(() => !random.chance(0.05)));
}

/** Runs `task` for each item with at most `concurrency` in flight. */
export async function inPool<T>(items: readonly T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let nextIndex = 0;
  const worker = async (): Promise<void> => {
    while (nextIndex < items.length) await task(items[nextIndex++] as T);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}
