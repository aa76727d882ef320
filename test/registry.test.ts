// The model registry: every family is one declaration in its own file, registered once through the
// public call (src/models/registry.ts for the built-in ones, src/families/index.ts for those written
// on the public API alone, which import nothing else), and nothing else in the library names a
// family; the trainer, checkpoints, export, info and the CLI read the declarations.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { ROOT, sources } from './helpers/sources.js';
import {
  createModel, defineModelFamily, field, memoryStats, modelConfig, modelFamily, modelFamilies, modelNames, modelRecipe, Random, registerModelFamily,
  resolveTrainConfig, tidy, IntTensor, disposeState, isSparse, shapeSize, type AnyModelConfig,
} from '../src/index.js';

/** A tiny configuration of a family (every size field at its minimum that makes sense), for constructing one of its models. */
function tinyConfig(kind: string): AnyModelConfig {
  const family = modelFamily(kind);
  const preset = Object.keys(family.presets)[0]!;
  const small: Record<string, unknown> = { vocab: 11 };
  for (const [k, f] of Object.entries(family.fields)) {
    if (f.type === 'int') small[k] = k === 'chunkSize' ? 2 : Math.max(f.min, 2) <= f.max ? Math.min(4, Math.max(f.min, 2)) : f.min;
  }
  return modelConfig(preset, small);
}

test('the files that name a model family are its own files and the registry', () => {
  const files = [...sources(join(ROOT, 'src')), ...sources(join(ROOT, 'assembly'))];
  const texts = files.map((f) => [relative(ROOT, f), readFileSync(f, 'utf8')] as const);
  const report: Record<string, string[]> = {};
  for (const spec of modelFamilies()) {
    const model = spec.create(tinyConfig(spec.name), new Random(1));
    const className = model.constructor.name;
    model.dispose();
    const own = new Set(texts.filter(([, t]) => t.includes(`name: '${spec.name}'`)).map(([f]) => basename(f, '.ts')));
    const naming = texts
      .filter(([, t]) => t.includes(`'${spec.name}'`) || t.includes(`"${spec.name}"`) || new RegExp(`\\b${className}\\b`).test(t))
      .map(([f]) => f);
    report[spec.name] = naming;
    const outside = naming.filter((f) => !own.has(basename(f, '.ts')) && !['src/models/registry.ts', 'src/models/index.ts', 'src/families/index.ts'].includes(f));
    assert.equal(outside, [], `family '${spec.name}' (${className}) is named outside its own files and the registry: ${outside.join(', ')}`);
  }
  // The registry registers every built-in family through the public call, and so does the module
  // of the families written on the public API.
  for (const file of ['src/models/registry.ts', 'src/families/index.ts']) {
    assert.match(readFileSync(join(ROOT, file), 'utf8'), /for \(const f of \[[^\]]+\]\) registerModelFamily\(f\);/, file);
  }
});

