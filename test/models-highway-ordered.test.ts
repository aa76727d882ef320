// RHN and ON-LSTM language models: float64 PyTorch golden values (test/fixtures/golden-rhn*.json,
// golden-onlstm*.json, made by make_golden.py from the official models' formulas), with every
// dropout off and with fixed dropout masks; parameter names; state carrying; eval-mode behaviour.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createModel, createSparsity, disposeState, IntTensor, memoryStats, SGD, modelConfig, ONLSTMModel, Random, RHNModel, tidy, type AnyModelConfig, type SparseEngine, type Tensor,
} from '../src/index.js';
import { checkGoldenStep, goldenFixture, type Golden } from './helpers/lm-checks.js';

/** The engine's hook at an epoch end (epoch, step), as the trainer calls it. */
const epochEnd = (e: { onStep: SparseEngine['onStep'] }, epoch: number, step: number) => e.onStep({ step, epoch, epochEnd: true });
const fixture = goldenFixture;

const DROPOUTS = ['dropout', 'dropouth', 'dropouti', 'dropoute', 'wdrop'] as const;

function goldenConfig(family: 'rhn' | 'onlstm', g: Golden): AnyModelConfig {
  const c = g.config;
  const drop = Object.fromEntries(DROPOUTS.map((k) => [k, c[k] ?? 0]));
  if (family === 'rhn') {
    const { wdrop: _w, ...rhnDrop } = drop; // the RHN has no DropConnect
    return modelConfig('selfish-rhn', { vocab: c.vocab!, emsize: c.emsize!, nhid: c.nhid!, nlayers: c.nlayers!, depth: c.depth!, ...rhnDrop });
  }
  return modelConfig('selfish-onlstm', {
    vocab: c.vocab!, emsize: c.emsize!, nhid: c.nhid!, nlayers: c.nlayers!, chunkSize: c.chunkSize!, alpha: c.alpha!, beta: c.beta!, ...drop,
  });
}

for (const [family, variant] of [['rhn', ''], ['rhn', '-masks'], ['onlstm', ''], ['onlstm', '-masks']] as const) {
  const name = `${family}${variant}`;
  test(`${name}: loss and every parameter gradient match PyTorch in float64 (relative error ≤ 1e-4)`, () => {
    const g = fixture(name);
    const model = createModel(goldenConfig(family, g)) as RHNModel | ONLSTMModel;
    const masks = Object.entries(g.masks ?? {});
    assert.is(masks.length > 0, variant === '-masks', 'the masked fixture carries masks');
    for (const [n, m] of masks) model.masks.fix(n, m);
    checkGoldenStep(name, model, g);
    model.dispose();
  });
}

test('a fixed mask of the wrong size is refused with its name', () => {
  const g = fixture('rhn-masks');
  const model = createModel(goldenConfig('rhn', g)) as RHNModel;
  model.masks.fix('hidden.0', [1, 2, 3]);
  assert.throws(() => tidy(() => model.forward(new IntTensor(g.inputs, g.shape), new IntTensor(g.targets))), /fixed dropout mask 'hidden.0' has 3 entries, the model needs 18/);
  model.dispose();
});

test('state: named per family ({s} for RHN, {h, c} for ON-LSTM), carried across batches, refused across families', () => {
  const rng = new Random(3);
  const rhn = createModel('selfish-rhn', { vocab: 9, emsize: 4, nhid: 4, depth: 2, dropout: 0, dropouth: 0, dropouti: 0, dropoute: 0 }, rng);
  const on = createModel('selfish-onlstm', { vocab: 9, emsize: 4, nhid: 6, nlayers: 2, chunkSize: 2, dropout: 0, dropouth: 0, dropouti: 0, dropoute: 0, wdrop: 0 }, rng);
  const ids = new IntTensor([1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3], [6, 2], { persistent: true });
  const tgt = new IntTensor([2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3, 4], [12], { persistent: true });
  const first = new IntTensor([1, 2, 3, 4, 5, 6], [3, 2], { persistent: true }), firstT = new IntTensor([2, 3, 4, 5, 6, 7], [6], { persistent: true });
  const second = new IntTensor([7, 8, 0, 1, 2, 3], [3, 2], { persistent: true }), secondT = new IntTensor([8, 0, 1, 2, 3, 4], [6], { persistent: true });
  for (const [model, keys] of [[rhn, ['s']], [on, ['h', 'c']]] as const) {
    model.eval();
    const init = model.initState(2);
    assert.equal(Object.keys(init[0]!), [...keys]);
    tidy(() => {
      const whole = model.forward(ids, tgt, init).nll.item() * 12;
      const a = model.forward(first, firstT, init);
      const b = model.forward(second, secondT, a.state);
      const halves = a.nll.item() * 6 + b.nll.item() * 6;
      assert.ok(Math.abs(whole - halves) < 1e-4 * Math.abs(whole), `carried state: ${whole} vs ${halves}`);
      disposeState(a.state);
      disposeState(b.state);
    });
    disposeState(init);
  }
  const wrong = rhn.initState(2);
  assert.throws(() => tidy(() => on.forward(first, firstT, [wrong[0]!, wrong[0]!])), /the ON-LSTM layer state must hold \{h, c\}, got \{s\}/);
  disposeState(wrong);
  for (const t of [ids, tgt, first, firstT, second, secondT]) t.dispose();
  rhn.dispose();
  on.dispose();
});

