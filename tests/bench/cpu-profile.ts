/** Reads a V8 `.cpuprofile` and says where the time went: by function, and by where the code comes from. */
import { readFile } from 'node:fs/promises';

/** The parts of a `.cpuprofile` that a summary reads. */
interface Profile {
  readonly nodes: ReadonlyArray<{ readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number } }>;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Time spent in one function itself (not in what it called). */
export interface SelfTime {
  /** `name (file:line)`, the file relative to `node_modules/` or the checkout. */
  readonly where: string;
  readonly ms: number;
  readonly share: number;
}

/** Where a function's code comes from, judged by its file: Pulse, a library (by package), Node itself, or V8's own work. */
export function originOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg?.[1]) return pkg[1];
  if (url.startsWith('node:')) return 'node';
  if (/\/(server|dist\/server)\//.test(url)) return 'pulse';
  return 'other';
}

function shortUrl(url: string): string {
  const inModules = url.lastIndexOf('node_modules/');
  if (inModules >= 0) return url.slice(inModules + 'node_modules/'.length);
  const inServer = url.search(/\/(dist\/)?server\//);
  return inServer >= 0 ? url.slice(inServer + 1) : url;
}

/**
 * Self time per function and per origin over a whole profile, largest
 * first, functions cut to the `top` largest.
 */
export async function summariseProfile(path: string, top = 25): Promise<{ totalMs: number; functions: SelfTime[]; origins: SelfTime[] }> {
  const profile = JSON.parse(await readFile(path, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const perFunction = new Map<string, number>();
  const perOrigin = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id);
    const us = profile.timeDeltas[i] ?? 0;
    if (frame === undefined) return;
    total += us;
    const where = `${frame.functionName || '(anonymous)'} (${shortUrl(frame.url)}:${frame.lineNumber + 1})`;
    perFunction.set(where, (perFunction.get(where) ?? 0) + us);
    const origin = originOf(frame.url, frame.functionName);
    perOrigin.set(origin, (perOrigin.get(origin) ?? 0) + us);
  });
  const ranked = (times: Map<string, number>): SelfTime[] =>
    [...times].map(([where, us]) => ({ where, ms: us / 1000, share: total === 0 ? 0 : us / total })).sort((a, b) => b.ms - a.ms);
  return { totalMs: total / 1000, functions: ranked(perFunction).slice(0, top), origins: ranked(perOrigin) };
}
