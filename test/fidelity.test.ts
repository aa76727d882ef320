// Where the sparse implementation must compute what the official dense-and-masked code computes:
// the clip norm of a weight-dropped W_hh, SNFS's momentum from the step's own gradient, GraNet's
// global pruning threshold, SNT-ASGD's learning rate under random BPTT lengths.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  ASGD, beginDenseGradNorm, clipCoefficient, clipGradNorm, createModel, createSparsity, engineSparsity, IntTensor, memoryStats, memoryStore, Random, resolveTrainConfig, SGD, SNTASGD, Tensor, tidy, Trainer,
  type Corpus, type LanguageModel, type SparseEngine,
} from '../src/index.js';
import { loadDefaultCorpus } from '../src/node.js';

// ---- the clip norm under DropConnect ------------------------------------------------------------

/**
 * A generator whose uniforms can be scripted: the dropout draws of one forward, so that a dense
 * pass and a sparse pass see the same DropConnect factor at every stored position.
 */
class ScriptedRandom extends Random {
  private script: Float64Array | null = null;
  private at = 0;
  play(script: Float64Array): void {
    this.script = script;
    this.at = 0;
  }
  stop(): number {
    const used = this.at;
    this.script = null;
    return used;
  }
  override uniform(): number {
    if (this.script === null) return super.uniform();
    if (this.at >= this.script.length) throw new Error('the forward drew more uniforms than scripted');
    return this.script[this.at++]!;
  }
}

function batch(vocab: number, T: number, B: number, seed: number): { input: IntTensor; target: IntTensor } {
  const r = new Random(seed);
  const ids = Array.from({ length: (T + 1) * B }, () => r.int(vocab));
  return { input: new IntTensor(ids.slice(0, T * B), [T, B], { persistent: true }), target: new IntTensor(ids.slice(B), [T * B], { persistent: true }) };
}

const DROPOUTS_OFF = { dropout: 0, dropouth: 0, dropouti: 0, dropoute: 0, dropoutl: 0 };

const SHAPES = {
  // AWD/MoS WeightDrop: F.dropout on the raw W_hh, m ∈ {0, 1/(1−p)}, E[m²] = 1/(1−p) = 2.
  mos: { p: 0.5, build: (rng: Random) => createModel('awd-lstm-mos-ptb', { vocab: 40, emsize: 10, nhid: 14, nhidlast: 10, nExperts: 2, ...DROPOUTS_OFF, wdrop: 0.5 }, rng) },
  // ON-LSTM LinearDropConnect: m ∈ {0, 1}, E[m²] = 1 − p = 0.55.
  onlstm: { p: 0.45, build: (rng: Random) => createModel('selfish-onlstm', { vocab: 40, emsize: 8, nhid: 12, nlayers: 2, chunkSize: 2, dropout: 0, dropouth: 0, dropouti: 0, dropoute: 0, wdrop: 0.45 }, rng) },
};

