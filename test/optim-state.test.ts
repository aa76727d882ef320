// stateDict / loadStateDict: a state saved mid-run (through the checkpoint format, to prove it
// is storable exactly), loaded into a fresh optimizer over fresh copies of the parameters, gives
// bit-identical subsequent steps. Also: what a load refuses, and that a refused load changes nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  Adam, ASGD, decodeCheckpoint, encodeCheckpoint, memoryStats, SGD, SNTASGD, tensor,
  type CheckpointTensor, type Optimizer, type OptimizerStateDict, type OptimizerStateMeta, type Tensor,
} from '../src/index.js';

function param(values: ArrayLike<number>): Tensor {
  return tensor(Array.from(values), undefined, { requiresGrad: true, persistent: true });
}
function setGrad(p: Tensor, g: number[] | null): void {
  p.grad?.dispose();
  p.grad = g === null ? null : tensor(g, undefined, { persistent: true });
}

/** Through the checkpoint format and back: meta as JSON, arrays as f32/i32 tensors. */
function viaCheckpoint(sd: OptimizerStateDict): OptimizerStateDict {
  const tensors: Record<string, CheckpointTensor> = {};
  for (const [k, a] of Object.entries(sd.arrays)) tensors[k] = { dtype: a instanceof Int32Array ? 'i32' : 'f32', shape: [a.length], data: a };
  const back = decodeCheckpoint<OptimizerStateMeta>(encodeCheckpoint({ meta: sd.meta, tensors }));
  const arrays: OptimizerStateDict['arrays'] = {};
  for (const [k, t] of Object.entries(back.tensors)) arrays[k] = t.data as Float32Array | Int32Array;
  return { meta: back.meta, arrays };
}

const grads = (k: number, sizes: number[]) => sizes.map((n, j) => Array.from({ length: n }, (_, i) => Math.sin(1.3 * k + 0.7 * i + j) * (0.5 + 0.1 * k)));

const cases: { name: string; make: (ps: Tensor[]) => Optimizer }[] = [
  { name: 'SGD (momentum, Nesterov, weight decay)', make: (ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 }) },
  { name: 'Adam', make: (ps) => new Adam(ps, { lr: 3e-3, betas: [0, 0.999], eps: 1e-9, weightDecay: 1.2e-6 }) },
  { name: 'ASGD (lambd, t0)', make: (ps) => new ASGD(ps, { lr: 0.4, lambd: 1e-2, t0: 1, weightDecay: 1.2e-6 }) },
  { name: 'SNT-ASGD (one sparse tensor, remapped)', make: (ps) => new SNTASGD(ps, { lr: 0.4, weightDecay: 1.2e-6, sparse: [ps[0]!] }) },
];

for (const c of cases) {
  test(`${c.name}: a loaded state dict gives bit-identical subsequent steps`, () => {
    let ps = [param([0.3, -0.2, 0.9, 1.4, -1]), param([0.05, -0.07])];
    const opt = c.make(ps);
    for (let k = 1; k <= 3; k++) { grads(k, ps.map((p) => p.size)).forEach((g, j) => setGrad(ps[j]!, g)); opt.step(); }
    // a topology change, so per-entry state is no longer uniform
    const w = ps[0]!.toArray();
    const q = param([w[4]!, 0, w[1]!, w[0]!]);
    opt.remapParam(ps[0]!, q, Int32Array.from([4, -1, 1, 0]));
    setGrad(ps[0]!, null);
    ps = [q, ps[1]!];
    setGrad(q, grads(4, [4])[0]!);
    ps[1]!.grad?.dispose();
    ps[1]!.grad = null; // the bias takes no step this time
    opt.step();
    opt.lr = opt.lr * 0.75;

    const saved = viaCheckpoint(opt.stateDict());
    const savedWeights = ps.map((p) => p.toArray());
    const trace: Float32Array[] = [];
    for (let k = 5; k <= 8; k++) { grads(k, ps.map((p) => p.size)).forEach((g, j) => setGrad(ps[j]!, g)); opt.step(); trace.push(...ps.map((p) => p.toArray())); }

    const ps2 = savedWeights.map(param);
    const opt2 = c.make(ps2);
    opt2.loadStateDict(saved);
    assert.is(opt2.lr, opt.lr, 'lr restored');
    const trace2: Float32Array[] = [];
    for (let k = 5; k <= 8; k++) { grads(k, ps2.map((p) => p.size)).forEach((g, j) => setGrad(ps2[j]!, g)); opt2.step(); trace2.push(...ps2.map((p) => p.toArray())); }
    assert.equal(trace2, trace, 'same weights, bit for bit');
    const s1 = opt.stateDict(), s2 = opt2.stateDict();
    assert.equal(s2.meta, s1.meta);
    assert.equal(s2.arrays, s1.arrays);
    opt.dispose();
    opt2.dispose();
    for (const p of [...ps, ...ps2]) { setGrad(p, null); p.dispose(); }
  });
}

