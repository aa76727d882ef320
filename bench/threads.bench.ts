// Threads: the speed-up of the worker pool on the kernels and on a whole training step.
//
//   kernels    GEMM, SpMM, SpMMᵀ, SDDMM and the fused LSTM step at zaremba-medium's shapes
//              (H = 650, batch 20, 35 steps: N = 20 per step, N = 700 per sequence), 1 thread vs
//              T threads (THREADS=n, default every core, at least 2).
//   threshold  a square GEMM and a SpMM of growing size on one thread vs split on T threads
//              (forced, whatever the dispatchers' thresholds): the smallest size where the split
//              wins is what src/backend/threads.ts's MIN_* constants should be near.
//   step       zaremba-medium's training step (forward, backward, clip, SGD; bench/lm-step.ts) at
//              density 1 and 0.33, 1 vs T threads: `step_speedup`.
//
// Rounds alternate 1 and T threads and keep each task's fastest sample (other processes on a
// shared machine only add time). Compare figures taken in one run; note the load (uptime).
//
// Run: npm run bench -- threads
// Last line: {"suite":"threads","threads":T,"step_speedup":{"zaremba-medium":{"1":x,"0.33":y}},
//             "step_tokens_per_s":{...},"kernel_speedup":{...},"threshold":{...}}
import { availableCores, kernels, Random, setThreads } from '../src/index.js';
import { runShared } from '../src/backend/pool.js';
import { bestAcross, csrKernels, formatTable, machineLine, printJsonLine, randomCsr, randomTensor, round, type BenchTask } from './common.js';
import { benchStep, threadsFromEnv } from './lm-step.js';

const T = Math.max(2, threadsFromEnv(await availableCores()));
const rng = new Random(7);
const rand = (shape: number[]) => randomTensor(rng, shape);
const sparse = (M: number, K: number, d: number) => randomCsr(rng, M, K, d);

/** Best time (ms) of each task at 1 and at T threads, rounds alternating the two. */
const oneVsT = (tasks: BenchTask[], rounds: number, time: number, warmup?: number) => bestAcross(tasks, [() => setThreads(1), () => setThreads(T)], rounds, time, warmup);

console.log(machineLine());
console.log(`threads: 1 vs ${T}`);

// ---- kernels at zaremba-medium's shapes ----
const H = 650, G = 4 * H, B = 20, N = 700;
const W = rand([G, H]), h = rand([H, B]), rec = rand([G, B]), Xs = rand([H, N]), Ys = rand([G, N]), dW = rand([G, H]);
const Ws = sparse(G, H, 0.33), dv = rand([Ws.nnz]), gx = rand([H, B]), gxs = rand([H, N]);
const pre = rand([G, N]), bias = rand([G]), cPrev = rand([H, B]), c = rand([H, B]), tc = rand([H, B]), hs = rand([H, B]), y = rand([H, N]);
const [rp, ci, v] = [Ws.rowPtr.ptr, Ws.colIdx.ptr, Ws.values.ptr], ks = csrKernels(Ws);
const kernelTasks: BenchTask[] = [
  { name: 'gemm_nn 2600×650·650×20 (recurrent)', fn: () => kernels.gemm_nn(rec.ptr, W.ptr, h.ptr, G, H, B, 0) },
  { name: 'gemm_tn 650×2600·2600×20 (recurrent dX)', fn: () => kernels.gemm_tn(gx.ptr, W.ptr, rec.ptr, H, G, B, 0) },
  { name: 'gemm_nn 2600×650·650×700 (input projection)', fn: () => kernels.gemm_nn(Ys.ptr, W.ptr, Xs.ptr, G, H, N, 0), iterations: 3 },
  { name: 'gemm_nt 2600×700·(650×700)ᵀ (dW)', fn: () => kernels.gemm_nt(dW.ptr, Ys.ptr, Xs.ptr, G, N, H, 0), iterations: 3 },
  { name: 'spmm d=0.33 2600×650, N=20', fn: () => ks.spmm(rec.ptr, rp, ci, v, h.ptr, G, B, 0) },
  { name: 'spmm_t d=0.33 2600×650, N=20', fn: () => ks.spmm_t(gx.ptr, rp, ci, v, rec.ptr, G, H, B, 0) },
  { name: 'spmm d=0.33 2600×650, N=700', fn: () => ks.spmm(Ys.ptr, rp, ci, v, Xs.ptr, G, N, 0), iterations: 3 },
  { name: 'spmm_t d=0.33 2600×650, N=700', fn: () => ks.spmm_t(gxs.ptr, rp, ci, v, Ys.ptr, G, H, N, 0), iterations: 3 },
  { name: 'sddmm d=0.33 2600×650, N=700', fn: () => ks.sddmm(dv.ptr, rp, ci, Ys.ptr, Xs.ptr, G, N, 0), iterations: 3 },
  { name: 'lstm_gates_forward H=650 B=20', fn: () => kernels.lstm_gates_forward(pre.ptr, rec.ptr, bias.ptr, cPrev.ptr, c.ptr, tc.ptr, hs.ptr, y.ptr, H, B, N) },
];
const kt = await oneVsT(kernelTasks, 2, 60);
const kernelSpeedup: Record<string, number> = {};
console.log('\nkernels (best ms)');
console.log(formatTable(['kernel', '1 thread', `${T} threads`, 'speed-up'], kernelTasks.map((t) => {
  const [a, b] = kt.get(t.name)!;
  kernelSpeedup[t.name] = round(a / b);
  return [t.name, a.toFixed(3), b.toFixed(3), `${(a / b).toFixed(2)}×`];
})));