test('evaluation mode: dropout off, and the ON-LSTM hh weights scaled by (1 − wdrop) as LinearDropConnect', () => {
  const rng = new Random(4);
  const cfg = { vocab: 7, emsize: 4, nhid: 4, nlayers: 1, chunkSize: 2, dropout: 0, dropouth: 0, dropouti: 0, dropoute: 0, alpha: 0, beta: 0 };
  const a = createModel('selfish-onlstm', { ...cfg, wdrop: 0.5 }, new Random(5)) as ONLSTMModel;
  const b = createModel('selfish-onlstm', { ...cfg, wdrop: 0 }, new Random(5)) as ONLSTMModel;
  // b's hh weights are a's times (1 − p): the two must agree in eval mode.
  const wa = (a.rnn.cells.at(0).hh.weight as Tensor).data, wb = (b.rnn.cells.at(0).hh.weight as Tensor).data;
  for (let i = 0; i < wb.length; i++) wb[i] = wa[i]! * 0.5;
  a.eval();
  b.eval();
  const ids = new IntTensor([1, 2, 3, 4, 5, 6], [3, 2], { persistent: true }), tgt = new IntTensor([2, 3, 4, 5, 6, 0], [6], { persistent: true });
  tidy(() => {
    const la = a.forward(ids, tgt), lb = b.forward(ids, tgt);
    assert.ok(Math.abs(la.loss.item() - lb.loss.item()) < 1e-6, `${la.loss.item()} vs ${lb.loss.item()}`);
    disposeState(la.state);
    disposeState(lb.state);
  });
  assert.ok(rng.uniform() >= 0);
  ids.dispose();
  tgt.dispose();
  a.dispose();
  b.dispose();
});

// ---- sparse training through the topology engine ------------------------------------------------

const SPARSE_FAMILIES = [
  {
    family: 'selfish-rhn', overrides: { vocab: 13, emsize: 6, nhid: 6, depth: 3 },
    sparse: ['embedding.weight', 'rnns.0.highways.0.W.weight', 'rnns.0.highways.0.R.weight', 'rnns.0.highways.1.R.weight', 'rnns.0.highways.2.R.weight'],
    gated: 'rnns.0.highways.1.R.weight', gates: ['H', 'T'],
  },
  {
    family: 'selfish-onlstm', overrides: { vocab: 13, emsize: 4, nhid: 6, nlayers: 2, chunkSize: 2 },
    sparse: ['encoder.weight', 'rnn.cells.0.ih.0.weight', 'rnn.cells.0.hh.weight', 'rnn.cells.1.ih.0.weight', 'rnn.cells.1.hh.weight'],
    gated: 'rnn.cells.0.hh.weight', gates: ['master_i', 'master_f', 'o', 'g', 'i', 'f'],
  },
] as const;

for (const f of SPARSE_FAMILIES) {
  test(`${f.family}: sparse training through the engine keeps every nnz exactly, gate statistics per ${f.gates.join('/')}`, () => {
    const model = createModel(f.family, f.overrides, new Random(21));
    const engine = createSparsity(model, { method: 'selfish', density: 0.45, totalSteps: 60, deathRate: 0.5, seed: 5 });
    assert.equal(engine.sparseNames(), [...f.sparse], 'the weight matrices are sparse, biases are not');
    const opt = new SGD(model.parameters(), { lr: 0.5 });
    engine.attachOptimizer(opt);
    const counts = engine.nnz();
    const data = new Random(22);
    const ids = (n: number) => Array.from({ length: n }, () => data.int(13));
    let changed = 0, first = NaN, last = NaN;
    for (let epoch = 1; epoch <= 6; epoch++) {
      for (let s = 0; s < 10; s++) {
        const all = ids(6 * 3);
        const loss = tidy(() => {
          const out = model.forward(new IntTensor(all.slice(0, 15), [5, 3]), new IntTensor(all.slice(3)), undefined);
          out.loss.backward();
          disposeState(out.state);
          return out.loss.item();
        });
        if (Number.isNaN(first)) first = loss;
        last = loss;
        opt.step();
        model.zeroGrad();
      }
      const report = epochEnd(engine, epoch, epoch * 10)!;
      for (const t of report.tensors) assert.is(t.nnz, counts.get(t.name), `epoch ${epoch} ${t.name}: nnz kept exactly`);
      if (report.tensors.some((t) => t.removed > 0)) changed++;
      const g = report.gates.find((x) => x.name === f.gated)!;
      assert.ok(g, `gate statistics of ${f.gated}`);
      assert.equal(g.gates, [...f.gates]);
      const total = report.tensors.find((t) => t.name === f.gated)!.nnz;
      assert.is(g.nnz.reduce((a, b) => a + b, 0), total, 'the gates partition the matrix');
      for (const d of g.density) assert.ok(d >= 0 && d <= 1);
    }
    assert.ok(changed >= 5, 'the topology changed at the updates');
    assert.ok(last < first, `training reduced the loss (${first} → ${last})`);
    model.dispose();
  });
}

test('the model tests free everything they allocate', () => {
  assert.is(memoryStats().liveBytes, 0);
});

test.run();
