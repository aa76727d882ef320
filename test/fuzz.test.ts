// A bounded, seeded fuzz pass over every reader (every target in test/fuzz/targets), a few seconds
// in all; `npm run fuzz -- --iterations N` runs long campaigns (figures in test/README.md).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FuzzTarget } from './fuzz/types.js';

/** Inputs per target in `npm test` (default 60; cheap targets get more). */
const ITERATIONS: Record<string, number> = { checkpoint: 300, safetensors: 400, corpus: 300 };
const DEFAULT_ITERATIONS = 60;
const SEED = 20261201;

const dir = new URL('./fuzz/targets/', import.meta.url);
const files = readdirSync(fileURLToPath(dir)).filter((f) => f.endsWith('.js')).sort();

test('there are fuzz targets for checkpoints, safetensors and corpora', () => {
  for (const name of ['checkpoint', 'safetensors', 'corpus']) assert.ok(files.includes(`${name}.js`), `test/fuzz/targets/${name}.ts`);
});

for (const f of files) {
  test(`fuzz ${f.replace(/\.js$/, '')}: every input accepted and usable, or refused clearly; nothing crashes, hangs, leaks or lingers`, async () => {
    const { target } = (await import(new URL(f, dir).href)) as { target: FuzzTarget };
    const n = ITERATIONS[target.name] ?? DEFAULT_ITERATIONS;
    const r = await target.run(n, SEED);
    assert.is(r.name, target.name);
    assert.is(r.iterations, n);
    assert.is(r.accepted + r.refused + r.failures.length >= n, true, 'every input is accounted for');
    assert.equal(r.failures, [], `${r.failures.length} failure(s):\n${r.failures.join('\n')}`);
    assert.ok(r.refused > 0, 'the mutations reach the readers (some inputs are refused)');
  });
}

test.run();
