/**
 * What simulated visitors are made of: people, the site they browse (a
 * product with docs, a blog and a checkout), addresses from the ranges
 * reserved for documentation, and the browsers they use.
 */

/** A source of uniform numbers in [0, 1), such as `Math.random`. */
export type Random = () => number;

/** Named visitors; a share of visitors is anonymous (see {@link ANONYMOUS_SHARE}). */
export const PEOPLE: readonly string[] = [
  'Ada Okafor',
  'Bruno Silva',
  'Chen Wei',
  'Dana Kowalski',
  'Elif Demir',
  'Farah Haddad',
  'Gustav Lind',
  'Hana Sato',
  'Ivan Petrov',
  'Jamal Reed',
  'Kirsi Mäkinen',
  'Luca Romano',
  'Maya Cohen',
  'Nikhil Rao',
  'Olivia Brown',
  'Pablo García',
  'Quinn Taylor',
  'Rosa Jiménez',
  'Sven Berg',
  'Tara Singh',
  'Uma Nair',
  'Victor Dubois',
  'Wen Li',
  'Yusuf Kaya',
];

/** Share of new visitors that are not signed in: their user id is a visitor id and they have no name. */
export const ANONYMOUS_SHARE = 0.2;

/** Where visits start, with weights. */
export const LANDING_PAGES: readonly (readonly [string, number])[] = [
  ['/', 5],
  ['/pricing', 2],
  ['/docs', 2],
  ['/docs/getting-started', 1],
  ['/blog/graphql-over-sse', 2],
  ['/blog/counting-sessions-with-lua', 1],
];

/** Where a visitor goes next from each page, with weights: a funnel from the home page to checkout, and reading paths through docs and blog. */
export const NEXT_PAGES: Readonly<Record<string, readonly (readonly [string, number])[]>> = {
  '/': [['/pricing', 3], ['/features', 3], ['/docs', 2], ['/blog', 2], ['/signup', 1]],
  '/features': [['/pricing', 4], ['/docs', 2], ['/', 1], ['/signup', 1]],
  '/pricing': [['/checkout', 3], ['/signup', 2], ['/features', 1], ['/docs', 1], ['/', 1]],
  '/signup': [['/checkout', 2], ['/docs/getting-started', 2], ['/account', 1]],
  '/checkout': [['/checkout/payment', 4], ['/pricing', 1]],
  '/checkout/payment': [['/checkout/complete', 3], ['/checkout', 1]],
  '/checkout/complete': [['/account', 2], ['/docs/getting-started', 2]],
  '/account': [['/account/billing', 1], ['/docs', 1], ['/', 1]],
  '/account/billing': [['/account', 1], ['/pricing', 1]],
  '/docs': [['/docs/getting-started', 3], ['/docs/api/queries', 2], ['/docs/api/subscriptions', 2], ['/docs/guides/redis', 1]],
  '/docs/getting-started': [['/docs/api/queries', 2], ['/docs/api/subscriptions', 2], ['/pricing', 1]],
  '/docs/api/queries': [['/docs/api/subscriptions', 2], ['/docs/api/mutations', 2], ['/docs', 1]],
  '/docs/api/mutations': [['/docs/api/queries', 1], ['/docs/guides/redis', 1]],
  '/docs/api/subscriptions': [['/docs/guides/reconnecting', 2], ['/docs/api/queries', 1], ['/pricing', 1]],
  '/docs/guides/redis': [['/docs', 1], ['/pricing', 1]],
  '/docs/guides/reconnecting': [['/docs', 1], ['/blog/graphql-over-sse', 1]],
  '/blog': [['/blog/graphql-over-sse', 2], ['/blog/counting-sessions-with-lua', 2], ['/blog/launch-week', 1]],
  '/blog/graphql-over-sse': [['/blog', 1], ['/docs/api/subscriptions', 1], ['/pricing', 1]],
  '/blog/counting-sessions-with-lua': [['/blog', 1], ['/docs/guides/redis', 1], ['/', 1]],
  '/blog/launch-week': [['/pricing', 2], ['/blog', 1]],
};

/** Pages after which people tend to log out. */
export const EXIT_PAGES: ReadonlySet<string> = new Set(['/checkout/complete', '/account', '/account/billing']);

/** Browsers, as their `User-Agent` headers read. */
export const USER_AGENTS: readonly string[] = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
];

/** One of `items`, uniformly. */
export function pick<T>(random: Random, items: readonly T[]): T {
  const item = items[Math.min(items.length - 1, Math.floor(random() * items.length))];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

/** One of `choices`, in proportion to its weight. */
export function pickWeighted<T>(random: Random, choices: readonly (readonly [T, number])[]): T {
  const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
  let left = random() * total;
  for (const [choice, weight] of choices) {
    left -= weight;
    if (left < 0) return choice;
  }
  return pick(random, choices)[0];
}

/** A whole number from `min` to `max`, both included. */
export function between(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/**
 * An address from the blocks reserved for documentation (RFC 5737, RFC
 * 3849), so the demo never shows a real person's address; one in five is IPv6.
 */
export function documentationIp(random: Random): string {
  if (random() < 0.2) return `2001:db8:${between(random, 1, 0xfff).toString(16)}::${between(random, 1, 0xffff).toString(16)}`;
  const block = pick(random, ['192.0.2', '198.51.100', '203.0.113']);
  return `${block}.${between(random, 1, 254)}`;
}

/** The next page after `path`. */
export function nextPage(random: Random, path: string): string {
  return pickWeighted(random, NEXT_PAGES[path] ?? [['/', 1]]);
}
