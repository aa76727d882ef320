// The topology engine on real (tiny) models: conversion, exact counts over many seeded updates,
// cell-gate redistribution, optimizer state across topology changes, dense equivalence at
// density 1, seeds, gmp, ER init, snfs momentum, state dicts and dense-gradient passes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createModel, createSparsity, CSRMatrix, erAllocation, IntTensor, memoryStats, Random, randn, SGD, tidy, topologyDistance,
  type LanguageModel, type Module, type SparseEngine, type SparseEngineOptions, type StepEvent, type StepGradients, type Tensor, type Topology,
} from '../src/index.js';

/** The engine's hook at an epoch end (epoch, step), as the trainer calls it. */
const epochEnd = (e: { onStep: SparseEngine['onStep'] }, epoch: number, step: number, opts: Omit<StepEvent, 'step' | 'epoch' | 'epochEnd'> = {}) => e.onStep({ step, epoch, epochEnd: true, ...opts });
/** The engine's hook after an optimizer step (step, epoch). */
const afterStep = (e: { onStep: SparseEngine['onStep'] }, step: number, epoch: number, opts: Omit<StepEvent, 'step' | 'epoch' | 'epochEnd'> = {}) => e.onStep({ step, epoch, ...opts });


const TINY = { vocab: 17, emsize: 6, nhid: 7 };
const SPARSE_NAMES = ['encoder.weight', 'rnn.weight_ih_l0', 'rnn.weight_hh_l0', 'rnn.weight_ih_l1', 'rnn.weight_hh_l1', 'decoder.weight'];

function tiny(seed = 1, overrides: Record<string, number> = {}): LanguageModel {
  return createModel('zaremba-small', { ...TINY, ...overrides }, new Random(seed));
}

/** Simulated training between updates: seeded noise on every sparse weight's values. */
function perturb(model: Module, rng: Random, scale = 0.05): void {
  for (const [, w] of model.namedWeights()) {
    if (!(w instanceof CSRMatrix)) continue;
    const v = w.values.data;
    for (let i = 0; i < v.length; i++) v[i] += scale * rng.normal();
  }
}

/** A fake dense-gradient pass: seeded random gradients on every 2-D dense weight (the swapped-in ones). */
function fakeDenseGradient(model: Module, rng: Random): () => void {
  return () => {
    for (const [, w] of model.namedWeights()) {
      if (w instanceof CSRMatrix || w.rank !== 2) continue;
      w.grad?.dispose();
      w.grad = randn(w.shape, 1, 0, { persistent: true, rng });
    }
  };
}

/** A fake step's gradient as the trainer captures it: seeded noise on the stored weights' .grad and at the absent positions. */
function fakeStepGradients(engine: SparseEngine, rng: Random): StepGradients {
  const absent = new Map<CSRMatrix, Float32Array>();
  for (const name of engine.sparseNames()) {
    const W = engine.matrix(name);
    W.values.grad?.dispose();
    W.values.grad = randn([W.nnz], 1, 0, { persistent: true, rng });
    const a = Float32Array.from({ length: W.rows * W.cols }, () => rng.normal());
    const rp = W.rowPtr.data, ci = W.colIdx.data;
    for (let r = 0; r < W.rows; r++) for (let s = rp[r]!; s < rp[r + 1]!; s++) a[r * W.cols + ci[s]!] = 0;
    absent.set(W, a);
  }
  return { absent, scale: 1 };
}

/** A real forward/backward pass on a fixed batch. */
function batch(seed: number, T = 5, B = 3, V = TINY.vocab): { input: IntTensor; target: IntTensor } {
  const r = new Random(seed);
  const ids = Array.from({ length: (T + 1) * B }, () => r.int(V));
  return {
    input: new IntTensor(ids.slice(0, T * B), [T, B], { persistent: true }),
    target: new IntTensor(ids.slice(B), [T, B], { persistent: true }),
  };
}

function lossOf(model: LanguageModel, b: { input: IntTensor; target: IntTensor }, backward: boolean): number {
  return tidy(() => {
    const out = model.forward(b.input, b.target);
    if (backward) out.loss.backward();
    return out.loss.item();
  });
}

