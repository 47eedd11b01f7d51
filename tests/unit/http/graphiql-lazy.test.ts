import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const PROBE = fileURLToPath(new URL('./graphiql-heap-probe.ts', import.meta.url));
const MB = 1024 * 1024;

interface HeapSteps {
  readonly imported: number;
  readonly created: number;
  readonly rendered: number;
  readonly pageBytes: number;
}

function probe(): Promise<HeapSteps> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', '--import', 'tsx', PROBE], { cwd: ROOT }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as HeapSteps);
    });
  });
}

describe('GraphiQL', () => {
  it('holds its renderer (about 30 MB of heap) only once the page has been asked for', async () => {
    const { imported, created, rendered, pageBytes } = await probe();
    expect(pageBytes).toBeGreaterThan(5 * MB);
    expect(created - imported).toBeLessThan(2 * MB);
    // Before the first render the heap holds tsx and a few small modules
    // (about 5 MB); imported eagerly, the renderer's strings (over 30 MB)
    // would be there already, more than the render then adds (about 18 MB).
    expect(created).toBeLessThan(rendered - created);
  });
});