test('loadStateDict refuses mismatches and leaves the optimizer unchanged', () => {
  const a = param([1, 2, 3]), b = param([4]);
  const opt = new Adam([a, b], { lr: 0.01, weightDecay: 0.1 });
  setGrad(a, [1, -1, 0.5]);
  opt.step();
  const good = opt.stateDict();
  const edit = (f: (sd: OptimizerStateDict) => void) => {
    const sd: OptimizerStateDict = { meta: JSON.parse(JSON.stringify(good.meta)), arrays: { ...good.arrays } };
    f(sd);
    return sd;
  };
  const fresh = new Adam([param([0, 0, 0]), param([0])], { lr: 0.5, weightDecay: 0.1 });
  const sgd = new SGD([a, b], { lr: 0.01 });
  assert.throws(() => sgd.loadStateDict(good), /state dict is of a 'Adam' optimizer/);
  assert.throws(() => new Adam([a, b], { weightDecay: 0.2 }).loadStateDict(good), /hyper-parameters differ: state dict has weightDecay=0.1, this optimizer has weightDecay=0.2/);
  assert.throws(() => new Adam([a], { weightDecay: 0.1 }).loadStateDict(good), /state dict has 2 parameters, this optimizer has 1/);
  assert.throws(() => fresh.loadStateDict(edit((sd) => { sd.meta.version = 2 as 1; })), /unsupported state dict version 2/);
  assert.throws(() => fresh.loadStateDict(edit((sd) => { sd.meta.params[0]!.size = 4; })), /parameter 0 has 3 entries, its state has 4/);
  assert.throws(() => fresh.loadStateDict(edit((sd) => { delete sd.arrays['0.exp_avg_sq']; })), /array '0.exp_avg_sq' must be a Float32Array, got nothing/);
  assert.throws(() => fresh.loadStateDict(edit((sd) => { sd.arrays['0.exp_avg'] = new Float32Array(2); })), /array '0.exp_avg' has 2 entries, parameter 0 has 3/);
  assert.throws(() => fresh.loadStateDict(edit((sd) => { sd.arrays['0.exp_avg'] = new Int32Array(3); })), /must be a Float32Array, got Int32Array/);
  assert.throws(() => fresh.loadStateDict(edit((sd) => { sd.arrays['1.exp_avg'] = new Float32Array(1); })), /unexpected arrays 1.exp_avg/);
  assert.throws(() => fresh.loadStateDict(edit((sd) => { sd.meta.params[0]!.scalars = { step: NaN }; })), /scalar 'step' is NaN/);
  assert.throws(() => fresh.loadStateDict(edit((sd) => { sd.meta.params[0]!.scalars = { steps: 1 }; })), /scalars \{steps\}, expected \{step\}/);
  assert.equal(fresh.stateDict().meta.params, [null, null], 'refused loads changed nothing');
  assert.is(fresh.lr, 0.5);
  fresh.loadStateDict(good);
  assert.equal(fresh.stateDict(), good);
  const snt = new SNTASGD([a, b], { lr: 1, sparse: [a] });
  assert.throws(() => new SNTASGD([a, b], { lr: 1, sparse: [b] }).loadStateDict(snt.stateDict()), /state dict has sparse=\[0\], this optimizer has sparse=\[1\]/);
  opt.dispose();
  fresh.dispose();
  for (const p of [a, b]) { setGrad(p, null); p.dispose(); }
});

test('optimizer state lives in wasm memory and dispose() returns it', () => {
  const p = param(new Float32Array(1000));
  setGrad(p, Array.from({ length: 1000 }, () => 1));
  const before = memoryStats().liveBytes;
  const opt = new Adam([p]);
  opt.step();
  assert.ok(memoryStats().liveBytes >= before + 2 * 4000, 'two moment buffers');
  opt.dispose();
  assert.is(memoryStats().liveBytes, before);
  setGrad(p, null);
  p.dispose();
});

test.run();