function realDenseGradient(model: LanguageModel, b: { input: IntTensor; target: IntTensor }): () => void {
  return () => { model.zeroGrad(); lossOf(model, b, true); };
}

function topoKey(t: Topology): string {
  return [...t].map(([n, p]) => `${n}:${p.rowPtr.join(',')}|${p.colIdx.join(',')}`).join(';');
}

// ---- conversion ------------------------------------------------------------------------------

test('createSparsity converts every weight matrix (not biases) to CSR at exactly round(d·numel), values kept unscaled', () => {
  const dense = tiny(1);
  const model = tiny(1);
  const engine = createSparsity(model, { method: 'selfish', density: 0.3, totalSteps: 100, seed: 5 });
  assert.equal(engine.sparseNames(), SPARSE_NAMES);
  const before = new Map(dense.namedWeights());
  for (const [name, w] of model.namedWeights()) {
    if (name.includes('bias')) { assert.not.ok(w instanceof CSRMatrix, `${name} stays dense`); continue; }
    assert.ok(w instanceof CSRMatrix, `${name} is sparse`);
    const csr = w as CSRMatrix;
    assert.is(csr.nnz, Math.round(0.3 * csr.rows * csr.cols), name);
    assert.ok(csr.values.requiresGrad);
    const d = (before.get(name) as Tensor).data, rows = csr.rowOfSlots();
    const cols = csr.colIdx.data, vals = csr.values.data;
    for (let s = 0; s < csr.nnz; s++) assert.is(vals[s], d[rows[s]! * csr.cols + cols[s]!], `${name} slot ${s} keeps its dense value`);
  }
  const params = model.parameters();
  assert.ok(params.includes((model.namedWeights().find(([n]) => n === 'decoder.weight')![1] as CSRMatrix).values));
  assert.ok(Math.abs(engine.density() - 0.3) < 0.01);
  assert.throws(() => createSparsity(tiny(), { method: 'nope' as 'selfish', density: 0.3, totalSteps: 10 }), /unknown method 'nope'/);
  assert.throws(() => createSparsity(tiny(), { method: 'selfish', density: 1.5, totalSteps: 10 }), /density must be in \(0, 1\]/);
  assert.throws(() => createSparsity(tiny(), { method: 'selfish', density: 0.5, totalSteps: 10, include: () => false }), /no parameter matches/);
});

test('tied weights (AWD-LSTM-MoS): converting encoder.weight makes the decoder read the same CSR matrix', () => {
  const model = createModel('awd-lstm-mos-ptb', {
    vocab: 11, emsize: 4, nhid: 5, nhidlast: 4, nlayers: 2, nExperts: 2, dropout: 0, dropouth: 0, dropouti: 0, dropoute: 0, dropoutl: 0, wdrop: 0,
  }, new Random(2)) as LanguageModel & { decoder: { weight: unknown }; encoder: { weight: unknown } };
  const engine = createSparsity(model, { method: 'selfish', density: 0.5, totalSteps: 10, seed: 1 });
  assert.ok(model.encoder.weight instanceof CSRMatrix);
  assert.is(model.decoder.weight, model.encoder.weight);
  assert.not.ok(engine.sparseNames().includes('decoder.weight'), 'the tied weight is one tensor');
  engine.update(1, 0);
  assert.is(model.decoder.weight, model.encoder.weight, 'still tied after a topology change');
  const b = batch(3, 4, 2, 11);
  assert.ok(Number.isFinite(lossOf(model, b, true)));
});

// ---- exact counts ----------------------------------------------------------------------------