for (const [shape, { p, build }] of Object.entries(SHAPES)) {
  test(`clip norm under DropConnect (${shape}): the estimate's mean over masks is the official masked dense norm's`, () => {
    const rng = new ScriptedRandom(3);
    const model = build(rng) as LanguageModel;
    // Only the recurrent matrices are sparse, so every absent position is one DropConnect drops.
    const engine: SparseEngine = createSparsity(model, { method: 'static', density: 0.3, totalSteps: 1, seed: 4, include: (n) => /hh/.test(n) && !n.includes('bias') });
    const hh = engine.sparseNames().map((n) => engine.matrix(n));
    assert.ok(hh.length >= 2, `recurrent matrices: ${engine.sparseNames().join(', ')}`);
    // And only they train, so the norm is theirs: the part DropConnect acts on, not diluted by the decoder's.
    for (const [name, t] of model.namedParameters()) if (!engine.sparseNames().includes(name)) t.requiresGrad = false;
    const { input, target } = batch(40, 6, 4, 5);
    const u = new Random(6);
    const backward = () => tidy(() => { model.forward(input, target).loss.backward(); });
    const squares = () => clipGradNorm(model.parameters(), Infinity) ** 2;
    const masks = 300;
    let official = 0, ours = 0, sampled = 0, undropped = 0, officialAbsent = 0, oursAbsent = 0;
    try {
      for (let k = 0; k < masks; k++) {
        // One factor draw per position of every W_hh (row-major); the sparse pass sees it at the stored positions.
        const dense = hh.map((W) => Float64Array.from({ length: W.rows * W.cols }, () => u.uniform()));
        const stored = hh.map((W, i) => {
          const rp = W.rowPtr.data, ci = W.colIdx.data, out = new Float64Array(W.nnz);
          for (let r = 0; r < W.rows; r++) for (let s = rp[r]!; s < rp[r + 1]!; s++) out[s] = dense[i]![r * W.cols + ci[s]!]!;
          return out;
        });
        const script = (parts: Float64Array[]) => { const all = new Float64Array(parts.reduce((n, a) => n + a.length, 0)); let o = 0; for (const a of parts) { all.set(a, o); o += a.length; } return all; };

        // The official computation: dense W (zeros at the absent positions), the factor drawn everywhere.
        rng.play(script(dense));
        const grads = engine.denseGradients(backward);
        assert.is(rng.stop(), script(dense).length);
        let absentSq = 0, all = 0;
        grads.forEach((g, i) => {
          const W = hh[i]!, present = new Uint8Array(W.rows * W.cols), rp = W.rowPtr.data, ci = W.colIdx.data;
          for (let r = 0; r < W.rows; r++) for (let s = rp[r]!; s < rp[r + 1]!; s++) present[r * W.cols + ci[s]!] = 1;
          g.forEach((v, j) => { all += v * v; if (!present[j]) absentSq += v * v; });
        });
        official += all;
        officialAbsent += absentSq;

        // Ours: the sparse forward (the factor at the stored positions only) and the exact probe.
        for (const [mode, opts] of [['exact', { mode: 'exact' }], ['sampled', { mode: 'sampled', exactBelow: 0, fraction: 0.3, seed: k }]] as const) {
          model.zeroGrad();
          rng.play(script(stored));
          const probe = beginDenseGradNorm(opts);
          backward();
          const r = probe.finish();
          rng.stop();
          const sq = squares() + r.absentSquares;
          if (mode === 'exact') {
            ours += sq;
            oursAbsent += r.absentSquares;
            undropped += squares() + r.absentSquares / ((shape === 'mos') ? 1 / (1 - p) : 1 - p);
          } else sampled += sq;
        }
        model.zeroGrad();
      }
    } finally {
      model.dispose(); input.dispose(); target.dispose();
    }
    const rel = (a: number, b: number) => Math.abs(a - b) / b;
    const [normOfficial, normOurs, normSampled, normUndropped] = [official, ours, sampled, undropped].map((s) => Math.sqrt(s / masks));
    assert.ok(rel(oursAbsent, officialAbsent) < 0.02, `${shape}: absent part ${oursAbsent / masks} vs official ${officialAbsent / masks}`);
    assert.ok(rel(normOurs, normOfficial) < 0.01, `${shape}: dense-exact ${normOurs} vs official ${normOfficial}`);
    assert.ok(rel(normSampled, normOfficial) < 0.01, `${shape}: dense (sampled) ${normSampled} vs official ${normOfficial}`);
    // The test can tell: without the factor the norm is off by more than its tolerance.
    assert.ok(rel(normUndropped, normOfficial) > 0.03, `${shape}: the undropped estimate ${normUndropped} should differ from ${normOfficial}`);
  });
}

// ---- SNFS: the momentum of the step's own gradient ----------------------------------------------

