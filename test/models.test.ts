// Language models: PyTorch golden values (test/fixtures, made by make_golden.py), gradient checks
// of the full tiny models with dense and sparse weights, dropout statistics, weight tying and
// state-dict round trips.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createModel, CSRMatrix, IntTensor, lockedDropout, memoryStats, modelConfig, Random, embeddedDropout, dropConnect, ones, tidy,
  type LanguageModel, type AnyModelConfig, type Tensor,
} from '../src/index.js';
import { checkGoldenStep, finiteDifferenceCheck, goldenFixture as fixture, loadGolden, sparsify, type Golden } from './helpers/lm-checks.js';

function goldenConfig(name: string, g: Golden): AnyModelConfig {
  const c = g.config;
  if (name === 'stacked-lstm') {
    return modelConfig('zaremba-small', { vocab: c.vocab!, emsize: c.emsize!, nhid: c.nhid!, nlayers: c.nlayers!, dropout: 0 });
  }
  return modelConfig('awd-lstm-mos-ptb', {
    vocab: c.vocab!, emsize: c.emsize!, nhid: c.nhid!, nhidlast: c.nhidlast!, nlayers: c.nlayers!, nExperts: c.nExperts!,
    alpha: c.alpha!, beta: c.beta!, dropout: 0, dropouth: 0, dropouti: 0, dropoute: 0, dropoutl: 0, wdrop: 0,
  });
}

for (const name of ['stacked-lstm', 'awd-lstm-mos']) {
  test(`${name}: loss and every parameter gradient match PyTorch (relative error ≤ 1e-4)`, () => {
    const g = fixture(name);
    const model = createModel(goldenConfig(name, g));
    checkGoldenStep(name, model, g);
    model.dispose();
  });
}

test('tied weights: the encoder weight receives both the embedding and the decoder gradient', () => {
  const g = fixture('awd-lstm-mos');
  const model = createModel(goldenConfig('awd-lstm-mos', g));
  loadGolden(model, g);
  assert.not.ok(model.namedParameters().some(([n]) => n === 'decoder.weight'), 'the tied decoder weight is not a separate parameter');
  // With the decoder path only (no gradient from the lookup), the gradient differs from PyTorch's.
  tidy(() => {
    const out = model.forward(new IntTensor(g.inputs, g.shape), new IntTensor(g.targets));
    out.loss.backward();
    for (const s of out.state) { s.h.dispose(); s.c.dispose(); }
  });
  const enc = model.namedParameters().find(([n]) => n === 'encoder.weight')![1];
  const rows = new Set(g.inputs);
  // Rows never looked up only get the decoder gradient; looked-up rows get both: compare one of each.
  const E = g.config.emsize!;
  const want = g.grads['encoder.weight']!;
  const got = enc.grad!.data;
  let seenRow = false;
  for (const r of rows) {
    seenRow = true;
    for (let j = 0; j < E; j++) assert.ok(Math.abs(got[r * E + j]! - want[r * E + j]!) <= 1e-4 * (1 + Math.abs(want[r * E + j]!)));
  }
  assert.ok(seenRow);
  model.dispose();
});