for (const method of ['selfish', 'set', 'rigl', 'static'] as const) {
  test(`${method}: the nnz of every tensor and the global density stay exactly constant over 100 seeded updates`, () => {
    const model = tiny(3);
    const engine = createSparsity(model, { method, density: 0.4, totalSteps: 1000, deathRate: 0.5, seed: 11 });
    const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    engine.attachOptimizer(opt);
    const counts = engine.nnz(), density = engine.density();
    const noise = new Random(12), grads = new Random(13);
    let changed = 0;
    const start = topoKey(engine.topology());
    for (let u = 1; u <= 100; u++) {
      perturb(model, noise);
      const report = epochEnd(engine, u, u * 10, { denseGradient: fakeDenseGradient(model, grads) });
      if (method === 'static') { assert.is(report, null); continue; }
      assert.ok(report !== null);
      for (const t of report!.tensors) {
        assert.is(t.nnz, counts.get(t.name), `update ${u} ${t.name}`);
        assert.is(t.removed, t.grown, `update ${u} ${t.name}: regrown = removed`);
      }
      assert.equal(engine.nnz(), counts);
      assert.is(engine.density(), density);
      if (report!.tensors.some((t) => t.removed > 0)) changed++;
    }
    if (method === 'static') assert.is(topoKey(engine.topology()), start);
    else {
      assert.ok(changed > 90, `${changed} updates removed something`);
      assert.ok(topologyDistance(engine.topology(), new Map([...engine.topology()])) === 0);
    }
    assert.is(opt.params.length, model.parameters().length);
    model.parameters().forEach((p, i) => assert.is(opt.params[i], p, 'the optimizer follows the new values tensors'));
  });
}

test('snfs: momentum growth and redistribution keep the TOTAL nnz exact while tensors trade weights', () => {
  const model = tiny(4);
  const engine = createSparsity(model, { method: 'snfs', density: 0.4, totalSteps: 1000, deathRate: 0.5, seed: 21 });
  const total = [...engine.nnz().values()].reduce((a, b) => a + b, 0);
  const start = engine.nnz();
  const noise = new Random(22), grads = new Random(23);
  let moved = false;
  for (let step = 1; step <= 60; step++) {
    perturb(model, noise, 0.02);
    afterStep(engine, step, 0, { stepGradients: fakeStepGradients(engine, grads) }); // feeds the dense momentum
    if (step % 10 === 0) {
      const r = epochEnd(engine, step / 10, step)!;
      assert.is(r.tensors.reduce((s, t) => s + t.nnz, 0), total, `update at ${step}`);
      if (r.tensors.some((t) => t.nnz !== start.get(t.name))) moved = true;
    }
  }
  assert.ok(moved, 'momentum redistribution moved weights between tensors');
  assert.throws(() => epochEnd(createSparsity(tiny(5), { method: 'snfs', density: 0.4, totalSteps: 10 }), 1, 1), /no stepGradients since the last update/);
});

test('exactCounts false: the official Bernoulli growth, counts fluctuate around each budget without drifting', () => {
  const model = tiny(6, { emsize: 16, nhid: 16 });
  const engine = createSparsity(model, { method: 'selfish', density: 0.4, totalSteps: 1000, exactCounts: false, seed: 31 });
  const base = engine.stateDict().arrays.baseline as Int32Array;
  const noise = new Random(32);
  let differs = 0, sumDev = 0, n = 0;
  for (let u = 1; u <= 30; u++) {
    perturb(model, noise);
    const r = epochEnd(engine, u, u)!;
    r.tensors.forEach((t, i) => { if (t.nnz !== base[i]) differs++; sumDev += t.nnz - base[i]!; n++; });
  }
  assert.ok(differs > 0, 'Bernoulli counts are not exact');
  assert.ok(Math.abs(sumDev / n) < 3, `mean deviation ${sumDev / n}`);
});

// ---- cell-gate redistribution ------------------------------------------------------------------

