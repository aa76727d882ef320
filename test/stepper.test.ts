// The inference path (src/models/stepper.ts): for every built-in family, dense and sparse, a
// stepper's log-probabilities equal `logProbs` over the same tokens (the state carried); batch 1
// and 3; 16-bit column indices and (forced) 32-bit ones; no tensor allocated per token in steady state; views
// still right after the memory grew; 1 and 2 threads give the same bits; scoreStream equals
// evaluate with batch 1; sample draws through it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createModel, createStepper, evaluate, IntTensor, LogProbsStepper, memoryStats, modelConfig, noGrad, Random, scoreStream, setThreads, tidy, Tensor,
  disposeState, keepState, sample, Vocabulary, type LanguageModel, type LMState,
} from '../src/index.js';
import { forceSplitForTests } from '../src/backend/threads.js';
import { CSRMatrix, forceWideIndices } from '../src/csr.js';
import { sparsify } from './helpers/lm-checks.js';

const V = 37;
const FAMILIES: [string, Record<string, unknown>][] = [
  ['zaremba-small', { vocab: V, emsize: 9, nhid: 11, nlayers: 2, dropout: 0.3 }],
  ['gru-small', { vocab: V, emsize: 9, nhid: 11, nlayers: 2, dropout: 0.3 }],
  ['selfish-rhn', { vocab: V, emsize: 10, nhid: 10, nlayers: 1, depth: 3 }],
  ['selfish-onlstm', { vocab: V, emsize: 10, nhid: 20, nlayers: 2, chunkSize: 5 }],
  ['awd-lstm-mos-ptb', { vocab: V, emsize: 8, nhid: 12, nhidlast: 10, nlayers: 2, nExperts: 3 }],
];

function tokens(n: number, rng: Random): number[] {
  return Array.from({ length: n }, () => rng.int(V));
}

