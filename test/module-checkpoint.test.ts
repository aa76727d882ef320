// Checkpoints and exports of any Module (not only the library's language models): a user's own
// module, trained with SGD and a sparse engine, saves, reloads into fresh objects and continues
// bit-identically; a refused file leaves the model as it was; the safetensors export holds every
// weight by name.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CheckpointError, createSparsity, decodeSafetensors, exportSafetensors, Linear, loadCheckpoint, loadWeights, memoryStats, Module, mul, Random, randn,
  saveCheckpoint, SGD, sum, tanh, tidy, type SparseEngine, type Tensor,
} from '../src/index.js';

/** A two-layer perceptron written as a user would: nothing but public classes and ops. */
class MLP extends Module {
  readonly a: Linear;
  readonly b: Linear;
  constructor(rng: Random) {
    super();
    this.a = this.registerModule('a', new Linear(12, 16, { rng }));
    this.b = this.registerModule('b', new Linear(16, 5, { rng }));
  }
  forward(x: Tensor): Tensor {
    return this.b.forward(tanh(this.a.forward(x)));
  }
}

function setup(seed: number): { model: MLP; engine: SparseEngine; opt: SGD } {
  const model = new MLP(new Random(seed));
  const engine = createSparsity(model, { method: 'set', density: 0.5, totalSteps: 40, updateEvery: 5, seed: 3 });
  const opt = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  engine.attachOptimizer(opt);
  return { model, engine, opt };
}

function step(s: { model: MLP; engine: SparseEngine; opt: SGD }, k: number): number {
  const x = randn([8, 12], 1, 0, { rng: new Random(1000 + k) }); // the data of step k
  const loss = tidy(() => {
    const y = s.model.forward(x);
    const l = sum(mul(y, y));
    l.backward();
    return l.item();
  });
  x.dispose();
  s.opt.step();
  s.opt.zeroGrad();
  s.engine.onStep({ step: k, epoch: 1 });
  return loss;
}

const weightsOf = (m: Module): number[][] => m.namedWeights().map(([, w]) => ('rows' in w ? [...(w as { values: Tensor }).values.toArray(), ...(w as { colIdx: { data: Int32Array } }).colIdx.data] : [...(w as Tensor).toArray()]));

test('a user module with its optimizer and sparse engine saves, reloads into fresh objects and continues bit-identically', () => {
  const a = setup(1);
  for (let k = 1; k <= 12; k++) step(a, k);
  const bytes = saveCheckpoint({ model: a.model, optimizer: a.opt, engine: a.engine, meta: { step: 12, note: 'mine' } });

  const ckpt = loadCheckpoint<{ step: number; note: string }>(bytes, 'mlp.ckpt');
  assert.equal(ckpt.meta, { step: 12, note: 'mine' });
  // Fresh objects from another seed: everything comes from the file.
  const model = new MLP(new Random(77));
  const engine = createSparsity(model, { method: 'set', density: 0.5, totalSteps: 40, updateEvery: 5, seed: 99 });
  loadWeights(model, ckpt, ckpt.source);
  engine.loadStateDict(ckpt.engine!);
  const opt = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
  opt.loadStateDict(ckpt.optimizer!);
  engine.attachOptimizer(opt);
  const b = { model, engine, opt };
  assert.equal(weightsOf(b.model), weightsOf(a.model));
  for (let k = 13; k <= 30; k++) assert.is(step(b, k), step(a, k), `step ${k}`);
  assert.equal(weightsOf(b.model), weightsOf(a.model));
  for (const s of [a, b]) { s.opt.dispose(); s.model.dispose(); }
});

test('a refused file leaves the model untouched; a module checkpoint is not an LM checkpoint', () => {
  const s = setup(2);
  const bytes = saveCheckpoint({ model: s.model });
  const other = new MLP(new Random(5));
  const before = weightsOf(other);
  const ckpt = loadCheckpoint(bytes);
  // Corrupt the second weight's shape in the meta: the first must not have been written either.
  const bad = { ...ckpt, weights: { ...ckpt.weights, 'a.bias': { layout: 'dense' as const, shape: [3] } } };
  assert.throws(() => loadWeights(other, bad), (e: unknown) => e instanceof CheckpointError && /weight 'a\.bias'/.test((e as Error).message));
  assert.equal(weightsOf(other), before);
  assert.throws(() => loadCheckpoint(bytes.slice(0, bytes.length - 3), 'cut.ckpt'), /cut\.ckpt/);
  s.opt.dispose(); s.model.dispose(); other.dispose();
});

test('exportSafetensors of any module: every weight by name, sparse ones dense with a mask, aliases', () => {
  const s = setup(3);
  const st = decodeSafetensors(exportSafetensors(s.model, { aliases: [['head.weight', 'b.weight']], metadata: { mine: 'yes' } }));
  assert.equal(Object.keys(st.tensors).sort(), ['a.bias', 'a.weight', 'a.weight.mask', 'b.bias', 'b.weight', 'b.weight.mask', 'head.weight', 'head.weight.mask'].sort());
  assert.is(st.metadata?.mine, 'yes');
  const w = s.model.a.weight as unknown as { toDense(): Tensor };
  const dense = tidy(() => w.toDense().toArray());
  assert.equal(Array.from(st.tensors['a.weight']!.data as Float32Array), Array.from(dense));
  s.opt.dispose(); s.model.dispose();
  assert.ok(memoryStats().liveBytes >= 0);
});

test.run();