test('per-gate counts sum to the tensor count and become non-uniform when gate blocks have different scales', () => {
  const model = tiny(7, { emsize: 16, nhid: 16 });
  const engine = createSparsity(model, { method: 'selfish', density: 0.5, totalSteps: 1000, seed: 41, strategies: { deathRate: () => 0.3 } });
  const scales = [0.01, 0.1, 1, 10];
  const H = 16, rng = new Random(42);
  const name = 'rnn.weight_hh_l0';
  // Gate q's weights live at scale scales[q]; new weights (0) get a value at their gate's scale,
  // as training would give them: magnitude pruning then takes mostly from the small gates.
  const rescale = (fresh: boolean) => {
    const m = engine.matrix(name), rows = m.rowOfSlots(), v = m.values.data;
    for (let s = 0; s < v.length; s++) {
      const q = Math.floor(rows[s]! / H);
      if (!fresh) v[s] = v[s]! * scales[q]! * 10;
      else if (v[s] === 0) v[s] = rng.normal() * scales[q]!;
    }
  };
  rescale(false);
  const first = engine.gateStats().find((g) => g.name === name)!;
  assert.ok(Math.max(...first.nnz) - Math.min(...first.nnz) < 0.25 * first.nnz[0]!, `initially near-uniform: ${first.nnz}`);
  let last = first;
  for (let u = 1; u <= 20; u++) {
    const r = epochEnd(engine, u, u)!;
    rescale(true);
    last = r.gates.find((g) => g.name === name)!;
    const nnz = r.tensors.find((t) => t.name === name)!.nnz;
    assert.is(last.nnz.reduce((a, b) => a + b, 0), nnz, 'gate counts sum to the tensor count');
    last.density.forEach((d, q) => assert.ok(Math.abs(d - last.nnz[q]! / (H * 16)) < 1e-12));
  }
  assert.ok(last.nnz[0]! < 0.6 * last.nnz[3]!, `the 0.01-scale gate lost weights to the 10-scale gate: ${last.nnz}`);
  assert.equal(engine.gateStats().map((g) => g.name), ['rnn.weight_ih_l0', 'rnn.weight_hh_l0', 'rnn.weight_ih_l1', 'rnn.weight_hh_l1']);
});

// ---- optimizer state and values across a topology change -----------------------------------

test('SGD momentum and weight values follow their coordinates across an update; new entries start at 0', () => {
  const model = tiny(8);
  const engine = createSparsity(model, { method: 'selfish', density: 0.5, totalSteps: 100, deathRate: 0.6, seed: 51 });
  const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  engine.attachOptimizer(opt);
  const b = batch(9);
  for (let k = 0; k < 2; k++) { model.zeroGrad(); lossOf(model, b, true); opt.step(); }
  const names = model.namedParameters().map(([n]) => n);
  const snapshot = () => {
    const st = opt.stateDict().arrays;
    const out = new Map<string, Map<number, [number, number]>>();
    for (const name of SPARSE_NAMES) {
      const m = engine.matrix(name), rows = m.rowOfSlots(), cols = m.colIdx.data, vals = m.values.data;
      const mom = st[`${names.indexOf(name)}.momentum_buffer`] as Float32Array;
      const map = new Map<number, [number, number]>();
      for (let s = 0; s < m.nnz; s++) map.set(rows[s]! * m.cols + cols[s]!, [vals[s]!, mom[s]!]);
      out.set(name, map);
    }
    return out;
  };
  const before = snapshot();
  const report = engine.update(1, 1)!;
  const after = snapshot();
  let survivors = 0, fresh = 0;
  for (const name of SPARSE_NAMES) {
    const a = before.get(name)!, z = after.get(name)!;
    for (const [pos, [v, m]] of z) {
      const old = a.get(pos);
      if (old === undefined) { assert.is(v, 0, `${name} new weight value`); assert.is(m, 0, `${name} new weight momentum`); fresh++; }
      else { assert.is(v, old[0]); assert.is(m, old[1]); if (m !== 0) survivors++; }
    }
    const t = report.tensors.find((x) => x.name === name)!;
    assert.is(z.size, t.nnz);
  }
  assert.ok(survivors > 20 && fresh > 20, `${survivors} survivors with momentum, ${fresh} new entries`);
  // The next step runs on the new tensors with the carried state.
  model.zeroGrad();
  assert.ok(Number.isFinite(lossOf(model, b, true)));
  opt.step();
});