/** logProbs of each step of a [T, B] batch, fed one step at a time with the state carried (the reference). */
function referenceLogProbs(model: LanguageModel, seq: number[][]): Float32Array[] {
  const B = seq[0]!.length;
  const was = model.training;
  model.eval();
  let state: LMState = model.initState(B);
  const out: Float32Array[] = [];
  for (const ids of seq) {
    const r = tidy(() => noGrad(() => {
      const lp = model.logProbs(new IntTensor(ids, [1, B]), state);
      return { logp: lp.logProbs.toArray(), state: lp.state };
    }));
    disposeState(state);
    state = keepState(r.state);
    out.push(r.logp);
  }
  disposeState(state);
  model.train(was);
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = a.length === b.length ? 0 : Infinity;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

for (const [name, overrides] of FAMILIES) {
  // Sparse: the model as built (16-bit column indices), and again with the indices forced to 32 bits.
  for (const [sparse, wide] of [[false, false], [true, false], [true, true]] as const) {
    test(`${name}${sparse ? ` (sparse, ${wide ? '32' : '16'}-bit indices)` : ''}: the stepper's log-probabilities equal logProbs step by step (batch 1 and 3)`, () => {
      const rng = new Random(3);
      const prev = forceWideIndices(wide);
      let model: LanguageModel;
      try {
        model = createModel(modelConfig(name, overrides), {}, new Random(1));
        if (sparse) sparsify(model, rng);
      } finally {
        forceWideIndices(prev);
      }
      const csr = model.namedWeights().flatMap(([, w]) => (w instanceof CSRMatrix ? [w] : []));
      assert.is(csr.length > 0, sparse);
      for (const w of csr) assert.is(w.colIdx.wide, wide);
      for (const B of [1, 3]) {
        const seq = Array.from({ length: 6 }, () => tokens(B, rng));
        const want = referenceLogProbs(model, seq);
        const s = createStepper(model, { batch: B });
        assert.is(s.batch, B);
        assert.is(s.vocab, V);
        for (let round = 0; round < 2; round++) {
          seq.forEach((ids, t) => {
            const got = s.step(ids);
            assert.is(got.length, B * V);
            const d = maxAbsDiff(got, want[t]!);
            assert.ok(d < 2e-5, `B=${B} step ${t} round ${round}: max |Δ log p| ${d}`);
          });
          s.reset();
        }
        s.dispose();
      }
      model.dispose();
    });
  }
}

test('the stacked LSTM has its own stepper; a family without one is stepped through logProbs', () => {
  const lstm = createModel(modelConfig('zaremba-small', { vocab: V, emsize: 8, nhid: 8 }));
  const s = createStepper(lstm);
  assert.not.ok(s instanceof LogProbsStepper);
  assert.ok((s.bytesPerStep ?? 0) > 0);
  s.dispose();
  lstm.dispose();
  const gru = createModel(modelConfig('gru-small', { vocab: V, emsize: 8, nhid: 8 }));
  const g = createStepper(gru);
  assert.ok(g instanceof LogProbsStepper);
  g.dispose();
  gru.dispose();
});

test('steady state: no tensor allocated per token, the model untouched, bad ids refused', () => {
  const rng = new Random(4);
  for (const sparse of [false, true]) {
    const model = createModel(modelConfig('zaremba-small', { vocab: V, emsize: 8, nhid: 12 }), {}, new Random(2));
    if (sparse) sparsify(model, rng);
    const before = memoryStats().liveBytes;
    const s = createStepper(model, { batch: 2 });
    s.step([1, 2]);
    const steady = memoryStats().liveBytes;
    for (let t = 0; t < 50; t++) s.step(tokens(2, rng));
    assert.is(memoryStats().liveBytes, steady, 'no bytes allocated by steps');
    assert.throws(() => s.step([1]), /expected 2 token id/);
    assert.throws(() => s.step([1, V]), /outside \[0, 37\)/);
    s.dispose();
    // The 16-bit index stays with the matrix (freed with it), nothing else.
    const left = memoryStats().liveBytes - before;
    assert.ok(left >= 0 && (sparse || left === 0), `${left} bytes left after dispose`);
    assert.ok(model.training, 'training mode untouched');
    model.dispose();
  }
});

test('the returned view is re-derived after the memory grows', () => {
  const model = createModel(modelConfig('zaremba-small', { vocab: V, emsize: 8, nhid: 8 }), {}, new Random(5));
  const seq = [[3], [4], [5]];
  const want = referenceLogProbs(model, seq);
  const s = createStepper(model);
  s.step(seq[0]!);
  const big = new Tensor([Math.ceil(memoryStats().memoryBytes / 4) + (1 << 20)], { persistent: true }); // forces memory.grow
  const got = s.step(seq[1]!);
  assert.ok(maxAbsDiff(got, want[1]!) < 2e-5);
  big.dispose();
  assert.ok(maxAbsDiff(s.step(seq[2]!), want[2]!) < 2e-5);
  s.dispose();
  model.dispose();
});

test('1 and 2 threads give the same bits (dense and sparse, every product split)', async () => {
  const rng = new Random(6);
  const run = (model: LanguageModel) => {
    const s = createStepper(model);
    const r = new Random(7);
    const out: Float32Array[] = [];
    for (let t = 0; t < 5; t++) out.push(s.step([r.int(V)]).slice());
    s.dispose();
    return out;
  };
  for (const sparse of [false, true]) {
    const model = createModel(modelConfig('zaremba-small', { vocab: V, emsize: 24, nhid: 40 }), {}, new Random(8));
    if (sparse) sparsify(model, rng);
    await setThreads(1);
    const one = run(model);
    await setThreads(2);
    const prev = forceSplitForTests(true);
    try {
      const two = run(model);
      one.forEach((a, t) => assert.equal(Array.from(new Uint32Array(a.buffer)), Array.from(new Uint32Array(two[t]!.buffer)), `step ${t}`));
    } finally {
      forceSplitForTests(prev);
      await setThreads(1);
    }
    model.dispose();
  }
});

for (const [name, overrides] of FAMILIES) {
  test(`${name}: scoreStream equals evaluate with batch 1 (dense and sparse)`, async () => {
    const rng = new Random(9);
    const ids = tokens(120, rng);
    for (const sparse of [false, true]) {
      const model = createModel(modelConfig(name, overrides), {}, new Random(10));
      if (sparse) sparsify(model, rng);
      const a = await evaluate(model, ids, { batchSize: 1, bptt: 17 });
      const b = await scoreStream(model, ids);
      assert.is(b.tokens, a.tokens);
      assert.ok(Math.abs(b.loss - a.loss) < 1e-5 * a.loss, `${b.loss} vs ${a.loss}`);
      model.dispose();
    }
  });
}

test('sample draws through the stepper: reproducible, a prompt conditions it', () => {
  const model = createModel(modelConfig('zaremba-small', { vocab: 6, emsize: 8, nhid: 8 }), {}, new Random(11));
  const vocab = new Vocabulary(['<eos>', 'a', 'b', 'c', 'd', 'e']);
  const x = sample(model, vocab, { words: 20, seed: 3 });
  assert.is(x.length, 20);
  assert.equal(sample(model, vocab, { words: 20, seed: 3 }), x);
  assert.is(sample(model, vocab, { words: 5, seed: 3, prompt: 'a b c' }).length, 5);
  model.dispose();
});

test.run();
