// Imports go down the layers: the package entries (index.ts, node.ts) → cli → the families written
// on the public API (families/) → the public API (api.ts) → train → sparse / optim / data / io →
// models → nn → ops and the tape → tensor, CSR matrix → backend, config declarations → kernels,
// never up, and no source file takes part in an import cycle (type-only imports excepted: they
// vanish at run time).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ROOT, sources } from './helpers/sources.js';

const SRC = join(ROOT, 'src/');


/** file → the source files it imports at run time (relative imports, type-only ones left out). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of sources(SRC)) {
    const deps: string[] = [];
    for (const m of readFileSync(f, 'utf8').matchAll(/^(?:(import|export)\s+(type\s+)?[^;]*?from\s+|import\s+)'(\.[^']+)'/gms)) {
      if (m[2]) continue;
      deps.push(resolve(dirname(f), m[3]!.replace(/\.js$/, '.ts')));
    }
    graph.set(resolve(f), deps);
  }
  return graph;
}

/** Layer rank of a source file: higher layers may import lower ones only. */
function layer(file: string): number {
  const r = relative(SRC, file).replace(/\\/g, '/');
  const top = r.split('/')[0]!;
  const ranks: Record<string, number> = {
    backend: 0, 'random.ts': 0, 'generated': 0, config: 0, 'tensor.ts': 1, 'csr.ts': 2, autograd: 3, ops: 4, nn: 5, models: 6,
    sparse: 7, optim: 7, data: 7, io: 7, train: 8, 'api.ts': 9, families: 10, cli: 11, 'index.ts': 12, 'node.ts': 12,
  };
  const rank = ranks[top];
  if (rank === undefined) throw new Error(`layers.test: no layer for ${r}`);
  return rank;
}

test('no source file imports from a layer above its own', () => {
  const up: string[] = [];
  for (const [f, deps] of importGraph()) {
    for (const d of deps) if (layer(d) > layer(f)) up.push(`${relative(SRC, f)} → ${relative(SRC, d)}`);
  }
  assert.equal(up, []);
});

test('no import cycles among the sources (tensor.ts no longer imports the autodiff engine)', () => {
  const graph = importGraph();
  const state = new Map<string, 1 | 2>();
  const cycles: string[] = [];
  const visit = (u: string, path: string[]) => {
    state.set(u, 1);
    for (const v of graph.get(u) ?? []) {
      if (!graph.has(v)) continue;
      if (state.get(v) === 1) cycles.push([...path.slice(path.indexOf(v)), v].map((x) => relative(SRC, x)).join(' → '));
      else if (!state.has(v)) visit(v, [...path, v]);
    }
    state.set(u, 2);
  };
  for (const f of graph.keys()) if (!state.has(f)) visit(f, [f]);
  assert.equal(cycles, []);
  assert.not.ok(graph.get(resolve(SRC, 'tensor.ts'))!.some((d) => d.includes('autograd')), 'tensor.ts imports the engine');
});

test.run();