test('an optimizer that does not hold the sparse weights is refused before anything changes', () => {
  const model = tiny(9), other = tiny(9);
  const stranger = new SGD(other.parameters(), { lr: 0.1 });
  const engine = createSparsity(model, { method: 'selfish', density: 0.5, totalSteps: 100, seed: 1 });
  engine.attachOptimizer(stranger);
  const t0 = topoKey(engine.topology());
  assert.throws(() => engine.update(1, 1), /does not hold the values of .*model.parameters\(\)/);
  assert.is(topoKey(engine.topology()), t0);
  model.dispose();
  other.dispose();
});

// ---- equivalence with dense training at density 1 ---------------------------------------------

test('sparse training at density 1.0 gives the same losses as dense training (SGD, with an update in between)', () => {
  const dense = tiny(10), sparse = tiny(10);
  const engine = createSparsity(sparse, { method: 'selfish', density: 1, totalSteps: 10, seed: 3 });
  assert.is(engine.density(), 1);
  const optD = new SGD(dense.parameters(), { lr: 0.5 }), optS = new SGD(sparse.parameters(), { lr: 0.5 });
  engine.attachOptimizer(optS);
  const b = batch(11);
  for (let step = 1; step <= 5; step++) {
    dense.zeroGrad(); sparse.zeroGrad();
    const ld = lossOf(dense, b, true), ls = lossOf(sparse, b, true);
    assert.ok(Math.abs(ld - ls) < 1e-5, `step ${step}: dense ${ld} vs sparse ${ls}`);
    optD.step(); optS.step();
    // At density 1 the only empty positions are the pruned ones: random growth revives them all.
    if (step === 2) {
      const r = engine.update(step, 0)!;
      assert.ok(r.tensors.every((t) => t.removed > 0 && t.grown === t.removed));
      assert.is(engine.density(), 1);
    }
  }
});

// ---- seeds and restorable state -------------------------------------------------------------

function runSequence(seed: number, updates: number): string[] {
  const model = tiny(12);
  const engine = createSparsity(model, { method: 'selfish', density: 0.4, totalSteps: 100, seed });
  const noise = new Random(99);
  const out = [topoKey(engine.topology())];
  for (let u = 1; u <= updates; u++) { perturb(model, noise); epochEnd(engine, u, u); out.push(topoKey(engine.topology())); }
  return out;
}

test('the same seed gives the same topology sequence; a different seed a different one', () => {
  const a = runSequence(7, 5), b = runSequence(7, 5), c = runSequence(8, 5);
  assert.equal(a, b);
  for (let i = 0; i < a.length; i++) assert.is.not(a[i], c[i], `topology ${i}`);
});

for (const method of ['selfish', 'snfs'] as const) {
  test(`${method}: stateDict / loadStateDict restore the engine exactly (same later topologies)`, () => {
    const opts: SparseEngineOptions = { method, density: 0.4, totalSteps: 100, deathRate: 0.5, seed: 61, updateEvery: 3 };
    const a = tiny(13);
    const ea = createSparsity(a, opts);
    const noiseA = new Random(1), gradsA = new Random(2);
    const feed = (model: LanguageModel, engine: SparseEngine, grads: Random) => (method === 'snfs' ? { stepGradients: fakeStepGradients(engine, grads) } : { denseGradient: fakeDenseGradient(model, grads) });
    for (let step = 1; step <= 7; step++) { perturb(a, noiseA); afterStep(ea, step, 0, feed(a, ea, gradsA)); }
    const state = ea.stateDict();
    const weights = SPARSE_NAMES.map((n) => {
      const m = ea.matrix(n);
      return { rows: m.rows, cols: m.cols, rp: m.rowPtr.data.slice(), ci: m.colIdx.data.slice(), v: m.values.toArray() };
    });
    const rest = (model: LanguageModel, engine: SparseEngine, noise: Random, grads: Random) => {
      const seq: string[] = [];
      for (let step = 8; step <= 16; step++) { perturb(model, noise); afterStep(engine, step, 0, feed(model, engine, grads)); seq.push(topoKey(engine.topology())); }
      return seq;
    };
    const noiseState = noiseA.getState(), gradState = gradsA.getState();
    const seqA = rest(a, ea, noiseA, gradsA);

    const resume = (load: boolean) => {
      const b = tiny(14); // different initial weights and topology: all replaced by the checkpoint
      const eb = createSparsity(b, { ...opts, seed: 999 });
      const owners = new Map<string, Module>([['', b], ...b.namedModules()]);
      SPARSE_NAMES.forEach((n, i) => {
        const w = weights[i]!, dot = n.lastIndexOf('.');
        const old = owners.get(n.slice(0, dot))!.setWeight(n.slice(dot + 1), CSRMatrix.fromParts([w.rows, w.cols], w.rp, w.ci, w.v, { name: n }));
        old.dispose();
      });
      if (load) eb.loadStateDict(state);
      const noiseB = new Random(0), gradsB = new Random(0);
      noiseB.setState(noiseState); gradsB.setState(gradState);
      return rest(b, eb, noiseB, gradsB);
    };
    assert.equal(resume(true), seqA);
    assert.is(new Set(seqA).size, 4, 'the topology at step 8, then after the updates at steps 9, 12 and 15');
    assert.is.not(resume(false)[0], seqA[1], 'control: without the engine state the next update differs');
    assert.throws(() => createSparsity(tiny(15), { ...opts, method: 'set' }).loadStateDict(state), /method/);
  });
}

