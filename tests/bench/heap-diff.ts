/** Reads two V8 heap snapshots and says what the objects between them cost, by kind. */
import { readFile } from 'node:fs/promises';

/** What one kind of heap object (its snapshot type and name) adds up to in one snapshot. */
interface Tally {
  count: number;
  bytes: number;
}

/** One line of a {@link diffSnapshots} report: a kind of object, and what it grew by per unit. */
export interface HeapGrowth {
  /** `type:name` as the snapshot tells them: `object:Member`, `closure:onAbort`, `string`, `hidden:system / Context`. */
  readonly kind: string;
  readonly countPerUnit: number;
  readonly bytesPerUnit: number;
}

/** The parts of V8's `.heapsnapshot` JSON that a tally reads. */
interface Snapshot {
  readonly snapshot: { readonly meta: { readonly node_fields: string[]; readonly node_types: [string[], ...unknown[]] } };
  readonly nodes: number[];
  readonly strings: string[];
}

/**
 * Names that differ per instance (each string's text, each number) are
 * folded into their type, so that ten thousand strings are one line.
 */
const FOLDED_TYPES: ReadonlySet<string> = new Set(['string', 'concatenated string', 'sliced string', 'number', 'heap number', 'bigint', 'symbol']);

/** Self sizes and counts per kind of live object in one snapshot (V8 collects garbage before writing it). */
export async function tallySnapshot(path: string): Promise<Map<string, Tally>> {
  const data = JSON.parse(await readFile(path, 'utf8')) as Snapshot;
  const fields = data.snapshot.meta.node_fields;
  const types = data.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((field) => fields.indexOf(field)) as [number, number, number];
  const tallies = new Map<string, Tally>();
  for (let i = 0; i < data.nodes.length; i += fields.length) {
    const type = types[data.nodes[i + typeAt] as number] as string;
    const kind = FOLDED_TYPES.has(type) ? type : `${type}:${(data.strings[data.nodes[i + nameAt] as number] ?? '').slice(0, 60)}`;
    const tally = tallies.get(kind) ?? { count: 0, bytes: 0 };
    tally.count += 1;
    tally.bytes += data.nodes[i + sizeAt] as number;
    tallies.set(kind, tally);
  }
  return tallies;
}

/**
 * What grew from `before` to `after`, per `units` (e.g. per subscription
 * opened in between), largest first; kinds that grew by less than
 * `minBytesPerUnit` are left out.
 */
export function diffSnapshots(before: Map<string, Tally>, after: Map<string, Tally>, units: number, minBytesPerUnit = 8): HeapGrowth[] {
  const growth: HeapGrowth[] = [];
  for (const [kind, { count, bytes }] of after) {
    const was = before.get(kind) ?? { count: 0, bytes: 0 };
    const bytesPerUnit = (bytes - was.bytes) / units;
    if (Math.abs(bytesPerUnit) >= minBytesPerUnit) growth.push({ kind, countPerUnit: (count - was.count) / units, bytesPerUnit });
  }
  return growth.sort((a, b) => b.bytesPerUnit - a.bytesPerUnit);
}

/** Total self size of every live object, in bytes. */
export function totalBytes(tallies: Map<string, Tally>): number {
  let total = 0;
  for (const { bytes } of tallies.values()) total += bytes;
  return total;
}
