import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DOC = readFileSync(join(ROOT, 'docs/ARCHITECTURE.md'), 'utf8');

/** A part of `server/` as docs/ARCHITECTURE.md's table names it. */
interface Part {
  readonly name: string;
  /** `server/store/`, or a file such as `server/main.ts`. */
  readonly path: string;
  /** Parts it may import; null for "every part". */
  readonly mayImport: ReadonlySet<string> | null;
}

/** The rows of the "Parts of `server/`" table. */
function documentedParts(): Part[] {
  const section = DOC.split('## Parts of `server/`')[1]?.split('\n## ')[0] ?? '';
  return section
    .split('\n')
    .filter((line) => /^\| \w/.test(line) && !line.startsWith('| Part'))
    .map((line) => {
      const [name = '', path = '', , imports = ''] = line.split('|').slice(1).map((cell) => cell.trim());
      const mayImport = imports === 'every part' ? null : new Set(imports.startsWith('(') ? [] : imports.split(',').map((p) => p.trim()));
      return { name, path: path.replaceAll('`', ''), mayImport };
    });
}

/** The part a file belongs to: the one whose path is the longest prefix of it. */
function partOf(parts: readonly Part[], file: string): Part | undefined {
  return parts.filter((part) => file === part.path || (part.path.endsWith('/') && file.startsWith(part.path))).sort((a, b) => b.path.length - a.path.length)[0];
}

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (path.endsWith('.ts')) yield path;
  }
}

/** Every relative import (static, type-only, re-export or dynamic) of a file, as repository paths. */
function importsOf(file: string): string[] {
  const source = readFileSync(join(ROOT, file), 'utf8');
  const specifiers = [...source.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((match) => match[1] ?? '');
  return specifiers.map((specifier) => relative(ROOT, normalize(join(ROOT, dirname(file), specifier))).replace(/\.js$/, '.ts'));
}

/** Part → parts it imports, from the code. */
function actualEdges(parts: readonly Part[]): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  for (const file of sourceFiles('server')) {
    const from = partOf(parts, file);
    expect(from, `${file} belongs to no part of docs/ARCHITECTURE.md`).toBeDefined();
    for (const target of importsOf(file)) {
      const to = target.startsWith('server/') ? partOf(parts, target) : undefined;
      if (!from || !to || to === from) continue;
      edges.set(from.name, (edges.get(from.name) ?? new Set()).add(to.name));
    }
  }
  return edges;
}

function findCycle(edges: ReadonlyMap<string, ReadonlySet<string>>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const visit = (node: string, path: string[]): string[] | null => {
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    if (state.get(node) === 'done') return null;
    state.set(node, 'open');
    for (const next of edges.get(node) ?? []) {
      const cycle = visit(next, [...path, node]);
      if (cycle) return cycle;
    }
    state.set(node, 'done');
    return null;
  };
  for (const node of edges.keys()) {
    const cycle = visit(node, []);
    if (cycle) return cycle;
  }
  return null;
}

describe('docs/ARCHITECTURE.md is true of the code', () => {
  const parts = documentedParts();
  const edges = actualEdges(parts);

  it('names every part of server/, with a path that exists', () => {
    expect(parts.length).toBeGreaterThan(10);
    const files = [...sourceFiles('server')];
    for (const part of parts) expect(files.some((file) => file === part.path || file.startsWith(part.path)), part.path).toBe(true);
  });

  it('lets each part import only what its row allows', () => {
    const forbidden = [...edges].flatMap(([from, targets]) => {
      const allowed = parts.find((part) => part.name === from)?.mayImport;
      return allowed === null ? [] : [...targets].filter((to) => !allowed?.has(to)).map((to) => `${from} → ${to}`);
    });
    expect(forbidden).toEqual([]);
  });

  it('has no import cycle between parts', () => {
    expect(findCycle(edges)).toBeNull();
  });
});