// ---- gradient growth with a real dense-gradient pass -------------------------------------------

test('rigl: the dense-gradient pass swaps dense weights in and out, grows at the top missing |g|, leaves no gradients or memory behind', () => {
  const model = tiny(16);
  const engine = createSparsity(model, { method: 'rigl', density: 0.3, totalSteps: 100, seed: 71 });
  const opt = new SGD(model.parameters(), { lr: 0.1 });
  engine.attachOptimizer(opt);
  const b = batch(17);
  // Reference: the dense gradient of the current weights, computed independently.
  const g = engine.denseGradients(realDenseGradient(model, b));
  assert.ok(SPARSE_NAMES.every((n) => engine.matrix(n) instanceof CSRMatrix), 'CSR weights are back in place');
  for (const p of model.parameters()) if (p.grad) assert.ok(p.grad.data.every((x) => x === 0), 'gradients zeroed after the pass');
  const before = engine.topology();
  const live = memoryStats().liveBytes;
  const report = epochEnd(engine, 1, 50, { denseGradient: realDenseGradient(model, b) })!;
  const after = engine.topology();
  SPARSE_NAMES.forEach((name, i) => {
    const p0 = before.get(name)!, p1 = after.get(name)!;
    const had = new Set<number>(), has = new Set<number>();
    for (let r = 0; r < p0.rows; r++) for (let s = p0.rowPtr[r]!; s < p0.rowPtr[r + 1]!; s++) had.add(r * p0.cols + p0.colIdx[s]!);
    for (let r = 0; r < p1.rows; r++) for (let s = p1.rowPtr[r]!; s < p1.rowPtr[r + 1]!; s++) has.add(r * p1.cols + p1.colIdx[s]!);
    const newOnes = [...has].filter((p) => !had.has(p));
    // Every new position beats every position that stayed empty, by |g| (ties allowed).
    const minNew = Math.min(...newOnes.map((p) => Math.abs(g[i]![p]!)));
    let maxEmpty = 0;
    for (let p = 0; p < p0.rows * p0.cols; p++) if (!has.has(p)) maxEmpty = Math.max(maxEmpty, Math.abs(g[i]![p]!));
    if (newOnes.length > 0) assert.ok(minNew >= maxEmpty, `${name}: new |g| ≥ ${minNew}, an empty one has ${maxEmpty}`);
    assert.is(has.size, report.tensors[i]!.nnz);
  });
  assert.ok(memoryStats().liveBytes <= live + 4096, 'no dense copies left behind');
  assert.throws(() => epochEnd(engine, 2, 60), /needs the trainer's denseGradient/);
});

// ---- gmp, ER, dense, static ----------------------------------------------------------------

test('gmp: starts dense (CSR at density 1), reaches the target density on the cubic schedule, then stops', () => {
  const model = tiny(18);
  const engine = createSparsity(model, { method: 'gmp', density: 0.2, totalSteps: 100, updateEvery: 10, seed: 81 });
  assert.is(engine.density(), 1);
  const numel = new Map(SPARSE_NAMES.map((n) => [n, engine.matrix(n).rows * engine.matrix(n).cols]));
  let prev = 1;
  for (let step = 1; step <= 100; step++) {
    const r = afterStep(engine, step, 0);
    if (step % 10 !== 0) { assert.is(r, null); continue; }
    const d = step >= 75 ? 0.2 : 1 - 0.8 * (1 - (1 - step / 75) ** 3);
    for (const n of SPARSE_NAMES) assert.is(engine.matrix(n).nnz, Math.round(d * numel.get(n)!), `${n} at step ${step}`);
    if (step < 70) assert.ok(r !== null && r.density < prev, `step ${step} pruned`);
    if (step > 80) assert.is(r, null, `nothing left to prune at ${step}`);
    prev = engine.density();
  }
  for (const n of SPARSE_NAMES) assert.is(engine.matrix(n).nnz, Math.round(0.2 * numel.get(n)!));
});

test('ER init: each tensor at round(min(1, ε(r+c)/(rc))·numel), ε from the official search', () => {
  const model = tiny(19);
  const engine = createSparsity(model, { method: 'selfish', density: 0.3, totalSteps: 100, sparseInit: 'ER', seed: 91 });
  const shapes = SPARSE_NAMES.map((n) => engine.matrix(n));
  const { epsilon, densities } = erAllocation(shapes, 0.3);
  shapes.forEach((m, i) => {
    assert.ok(Math.abs(densities[i]! - Math.min(1, (epsilon * (m.rows + m.cols)) / (m.rows * m.cols))) < 1e-12);
    assert.is(m.nnz, Math.round(densities[i]! * m.rows * m.cols), SPARSE_NAMES[i]);
  });
  assert.ok(densities[1]! !== densities[0]!, 'ER gives different densities to different shapes');
});

test('dense: nothing converted, hooks are no-ops; static never updates', () => {
  const model = tiny(20);
  const engine = createSparsity(model, { method: 'dense', density: 1, totalSteps: 10 });
  assert.ok(model.namedWeights().every(([, w]) => !(w instanceof CSRMatrix)));
  assert.is(engine.density(), 1);
  assert.is(afterStep(engine, 1, 0), null);
  assert.is(epochEnd(engine, 1, 1), null);
  assert.is(engine.gateStats()[0]!.nnz[0], 7 * 6);
  const s = createSparsity(tiny(21), { method: 'static', density: 0.5, totalSteps: 10, updateEvery: 1 });
  assert.is(afterStep(s, 1, 0), null);
  assert.is(epochEnd(s, 1, 1), null);
});

test('updates: per epoch by default (skipped on request), every k steps with updateEvery', () => {
  const model = tiny(22);
  const perEpoch = createSparsity(model, { method: 'selfish', density: 0.5, totalSteps: 100, seed: 1 });
  assert.is(afterStep(perEpoch, 10, 0), null);
  assert.is(epochEnd(perEpoch, 1, 10, { skip: true }), null);
  const r = epochEnd(perEpoch, 1, 10)!;
  assert.ok(Math.abs(r.deathRate - (0.005 + 0.5 * (0.5 - 0.005) * (1 + Math.cos((Math.PI * 10) / 100)))) < 1e-12);
  assert.is(r.tensors[0]!.removed, Math.ceil(r.deathRate * r.tensors[0]!.nnz));
  const every = createSparsity(tiny(23), { method: 'selfish', density: 0.5, totalSteps: 100, updateEvery: 4, seed: 1 });
  const hits = [1, 2, 3, 4, 5, 6, 7, 8].filter((s) => afterStep(every, s, 0) !== null);
  assert.equal(hits, [4, 8]);
  assert.is(epochEnd(every, 1, 8), null);
  assert.is(every.updateCount, 2);
});

test.run();
