// What a topology update costs next to the training it interrupts: one prune-and-regrow update
// of the zaremba-medium model (2×650, vocabulary 10 000 as PTB, every weight matrix sparse at
// density 0.33) against one PTB training epoch of the same sparse model. The epoch is estimated
// from measured training steps (forward + backward + SGD on batch 20 × bptt 35, the Selfish-RNN
// stacked-LSTM recipe, dropout 0.5 as configured) times 1328 steps per epoch (929 589 tokens / 20 / 35).
// Also measured: a 'set' update (same work, another death rule) and a 'rigl' update, which
// includes one dense forward/backward pass for the gradient.
//
// Run: npm run build && node build/bench/topology.bench.js
// Last line: {"suite":"topology","update_ms":u,"epoch_ms":e}
import { cpus } from 'node:os';
import { createModel, createSparsity, IntTensor, memoryStats, Random, SGD, simdSupported, tidy, type LanguageModel, type SparseMethod } from '../src/index.js';
import { printJsonLine } from './common.js';

const VOCAB = 10000, DENSITY = 0.33, B = 20, T = 35, STEPS_PER_EPOCH = 1328;
const TRAIN_STEPS = Number(process.env.TOPOLOGY_BENCH_STEPS ?? 3);
const UPDATES = Number(process.env.TOPOLOGY_BENCH_UPDATES ?? 3);

const rng = new Random(1);
function batch(): { input: IntTensor; target: IntTensor } {
  const ids = Array.from({ length: (T + 1) * B }, () => rng.int(VOCAB));
  return { input: new IntTensor(ids.slice(0, T * B), [T, B], { persistent: true }), target: new IntTensor(ids.slice(B), [T, B], { persistent: true }) };
}
const data = batch();

function trainStep(model: LanguageModel, opt: SGD): void {
  tidy(() => {
    model.zeroGrad();
    const { loss } = model.forward(data.input, data.target);
    loss.backward();
    opt.step();
  });
}

function setup(method: SparseMethod) {
  const model = createModel('zaremba-medium', { vocab: VOCAB }, new Random(2));
  const engine = createSparsity(model, { method, density: DENSITY, totalSteps: 39 * STEPS_PER_EPOCH, deathRate: 0.5, seed: 3 });
  const opt = new SGD(model.parameters(), { lr: 20 });
  engine.attachOptimizer(opt);
  return { model, engine, opt };
}

/** ms of each call of fn (n calls). */
function times(n: number, fn: (i: number) => void): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn(i);
    out.push(performance.now() - t0);
  }
  return out;
}
const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;

const rows: Record<string, string | number>[] = [];
let updateMs = 0, epochMs = 0;
for (const method of ['selfish', 'set', 'rigl'] as SparseMethod[]) {
  const { model, engine, opt } = setup(method);
  const denseGradient = () => tidy(() => { model.zeroGrad(); model.forward(data.input, data.target).loss.backward(); });
  if (method === 'selfish') {
    trainStep(model, opt); // warm-up
    const steps = times(TRAIN_STEPS, () => trainStep(model, opt));
    const stepMs = mean(steps);
    epochMs = stepMs * STEPS_PER_EPOCH;
    rows.push({ what: 'training step (fwd+bwd+SGD, sparse d=0.33)', 'ms (mean)': stepMs.toFixed(0), 'ms (min)': Math.min(...steps).toFixed(0), n: TRAIN_STEPS });
    rows.push({ what: `epoch estimate (× ${STEPS_PER_EPOCH} steps)`, 'ms (mean)': epochMs.toFixed(0), 'ms (min)': (Math.min(...steps) * STEPS_PER_EPOCH).toFixed(0), n: '' });
  }
  const upd: number[] = [];
  for (let i = 0; i < UPDATES; i++) {
    const t0 = performance.now();
    const r = engine.update((i + 1) * STEPS_PER_EPOCH, i + 1, denseGradient);
    upd.push(performance.now() - t0);
    if (r === null) throw new Error('no update happened');
    trainStep(model, opt); // the weights move between updates, as in training (not timed)
  }
  if (method === 'selfish') updateMs = mean(upd);
  rows.push({
    what: `topology update: ${method}`, 'ms (mean)': mean(upd).toFixed(0), 'ms (min)': Math.min(...upd).toFixed(0), n: UPDATES,
    density: engine.density().toFixed(4), 'wasm MB': (memoryStats().memoryBytes / 2 ** 20).toFixed(0),
  });
  model.dispose();
  opt.dispose();
}

console.log(`zaremba-medium (2×650), vocab ${VOCAB}, density ${DENSITY}, batch ${B} × bptt ${T}; ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, SIMD ${simdSupported}`);
console.table(rows);
console.log(`update / epoch (selfish): ${((100 * updateMs) / epochMs).toFixed(3)} %`);
printJsonLine({ suite: 'topology', update_ms: Math.round(updateMs), epoch_ms: Math.round(epochMs) });
