// What the official clip semantics cost: a sparse training step (forward + backward + clip + SGD,
// batch 20 × bptt 35, density 0.33, vocabulary 10 000) with the clip norm over the active weights
// only ('active'), over the dense gradient with the row-stratified sample of the absent positions
// ('dense', the default) and over every absent position ('dense-exact'); and the sampled
// estimate's relative error against the exact dense norm on the same gradients (several seeds).
// Data: PTB's first tokens when ../shared/data/ptb exists (realistic gradients), else random ids.
// The model first takes WARMUP training steps so the gradients are not those of initialisation.
//
// Run: npm run bench -- clip-norm   (CLIP_BENCH_MODELS=lstm-small,lstm-medium, CLIP_BENCH_STEPS=4, CLIP_BENCH_WARMUP=20)
// Last line: {"suite":"clip-norm","models":{"<model>":{"step_ms":{"active":a,"dense":d,"dense-exact":e},"overhead_dense":x,"cpu_overhead_dense":c,"max_rel_error":r}}}
// The overheads are medians of per-round ratios, by wall time and by this process's CPU time.
import { existsSync } from 'node:fs';
import {
  beginDenseGradNorm, clipGradNorm, createModel, createSparsity, IntTensor, Random, SGD, tidy, type LanguageModel,
} from '../src/index.js';
import { loadWordCorpus } from '../src/node.js';

const VOCAB = 10000, DENSITY = 0.33, B = 20, T = 35;
const MODELS = (process.env.CLIP_BENCH_MODELS ?? 'lstm-small,lstm-medium').split(',');
const STEPS = Number(process.env.CLIP_BENCH_STEPS ?? 4);
const WARMUP = Number(process.env.CLIP_BENCH_WARMUP ?? 20);
const SEEDS = 10;
const PTB = '../shared/data/ptb';

const ids: number[] = [];
if (existsSync(PTB)) {
  const corpus = loadWordCorpus(PTB);
  for (let i = 0; i < (WARMUP + 2) * T * B + B; i++) ids.push(corpus.train[i]!);
} else {
  const r = new Random(1);
  for (let i = 0; i < (WARMUP + 2) * T * B + B; i++) ids.push(r.int(VOCAB));
}
/** Batch k: B parallel streams as the batchifier would, T steps. */
function batch(k: number): { input: IntTensor; target: IntTensor } {
  const cols = Math.floor(ids.length / B);
  const inp: number[] = [], tgt: number[] = [];
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) { inp.push(ids[b * cols + k * T + t]!); tgt.push(ids[b * cols + k * T + t + 1]!); }
  return { input: new IntTensor(inp, [T, B], { persistent: true }), target: new IntTensor(tgt, [T * B], { persistent: true }) };
}

type Mode = 'active' | 'dense' | 'dense-exact';
const modes: Mode[] = ['active', 'dense', 'dense-exact'];
const out: Record<string, unknown> = {};
const rows: string[] = [];
for (const name of MODELS) {
  const model = createModel(name, { vocab: VOCAB, dropout: 0 }, new Random(2)) as LanguageModel;
  createSparsity(model, { method: 'selfish', density: DENSITY, totalSteps: 1000, seed: 3 });
  const opt = new SGD(model.parameters(), { lr: 20 });
  const step = (k: number, mode: Mode, seed: number) => {
    const { input, target } = batch(k % (WARMUP + 1));
    const probe = mode === 'active' ? null : beginDenseGradNorm({ mode: mode === 'dense' ? 'sampled' : 'exact', seed });
    model.zeroGrad();
    tidy(() => model.forward(input, target).loss.backward());
    const extra = probe ? probe.finish().absentSquares : 0;
    clipGradNorm(model.parameters(), 0.25, extra);
    opt.step();
    input.dispose(); target.dispose();
  };
  for (let k = 0; k < WARMUP; k++) step(k, 'active', k);
  // Error of the estimate on one batch's gradients (no step in between).
  const { input, target } = batch(WARMUP);
  const grad = (mode: 'exact' | 'sampled', seed: number) => {
    model.zeroGrad();
    const probe = beginDenseGradNorm({ mode, seed });
    tidy(() => model.forward(input, target).loss.backward());
    const extra = probe.finish();
    return { norm: clipGradNorm(model.parameters(), Infinity, extra.absentSquares), active: clipGradNorm(model.parameters(), Infinity), ...extra };
  };
  const exact = grad('exact', 0);
  let maxErr = 0, probed = 0;
  for (let s = 1; s <= SEEDS; s++) {
    const g = grad('sampled', s);
    probed = g.probed / g.absent;
    maxErr = Math.max(maxErr, Math.abs(g.norm - exact.norm) / exact.norm);
  }
  input.dispose(); target.dispose();
  // Step times, the modes interleaved so machine noise hits them alike.
  const ms: Record<Mode, number[]> = { active: [], dense: [], 'dense-exact': [] };
  const cpu: Record<Mode, number[]> = { active: [], dense: [], 'dense-exact': [] }; // this process's CPU time: less sensitive to other jobs
  for (let i = 0; i < STEPS; i++) {
    for (const mode of modes) {
      const t0 = performance.now(), c0 = process.cpuUsage();
      step(WARMUP + 1 + i, mode, 100 + i);
      const c1 = process.cpuUsage(c0);
      ms[mode].push(performance.now() - t0);
      cpu[mode].push((c1.user + c1.system) / 1000);
    }
  }
  const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  const stepMs = Object.fromEntries(modes.map((m) => [m, +med(ms[m]).toFixed(1)])) as Record<Mode, number>;
  // The overhead is the median of the per-round ratios (the modes run back to back in each round,
  // so a burst of load from other jobs hits both sides of a ratio).
  const overhead = med(ms.dense.map((d, i) => d / ms.active[i]!)) - 1;
  const cpuOverhead = med(cpu.dense.map((d, i) => d / cpu.active[i]!)) - 1;
  out[name] = { step_ms: stepMs, overhead_dense: +overhead.toFixed(4), cpu_overhead_dense: +cpuOverhead.toFixed(4), overhead_exact: +(med(ms['dense-exact'].map((d, i) => d / ms.active[i]!)) - 1).toFixed(4), max_rel_error: +maxErr.toExponential(3), sampled_fraction: +probed.toFixed(4), dense_norm: +exact.norm.toFixed(5), active_norm: +exact.active.toFixed(5) };
  rows.push(`| ${name} | ${stepMs.active} | ${stepMs.dense} (wall ${(overhead * 100).toFixed(1)}%, CPU ${(cpuOverhead * 100).toFixed(1)}%) | ${stepMs['dense-exact']} | ${exact.active.toFixed(4)} | ${exact.norm.toFixed(4)} | ${(maxErr * 100).toFixed(3)}% (${(probed * 100).toFixed(1)}% sampled) |`);
  model.dispose();
}
console.log(`clip-norm: sparse step at density ${DENSITY}, batch ${B}×${T}, vocab ${VOCAB}, ${existsSync(PTB) ? 'PTB tokens' : 'random ids'}; median of ${STEPS} steps per mode\n`);
console.log('| model | step ms, active | step ms, dense (sampled) | step ms, dense-exact | active norm | dense norm | max rel. error of the estimate |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
console.log(JSON.stringify({ suite: 'clip-norm', models: out }));