for (const kind of ['stacked', 'mos'] as const) {
  test(`snfs (${kind}${kind === 'mos' ? ', tied' : ''}): the dense momentum is the β-accumulation of each step's clipped dense gradient`, () => {
    const vocab = 50;
    const model = (kind === 'stacked'
      ? createModel('lstm-small', { vocab, emsize: 10, nhid: 12, dropout: 0 }, new Random(1))
      : createModel('awd-lstm-mos-ptb', { vocab, emsize: 8, nhid: 10, nhidlast: 8, nExperts: 2, ...DROPOUTS_OFF, wdrop: 0 }, new Random(1))) as LanguageModel;
    const beta = 0.9, clip = 0.02;
    const engine = createSparsity(model, { method: 'snfs', density: 0.3, totalSteps: 1000, seed: 2, momentumBeta: beta });
    assert.ok(engine.needsStepGradients);
    const opt = new SGD(model.parameters(), { lr: 0.5 });
    engine.attachOptimizer(opt);
    const names = engine.sparseNames();
    const reference = names.map((n) => new Float32Array(engine.matrix(n).rows * engine.matrix(n).cols));
    let clipped = 0, live = 0;
    try {
      for (let step = 1; step <= 5; step++) {
        const { input, target } = batch(vocab, 6, 3, 10 + step);
        const backward = () => tidy(() => { model.forward(input, target).loss.backward(); });
        // Reference: the same batch through dense weights (zeros at the absent positions), before the step.
        let otherSquares = 0;
        const dense = engine.denseGradients(() => {
          backward();
          for (const [name, t] of model.namedParameters()) if (!names.includes(name) && t.grad) otherSquares += t.grad.toArray().reduce((a, g) => a + g * g, 0);
        });
        const denseNorm = Math.sqrt(otherSquares + dense.reduce((a, g) => a + g.reduce((b, v) => b + v * v, 0), 0));
        // Ours, as the trainer does it: capture during the backward, clip, step, onStep.
        const probe = beginDenseGradNorm({ mode: 'sampled', capture: true });
        backward();
        const measured = probe.finish();
        const norm = clipGradNorm(model.parameters(), clip, measured.absentSquares);
        assert.ok(Math.abs(norm - denseNorm) / denseNorm < 1e-5, `the captured gradient gives the dense norm exactly: ${norm} vs ${denseNorm}`);
        const scale = clipCoefficient(norm, clip);
        if (scale < 1) clipped++;
        opt.step();
        assert.is(engine.onStep({ step, epoch: 1, stepGradients: { absent: measured.absentGradients!, scale } }), null);
        model.zeroGrad();
        reference.forEach((m, i) => { const g = dense[i]!; for (let k = 0; k < m.length; k++) m[k] = beta * m[k]! + scale * g[k]!; });
        input.dispose(); target.dispose();
        if (step === 1) live = memoryStats().liveBytes;
      }
      assert.is(memoryStats().liveBytes, live, 'the captured buffers are freed every step');
      const arrays = engine.stateDict().arrays;
      names.forEach((n, i) => {
        const got = arrays[`momentum.${n}`] as Float32Array, want = reference[i]!;
        let worst = 0, big = 0;
        for (let k = 0; k < want.length; k++) { worst = Math.max(worst, Math.abs(got[k]! - want[k]!)); big = Math.max(big, Math.abs(want[k]!)); }
        assert.ok(big > 0 && worst <= 2e-4 * big, `${n}: momentum off by ${worst} (largest ${big})`);
      });
      assert.is((engine.stateDict().meta as { momentumFeeds: number }).momentumFeeds, 5);
      assert.ok(clipped > 0, 'the clip scaled at least one step');
    } finally {
      model.dispose();
    }
  });
}

test('snfs in the trainer: no second forward pass; the momentum is fed from every step', async () => {
  const full = loadDefaultCorpus({ maxVocab: 200 });
  const corpus: Corpus = { vocab: full.vocab, train: full.train.slice(0, 6_000), valid: full.valid.slice(0, 600), test: full.test.slice(0, 600) };
  const forwards = async (method: 'snfs' | 'selfish', clipNorm: 'dense' | 'active') => {
    const config = resolveTrainConfig({ model: 'lstm-small', lm: { emsize: 10, nhid: 10, dropout: 0 }, batchSize: 8, bptt: 10, epochs: 1, method, density: 0.4, updateEvery: 3, clipNorm }, corpus.vocab.size);
    const trainer = await Trainer.create({ config, corpus, store: memoryStore(), sparsity: engineSparsity, maxSteps: 7 });
    let calls = 0;
    const forward = trainer.model.forward.bind(trainer.model);
    // Training-mode forwards only (the final evaluation at --max-steps runs in evaluation mode).
    trainer.model.forward = (...a: Parameters<typeof forward>) => { if (trainer.model.training) calls++; return forward(...a); };
    try {
      await trainer.run();
      const meta = (trainer.engine as SparseEngine).stateDict().meta as { momentumFeeds: number; updates: number };
      return { calls, feeds: meta.momentumFeeds, updates: meta.updates };
    } finally {
      trainer.dispose();
    }
  };
  for (const clipNorm of ['dense', 'active'] as const) {
    const snfs = await forwards('snfs', clipNorm);
    assert.equal(snfs, { calls: 7, feeds: 7, updates: 2 }, `snfs, --clip-norm ${clipNorm}`);
  }
  assert.is((await forwards('selfish', 'dense')).calls, 7);
});

// ---- GraNet: one global magnitude threshold; gmp: every layer to the density -------------------

