// The model registry: every family is one ModelSpec in its own file, listed once in
// src/models/registry.ts, and nothing else in the library names a family; the trainer,
// checkpoints, export, info and the CLI read the specs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { ROOT, sources } from './helpers/sources.js';
import { createModel, MODEL_NAMES, memoryStats, modelConfig, modelSpec, modelSpecs, Random, tidy, IntTensor, disposeState, type LMConfig } from '../src/index.js';



/** A tiny configuration of a family (every size small), for constructing one of its models. */
function tinyConfig(kind: string): LMConfig {
  const spec = modelSpec(kind);
  const preset = Object.values(spec.presets)[0]!;
  const cfg: LMConfig = { ...preset, vocab: 11, emsize: 4, nhid: 4, nhidlast: 4, nlayers: 2, nExperts: 2 };
  if (cfg.depth !== undefined) cfg.depth = 2;
  if (cfg.chunkSize !== undefined) cfg.chunkSize = 2;
  spec.normalize?.(cfg);
  return cfg;
}

test('the files that name a model family are its own files and the registry', () => {
  const files = [...sources(join(ROOT, 'src')), ...sources(join(ROOT, 'assembly'))];
  const texts = files.map((f) => [relative(ROOT, f), readFileSync(f, 'utf8')] as const);
  const report: Record<string, string[]> = {};
  for (const spec of modelSpecs()) {
    const model = spec.create(tinyConfig(spec.kind), new Random(1));
    const className = model.constructor.name;
    model.dispose();
    const own = new Set(texts.filter(([, t]) => t.includes(`kind: '${spec.kind}'`)).map(([f]) => basename(f, '.ts')));
    const naming = texts
      .filter(([, t]) => t.includes(`'${spec.kind}'`) || t.includes(`"${spec.kind}"`) || new RegExp(`\\b${className}\\b`).test(t))
      .map(([f]) => f);
    report[spec.kind] = naming;
    const outside = naming.filter((f) => !own.has(basename(f, '.ts')) && !['src/models/registry.ts', 'src/models/index.ts'].includes(f));
    assert.equal(outside, [], `family '${spec.kind}' (${className}) is named outside its own files and the registry: ${outside.join(', ')}`);
  }
  // The registry lists every family exactly once.
  const registry = readFileSync(join(ROOT, 'src/models/registry.ts'), 'utf8');
  for (const spec of modelSpecs()) assert.ok(registry.includes(`./${report[spec.kind]!.find((f) => f.startsWith('src/models/') && !f.endsWith('registry.ts') && !f.endsWith('index.ts'))!.slice('src/models/'.length, -3)}.js`), spec.kind);
});

test('presets: every MODEL_NAMES entry belongs to exactly one family, and overrides are checked', () => {
  const kinds = new Set(modelSpecs().map((s) => s.kind));
  assert.equal([...kinds], ['stacked', 'awd-mos', 'rhn', 'onlstm']);
  for (const name of ['selfish-lstm', 'awd-lstm-mos-wt2', 'selfish-rhn', 'selfish-onlstm']) assert.ok(MODEL_NAMES.includes(name), name);
  const rhn = modelConfig('selfish-rhn');
  assert.equal([rhn.kind, rhn.emsize, rhn.nhid, rhn.depth, rhn.nlayers, rhn.tied, rhn.lr, rhn.bptt, rhn.batchSize], ['rhn', 830, 830, 10, 1, true, 15, 35, 20]);
  assert.equal([rhn.dropout, rhn.dropouth, rhn.dropouti, rhn.dropoute], [0.65, 0.25, 0.65, 0.2]);
  const on = modelConfig('selfish-onlstm');
  assert.equal([on.kind, on.emsize, on.nhid, on.nlayers, on.chunkSize, on.wdrop, on.alpha, on.beta, on.lr, on.bptt], ['onlstm', 400, 1150, 3, 10, 0.45, 2, 1, 15, 70]);
  assert.equal([on.dropout, on.dropouth, on.dropouti, on.dropoute], [0.45, 0.3, 0.5, 0.1]);
  assert.throws(() => modelConfig('selfish-lstm', { depth: 3 }), /unknown model option 'depth' for 'selfish-lstm'/);
  assert.throws(() => modelConfig('selfish-rhn', { depth: 0 }), /depth must be a positive integer, got 0/);
  assert.throws(() => modelConfig('selfish-onlstm', { chunkSize: 2.5 }), /chunkSize must be a positive integer/);
  assert.throws(() => modelSpec('gru'), /unknown model family 'gru'; families: stacked, awd-mos, rhn, onlstm/);
  assert.throws(() => modelConfig('rhn-large'), /unknown model 'rhn-large'; known models: .*selfish-rhn/);
});

test('every family: state names as its spec says, describe() names the architecture, tied aliases are its PyTorch names', () => {
  for (const spec of modelSpecs()) {
    const cfg = tinyConfig(spec.kind);
    const model = createModel(cfg, {}, new Random(2));
    const state = model.initState(3);
    assert.equal(Object.keys(state[0]!).sort(), [...spec.stateNames].sort(), spec.kind);
    const names = new Set(model.namedParameters().map(([n]) => n));
    for (const [alias, source] of spec.tiedAliases(cfg)) {
      assert.ok(names.has(source), `${spec.kind}: tied source ${source} is a parameter`);
      assert.not.ok(names.has(alias), `${spec.kind}: the alias ${alias} is not a separate parameter`);
    }
    assert.ok(spec.describe(cfg).startsWith(spec.title), spec.describe(cfg));
    tidy(() => {
      const ids = new IntTensor([1, 2, 3, 4, 5, 6], [2, 3]);
      const out = model.forward(ids, new IntTensor([2, 3, 4, 5, 6, 7], [6]), state);
      assert.ok(Number.isFinite(out.loss.item()));
      disposeState(out.state);
    });
    disposeState(state);
    model.dispose();
  }
  assert.is(memoryStats().liveBytes, 0);
});

test.run();