// ---- threshold: forced splits at growing sizes ----
const thresholdRows: (string | number)[][] = [];
const threshold: Record<string, number | null> = { gemm_work: null, spmm_work: null };
let handoffUs = 0;
{
  const sizes = [8, 16, 24, 32, 48, 64, 96, 128];
  const tasks: BenchTask[] = [];
  const work = new Map<string, number>();
  // The hand-off alone: an empty call split across the threads.
  tasks.push({ name: 'hand-off (empty call)', fn: () => runShared('axpy', [0, 0, 0, 0]), iterations: 200 });
  work.set('hand-off (empty call)', 0);
  for (const s of sizes) {
    const a = rand([s, s]), b = rand([s, s]), cc = rand([s, s]);
    tasks.push({ name: `gemm ${s}³`, fn: () => runShared('gemm_nn', [cc.ptr, a.ptr, b.ptr, s, s, s, 0]), iterations: 50 });
    work.set(`gemm ${s}³`, s * s * s);
  }
  for (const m of [64, 128, 256, 512, 1024]) {
    const w = sparse(m, 650, 0.33), x = rand([650, B]), yy = rand([m, B]);
    tasks.push({ name: `spmm ${m}×650 d=0.33 N=20`, fn: () => runShared(w.colIdx.wide ? 'spmm' : 'spmm_u16', [yy.ptr, w.rowPtr.ptr, w.colIdx.ptr, w.values.ptr, x.ptr, m, B, 0]), iterations: 50 });
    work.set(`spmm ${m}×650 d=0.33 N=20`, w.nnz * B);
  }
  const tt = await oneVsT(tasks, 2, 40);
  for (const t of tasks) {
    const [a, b] = tt.get(t.name)!;
    const wk = work.get(t.name)!;
    thresholdRows.push([t.name, wk, (a * 1000).toFixed(1), (b * 1000).toFixed(1), `${(a / b).toFixed(2)}×`]);
    if (wk === 0) { handoffUs = b * 1000; continue; }
    const key = t.name.startsWith('gemm') ? 'gemm_work' : 'spmm_work';
    if (b < a && threshold[key] === null) threshold[key] = wk;
    if (b >= a) threshold[key] = null; // the crossover is above every size where splitting lost
  }
  console.log('\nthreshold (forced split; µs)');
  console.log(formatTable(['call', 'work (multiply-adds)', '1 thread', `${T} threads`, 'speed-up'], thresholdRows));
}

// ---- whole training step ----
const stepSpeedup: Record<string, Record<string, number>> = { 'zaremba-medium': {} };
const stepTps: Record<string, Record<string, Record<string, number>>> = { 'zaremba-medium': {} };
const stepRows: (string | number)[][] = [];
for (const d of [1, 0.33]) {
  const lm = benchStep('zaremba-medium', d);
  // Three warm-up steps after every switch of the thread count: the first steps after a switch
  // build lazy indexes (the gather form's CSC index) and grow memory (the pool's scratch), and
  // two warm-up steps left the 0.33 figure at 1.21× against 1.72× in the steady state.
  const best = await oneVsT([{ name: 'step', fn: lm.step, iterations: 3 }], 2, 0, 3);
  const [a, b] = best.get('step')!;
  stepSpeedup['zaremba-medium']![String(d)] = round(a / b);
  stepTps['zaremba-medium']![String(d)] = { '1': Math.round(lm.tokens / (a / 1000)), [String(T)]: Math.round(lm.tokens / (b / 1000)) };
  stepRows.push([`zaremba-medium d=${d}`, a.toFixed(0), b.toFixed(0), Math.round(lm.tokens / (a / 1000)), Math.round(lm.tokens / (b / 1000)), `${(a / b).toFixed(2)}×`]);
  lm.dispose();
}
console.log('\ntraining step (best ms, tokens/s)');
console.log(formatTable(['model', '1 thread ms', `${T} threads ms`, '1 thread tok/s', `${T} threads tok/s`, 'speed-up'], stepRows));
await setThreads(1);

printJsonLine({ suite: 'threads', threads: T, step_speedup: stepSpeedup, step_tokens_per_s: stepTps, kernel_speedup: kernelSpeedup, threshold, handoff_us: round(handoffUs, 1) });