test('granet prunes under one global magnitude threshold (a tensor of small weights loses more); gmp prunes every layer to the density', () => {
  const result = (method: 'granet' | 'gmp') => {
    const vocab = 30;
    const model = createModel('lstm-small', { vocab, emsize: 8, nhid: 8, dropout: 0 }, new Random(7)) as LanguageModel;
    // Death rate 0: GraNet's prune-and-regrow after the gradual prune removes (and regrows) nothing.
    const engine = createSparsity(model, { method, density: 0.2, totalSteps: 100, updateEvery: 10, seed: 8, strategies: { deathRate: () => 0 } });
    const small = 'rnn.weight_hh_l0';
    const v = engine.matrix(small).values.data;
    for (let i = 0; i < v.length; i++) v[i] = v[i]! * 0.01;
    const before = new Map(engine.sparseNames().map((n) => [n, denseOf(engine, n)]));
    const { input, target } = batch(vocab, 5, 3, 9);
    try {
      const report = engine.onStep({ step: 10, epoch: 1, denseGradient: () => tidy(() => { model.forward(input, target).loss.backward(); }) })!;
      assert.ok(report !== null);
      let numel = 0, nnz = 0, largestPruned = 0, smallestKept = Infinity;
      const density = new Map<string, number>();
      for (const n of engine.sparseNames()) {
        const was = before.get(n)!, now = denseOf(engine, n);
        numel += was.length;
        let kept = 0;
        for (let j = 0; j < was.length; j++) {
          if (now.present[j]) { kept++; smallestKept = Math.min(smallestKept, Math.abs(was.values[j]!)); }
          else largestPruned = Math.max(largestPruned, Math.abs(was.values[j]!));
        }
        nnz += kept;
        density.set(n, kept / was.length);
      }
      return { density, small, numel, nnz, largestPruned, smallestKept, d: 1 - 0.8 * (1 - (1 - 10 / 75) ** 3) };
    } finally {
      model.dispose(); input.dispose(); target.dispose();
    }
  };
  const g = result('granet');
  assert.is(g.nnz, Math.round(g.d * g.numel), 'the total meets d_t');
  assert.ok(g.largestPruned <= g.smallestKept, `one threshold: largest pruned |w| ${g.largestPruned} ≤ smallest kept ${g.smallestKept}`);
  const others = [...g.density].filter(([n]) => n !== g.small).map(([, x]) => x);
  assert.ok(g.density.get(g.small)! < 0.5 * Math.min(...others), `the small-weight tensor keeps ${g.density.get(g.small)}, the others ≥ ${Math.min(...others)}`);
  const m = result('gmp');
  for (const [n, x] of m.density) assert.ok(Math.abs(x - m.d) < 0.01, `gmp: ${n} at ${x}, every layer at d_t = ${m.d}`);
});

/** A sparse weight as a dense array of values and a presence mask. */
function denseOf(engine: SparseEngine, name: string): { values: Float32Array; present: Uint8Array; length: number } {
  const W = engine.matrix(name), values = new Float32Array(W.rows * W.cols), present = new Uint8Array(W.rows * W.cols);
  const rp = W.rowPtr.data, ci = W.colIdx.data, v = W.values.data;
  for (let r = 0; r < W.rows; r++) for (let s = rp[r]!; s < rp[r + 1]!; s++) { values[r * W.cols + ci[s]!] = v[s]!; present[r * W.cols + ci[s]!] = 1; }
  return { values, present, length: values.length };
}

// ---- SNT-ASGD: the per-batch learning rate of random BPTT lengths reaches the sparse weights ------

test('SNT-ASGD under a per-batch lr (random BPTT): sparse tensors step like dense ASGD, not frozen at the first lr', () => {
  const base = 2, scales = [1.1, 0.5, 0.9, 1.3, 0.8, 1];
  const grads = [[0.3, -0.2, 0.1], [0.05, 0.4, -0.3], [-0.1, 0.2, 0.25], [0.2, -0.1, 0.05], [0.1, 0.1, -0.2], [-0.3, 0.05, 0.1]];
  const leaf = () => { const t = new Tensor([3], { requiresGrad: true, persistent: true }); t.data.set([0.5, -0.4, 0.2]); return t; };
  const sparse = leaf(), dense = leaf(), alone = leaf();
  const snt = new SNTASGD([sparse, dense], { lr: base, t0: 0, lambd: 0, sparse: [sparse] });
  const asgd = new ASGD([alone], { lr: base, t0: 0, lambd: 0 });
  const frozen = Float64Array.from([0.5, -0.4, 0.2]);
  grads.forEach((g, k) => {
    for (const p of [sparse, dense, alone]) { p.grad ??= new Tensor([3], { persistent: true }); p.grad.data.set(g); }
    // The trainer: lr × seq_len/bptt for this batch's step, then back.
    for (const opt of [snt, asgd]) { opt.lr = base * scales[k]!; opt.step(); opt.lr = base; }
    for (let j = 0; j < 3; j++) frozen[j] = frozen[j]! - base * scales[0]! * g[j]!;
  });
  const close = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).every((x, j) => Math.abs(x - b[j]!) < 1e-6);
  assert.ok(close(sparse.data, alone.data), `sparse ${Array.from(sparse.data)} vs dense ASGD ${Array.from(alone.data)}`);
  assert.ok(close(dense.data, alone.data), 'the dense tensor of the same optimizer too');
  assert.ok(!close(sparse.data, frozen), 'not the official frozen lr (lr × the first batch scale at every step)');
  snt.dispose(); asgd.dispose();
  for (const t of [sparse, dense, alone]) t.dispose();
});

test.run();