test('the families of src/families/ import nothing but the public API, which the package entry exports whole', () => {
  const dir = join(ROOT, 'src/families');
  const files = sources(dir).filter((f) => basename(f) !== 'index.ts');
  assert.ok(files.some((f) => basename(f) === 'gru.ts'), 'the GRU is one of them');
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const imports = [...text.matchAll(/^\s*(?:(?:import|export)\s[^;'"]*?\sfrom\s+|import\s+)['"]([^'"]+)['"]/gm)].map((m) => m[1]);
    assert.equal([...new Set(imports)], ['../api.js'], `${relative(ROOT, f)} imports ${imports.join(', ')}`);
    assert.not.match(text, /\bimport\s*\(/, `${relative(ROOT, f)} has a dynamic import`);
  }
  // The package entry is the API plus these families: a family here sees what a user's sees.
  const entry = readFileSync(join(ROOT, 'src/index.ts'), 'utf8').split('\n').filter((l) => /^\s*(import|export)\b/.test(l));
  assert.equal(entry, ["export * from './api.js';", "export * from './families/index.js';"]);
});

test('presets: every model name belongs to exactly one family, recipes sit beside them, overrides are checked', () => {
  assert.equal(modelFamilies().map((s) => s.name), ['stacked', 'awd-mos', 'rhn', 'onlstm', 'gru']);
  for (const name of ['selfish-lstm', 'awd-lstm-mos-wt2', 'selfish-rhn', 'selfish-onlstm']) assert.ok(modelNames().includes(name), name);
  const rhn = modelConfig('selfish-rhn');
  assert.equal([rhn.kind, rhn.emsize, rhn.nhid, rhn.depth, rhn.nlayers], ['rhn', 830, 830, 10, 1]);
  assert.equal([rhn.dropout, rhn.dropouth, rhn.dropouti, rhn.dropoute], [0.65, 0.25, 0.65, 0.2]);
  const r = modelRecipe('selfish-rhn');
  assert.equal([r.lr, r.bptt, r.batchSize, r.density], [15, 35, 20, 0.472]);
  const on = modelConfig('selfish-onlstm');
  assert.equal([on.kind, on.emsize, on.nhid, on.nlayers, on.chunkSize, on.wdrop, on.alpha, on.beta], ['onlstm', 400, 1150, 3, 10, 0.45, 2, 1]);
  assert.equal([on.dropout, on.dropouth, on.dropouti, on.dropoute], [0.45, 0.3, 0.5, 0.1]);
  assert.equal([modelRecipe('selfish-onlstm').lr, modelRecipe('selfish-onlstm').bptt], [15, 70]);
  assert.throws(() => modelConfig('selfish-lstm', { depth: 3 }), /unknown option depth for model family 'stacked'/);
  assert.throws(() => modelConfig('selfish-rhn', { depth: 0 }), /depth must be an integer in \[1, 1024\], got 0/);
  assert.throws(() => modelConfig('selfish-onlstm', { chunkSize: 2.5 }), /chunkSize must be an integer/);
  assert.throws(() => modelConfig('selfish-onlstm', { chunkSize: 7 }), /the ON-LSTM chunk size 7 does not divide its layer sizes \(emsize 400, nhid 1150\)/);
  assert.throws(() => modelFamily('gru-x'), /unknown model family 'gru-x' \(families: stacked, awd-mos, rhn, onlstm, gru.*--plugin/);
  assert.throws(() => modelConfig('rhn-large'), /unknown model 'rhn-large'; known models: .*selfish-rhn/);
  // Every built-in recipe resolves (its options are training options, in range).
  for (const name of modelNames()) resolveTrainConfig({ model: name }, 100);
});

test('registerModelFamily: a family declared in user code is accepted once; clashes are refused', () => {
  const fields = { width: field.int({ min: 1, max: 64, default: 4, help: 'width' }) };
  const family = defineModelFamily({
    name: 'toy', title: 'toy', fields, presets: { 'toy-a': { config: { width: 3 } } },
    create: () => { throw new Error('not built here'); }, stateNames: ['h'], describe: (c) => `toy ${c.width}`,
  });
  registerModelFamily(family);
  registerModelFamily(family); // the same declaration again (a plugin imported twice): no-op
  assert.ok(modelNames().includes('toy-a'));
  assert.equal(modelConfig('toy-a'), { kind: 'toy', vocab: 0, width: 3 });
  assert.throws(() => registerModelFamily(defineModelFamily({ ...family })), /a model family named 'toy' is already registered/);
  assert.throws(() => registerModelFamily({ ...family }), /registerModelFamily takes a declaration made with defineModelFamily/);
  assert.throws(() => registerModelFamily(defineModelFamily({ ...family, name: 'toy2' })), /model 'toy-a' of family 'toy2' is already a model of family 'toy'/);
  assert.throws(() => registerModelFamily(defineModelFamily({ ...family, name: 'toy3', presets: { 'toy3-a': { config: {} } }, fields: { nhid: field.boolean({ default: true, help: 'x' }) } as never })), /field 'nhid' of family 'toy3' is a boolean, but family 'stacked' declares it as an int/);
  assert.throws(() => registerModelFamily(defineModelFamily({ ...family, name: 'toy4', presets: { 'toy4-a': { config: {} } }, fields: { lr: field.number({ min: 0, max: 1, default: 0.5, help: 'x' }) } as never })), /field 'lr' of model family 'toy4' has the name of a training option/);
  assert.throws(() => defineModelFamily({ ...family, name: 'toy5', presets: { 'toy5-a': { config: { width: 65 } } } }), /preset 'toy5-a' of model family 'toy5': width must be an integer in \[1, 64\], got 65/);
  assert.throws(() => defineModelFamily({ ...family, name: 'Bad Name' }), /a model family's name must be lower-case/);
});

test('every family: state names as its spec says, describe() names the architecture, tied aliases are its PyTorch names', () => {
  for (const spec of modelFamilies().filter((f) => f.name !== 'toy')) {
    const cfg = tinyConfig(spec.name);
    const model = createModel(cfg, {}, new Random(2));
    const state = model.initState(3);
    assert.equal(Object.keys(state[0]!).sort(), [...spec.stateNames].sort(), spec.name);
    const names = new Set(model.namedParameters().map(([n]) => n));
    for (const [alias, source] of spec.exportAliases?.(cfg) ?? []) {
      assert.ok(names.has(source), `${spec.name}: tied source ${source} is a parameter`);
      assert.not.ok(names.has(alias), `${spec.name}: the alias ${alias} is not a separate parameter`);
    }
    // The declared weight shapes are the model's (memory estimate and FLOPs rest on them).
    const declared = (spec.weightShapes?.(cfg) ?? []).filter((w) => !w.tied).reduce((a, w) => a + w.rows * w.cols * (w.count ?? 1), 0);
    const actual = model.namedWeights().filter(([n]) => !n.includes('bias')).reduce((a, [, w]) => a + (isSparse(w) ? w.rows * w.cols : shapeSize(w.shape)), 0);
    assert.is(declared, actual, `${spec.name}: weightShapes count the model's weights`);
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
