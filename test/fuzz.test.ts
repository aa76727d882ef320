// A bounded, seeded fuzz pass over every reader (every target in test/fuzz/targets), a few seconds
// in all; `npm run fuzz -- --iterations N` runs long campaigns (figures in test/README.md).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FuzzTarget } from './fuzz/types.js';

/** Inputs per target in `npm test` (default 60; cheap targets get more; every cli-flags input is a process). */
const ITERATIONS: Record<string, number> = { checkpoint: 300, safetensors: 400, corpus: 300, 'cli-flags': 16, 'demo-server': 25 };
/** Targets whose inputs are files a reader must refuse or accept (the others attack processes). */
const READERS = new Set(['checkpoint', 'safetensors', 'corpus', 'cli-flags']);
const DEFAULT_ITERATIONS = 60;
const SEED = 20261201;

const dir = new URL('./fuzz/targets/', import.meta.url);
const files = readdirSync(fileURLToPath(dir)).filter((f) => f.endsWith('.js')).sort();

test('there are fuzz targets for checkpoints, safetensors, corpora, the command line and the demo server', () => {
  for (const name of ['checkpoint', 'safetensors', 'corpus', 'cli-flags', 'demo-server']) assert.ok(files.includes(`${name}.js`), `test/fuzz/targets/${name}.ts`);
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
    if (READERS.has(target.name)) assert.ok(r.refused > 0, 'the mutations reach the readers (some inputs are refused)');
  });
}

test('the twin judge catches a verdict that depends on uninitialised memory', async () => {
  const { Campaign, Twin } = await import('./fuzz/harness.js');
  const { judge } = await import('./fuzz/probes/uninitialised.js');
  const { Random } = await import('../src/index.js');
  const campaign = new Campaign('probe', new Random(1));
  const twin = new Twin(new URL('./fuzz/probes/uninitialised.js', import.meta.url).href);
  try {
    for (let n = 1; n <= 4; n++) await campaign.check(`n=${n}`, () => judge({ n }), () => null, twin.judge({ n }));
  } finally {
    await twin.stop();
  }
  assert.is(campaign.report.failures.length, 4, campaign.report.failures.join('\n'));
  assert.match(campaign.report.failures[0]!, /the verdict depends on more than the bytes: accepted both times with different results/);
});

test.run();