test('stateDict / loadStateDict round trip is exact and refuses mismatches', () => {
  const cfg = modelConfig('awd-lstm-mos-ptb', { vocab: 17, emsize: 4, nhid: 6, nhidlast: 5, nExperts: 2 });
  const a = createModel(cfg, {}, new Random(1));
  const b = createModel(cfg, {}, new Random(2));
  const state = new Map([...a.stateDict()].map(([n, w]) => [n, (w instanceof CSRMatrix ? w.values : (w as Tensor)).toArray()]));
  b.loadStateDict(state);
  for (const [[na, pa], [nb, pb]] of a.namedParameters().map((x, i) => [x, b.namedParameters()[i]!] as const)) {
    assert.is(na, nb);
    assert.equal(Array.from(pa.data), Array.from(pb.data));
  }
  state.delete('prior.weight');
  assert.throws(() => b.loadStateDict(state), /missing \[prior.weight\]/);
  state.set('prior.weight', new Float32Array(3));
  assert.throws(() => b.loadStateDict(state), /'prior.weight' has 3 values but the module's weight is \[2, 5\]/);
  a.dispose();
  b.dispose();
});

test('locked dropout: one mask per sequence, shared over time, scaled by 1/(1−p)', () => {
  tidy(() => {
    const x = ones([7, 3, 50]);
    const y = lockedDropout(x, 0.3, true, new Random(5)).toArray();
    let kept = 0;
    for (let t = 1; t < 7; t++) for (let i = 0; i < 150; i++) assert.is(y[t * 150 + i], y[i], 'mask differs across time');
    for (let i = 0; i < 150; i++) {
      assert.ok(y[i] === 0 || Math.abs(y[i]! - 1 / 0.7) < 1e-6);
      if (y[i] !== 0) kept++;
    }
    assert.ok(Math.abs(kept / 150 - 0.7) < 0.15, `kept fraction ${kept / 150}`);
    assert.is(lockedDropout(x, 0.3, false), x, 'identity in eval mode');
  });
});

test('embedding dropout drops whole words (every occurrence of a word alike) and rescales', () => {
  tidy(() => {
    const V = 40, E = 3;
    const ids = new IntTensor(Array.from({ length: 400 }, (_, i) => i % V));
    const y = embeddedDropout(() => ones([400, E]), ids, V, 0.5, true, new Random(8)).toArray();
    let dropped = 0;
    for (let w = 0; w < V; w++) {
      const v = y[w * E]!;
      assert.ok(v === 0 || Math.abs(v - 2) < 1e-6);
      if (v === 0) dropped++;
      for (let n = w; n < 400; n += V) for (let j = 0; j < E; j++) assert.is(y[n * E + j], v, `word ${w} not dropped as a whole`);
    }
    assert.ok(dropped > 5 && dropped < 35, `dropped ${dropped} of ${V} words`);
  });
});

test('DropConnect: fresh mask per call, mean preserved, eval identity (or (1−p) scaling when asked)', () => {
  tidy(() => {
    const w = ones([100, 100]);
    const rng = new Random(9);
    const a = dropConnect(w, 0.5, true, { rng }).toArray(), b = dropConnect(w, 0.5, true, { rng }).toArray();
    assert.not.equal(Array.from(a.slice(0, 50)), Array.from(b.slice(0, 50)));
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    assert.ok(Math.abs(mean - 1) < 0.05, `mean ${mean}`);
    assert.is(dropConnect(w, 0.5, false), w);
    const e = dropConnect(w, 0.25, false, { evalScale: true }).toArray();
    assert.ok(e.every((v) => Math.abs(v - 0.75) < 1e-6));
  });
});

test('a forward/backward step of each model frees everything but the carried state', () => {
  for (const [name, sizes] of [['zaremba-small', {}], ['awd-lstm-mos-ptb', { nhidlast: 5, nExperts: 3 }]] as const) {
    const model = createModel(name, { vocab: 23, emsize: 6, nhid: 7, ...sizes }) as LanguageModel;
    const base = memoryStats().liveBytes;
    tidy(() => {
      const out = model.forward(new IntTensor(Array.from({ length: 12 }, (_, i) => i % 23), [4, 3]), new IntTensor(Array.from({ length: 12 }, (_, i) => (i * 5) % 23)));
      out.loss.backward();
      for (const s of out.state) { s.h.dispose(); s.c.dispose(); }
    });
    model.zeroGrad();
    const gradBytes = model.parameters().reduce((s, p) => s + (p.grad ? p.grad.size * 4 : 0), 0);
    assert.ok(memoryStats().liveBytes - base <= gradBytes * 1.2 + 4096, `${name}: ${memoryStats().liveBytes - base} bytes left after a step`);
    model.dispose();
  }
});

for (const sparse of [false, true]) {
  test(`finite differences of the full stacked LSTM LM (dropout on, ${sparse ? 'sparse' : 'dense'} weights)`, () => {
    const model = createModel('lstm-small', { vocab: 13, emsize: 5, nhid: 6, dropout: 0.3 }, new Random(3)) as LanguageModel & { rng: Random };
    if (sparse) sparsify(model, new Random(4));
    finiteDifferenceCheck('stacked', model, 4, 3, 13);
    model.dispose();
  });
  test(`finite differences of the full AWD-LSTM-MoS (all dropouts, AR and TAR on, ${sparse ? 'sparse' : 'dense'} weights)`, () => {
    const model = createModel('awd-lstm-mos-ptb', { vocab: 11, emsize: 4, nhid: 6, nhidlast: 5, nExperts: 3 }, new Random(5)) as LanguageModel & { rng: Random };
    if (sparse) sparsify(model, new Random(6));
    finiteDifferenceCheck('awd-mos', model, 5, 2, 11);
    model.dispose();
  });
}

test.run();
