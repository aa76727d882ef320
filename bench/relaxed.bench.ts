// Relaxed SIMD: the standard kernels (f32x4.mul then f32x4.add) against the relaxed-SIMD ones
// (f32x4.relaxed_madd, one instruction), on the same memory and tensors (setRelaxedSimd swaps the
// build), alternating rounds and keeping each task's fastest sample.
//
//   kernels  GEMM, SpMM, SpMMᵀ and SDDMM at zaremba-medium's shapes (H = 650, N = 20 and 700) and
//            zaremba-small's decoder (10,000 × 200 at density 0.33, N = 700)
//   step     the training step of zaremba-small and zaremba-medium (bench/lm-step.ts), dense and
//            at density 0.33
// Threads: THREADS=n (default 1: this suite measures the single-core kernels).
//
// Needs relaxed SIMD: Node ≥ 22, Deno 2; scripts/bench.mjs runs this suite with
// node --experimental-wasm-relaxed-simd on Node 20.
// Run: npm run bench -- relaxed
// Last line: {"suite":"relaxed","threads":n,"engine":"node vX","kernel_speedup":{...},
//             "step_speedup":{"zaremba-small":{"1":x,"0.33":y},"zaremba-medium":{...}},"step_tokens_per_s":{...}}
import { kernels, Random, relaxedSimdUnavailableReason, setRelaxedSimd, setThreads } from '../src/index.js';
import { bestAcross, csrKernels, formatTable, machineLine, printJsonLine, randomCsr, randomTensor, round, type BenchTask } from './common.js';
import { benchStep, threadsFromEnv } from './lm-step.js';

const why = relaxedSimdUnavailableReason();
if (why !== null) throw new Error(`relaxed SIMD is not available here: ${why}`);
const T = await setThreads(threadsFromEnv(1));
const rng = new Random(11);
const rand = (shape: number[]) => randomTensor(rng, shape);
const sparse = (M: number, K: number, d: number) => randomCsr(rng, M, K, d);

/** Best time (ms) of each task with the standard and the relaxed kernels, rounds alternating. */
async function standardVsRelaxed(tasks: BenchTask[], rounds: number, time: number): Promise<Map<string, number[]>> {
  const best = await bestAcross(tasks, [() => setRelaxedSimd(false), () => setRelaxedSimd(true)], rounds, time);
  await setRelaxedSimd(false);
  return best;
}

console.log(machineLine());
console.log(`relaxed SIMD vs standard SIMD, ${T} thread(s), ${'Deno' in globalThis ? 'Deno' : `Node ${process.versions.node}`}`);

// ---- kernels ----
const H = 650, G = 4 * H, B = 20, N = 700, V = 10_000, Hs = 200;
const W = rand([G, H]), h = rand([H, B]), rec = rand([G, B]), Xs = rand([H, N]), Ys = rand([G, N]), dW = rand([G, H]);
const Ws = sparse(G, H, 0.33), dv = rand([Ws.nnz]), gx = rand([H, B]), gxs = rand([H, N]);
const D = sparse(V, Hs, 0.33), dd = rand([D.nnz]), hs = rand([Hs, N]), logits = rand([V, N]), ghs = rand([Hs, N]);
const [rp, ci, v] = [Ws.rowPtr.ptr, Ws.colIdx.ptr, Ws.values.ptr], ks = csrKernels(Ws);
const [drp, dci, dvv] = [D.rowPtr.ptr, D.colIdx.ptr, D.values.ptr], kd = csrKernels(D);
const tasks: BenchTask[] = [
  { name: 'gemm_nn 2600×650·650×20', fn: () => kernels.gemm_nn(rec.ptr, W.ptr, h.ptr, G, H, B, 0) },
  { name: 'gemm_nn 2600×650·650×700', fn: () => kernels.gemm_nn(Ys.ptr, W.ptr, Xs.ptr, G, H, N, 0), iterations: 3 },
  { name: 'gemm_nt 2600×700·(650×700)ᵀ', fn: () => kernels.gemm_nt(dW.ptr, Ys.ptr, Xs.ptr, G, N, H, 0), iterations: 3 },
  { name: 'spmm d=0.33 2600×650, N=20', fn: () => ks.spmm(rec.ptr, rp, ci, v, h.ptr, G, B, 0) },
  { name: 'spmm_t d=0.33 2600×650, N=20', fn: () => ks.spmm_t(gx.ptr, rp, ci, v, rec.ptr, G, H, B, 0) },
  { name: 'spmm d=0.33 2600×650, N=700', fn: () => ks.spmm(Ys.ptr, rp, ci, v, Xs.ptr, G, N, 0), iterations: 3 },
  { name: 'spmm_t d=0.33 2600×650, N=700', fn: () => ks.spmm_t(gxs.ptr, rp, ci, v, Ys.ptr, G, H, N, 0), iterations: 3 },
  { name: 'sddmm d=0.33 2600×650, N=700', fn: () => ks.sddmm(dv.ptr, rp, ci, Ys.ptr, Xs.ptr, G, N, 0), iterations: 3 },
  { name: 'spmm decoder d=0.33 10000×200, N=700', fn: () => kd.spmm(logits.ptr, drp, dci, dvv, hs.ptr, V, N, 0), iterations: 3 },
  { name: 'spmm_t decoder d=0.33 10000×200, N=700', fn: () => kd.spmm_t(ghs.ptr, drp, dci, dvv, logits.ptr, V, Hs, N, 0), iterations: 3 },
  { name: 'sddmm decoder d=0.33 10000×200, N=700', fn: () => kd.sddmm(dd.ptr, drp, dci, logits.ptr, hs.ptr, V, N, 0), iterations: 3 },
];
const kt = await standardVsRelaxed(tasks, 2, 80);
const kernelSpeedup: Record<string, number> = {};
console.log('\nkernels (best ms)');
console.log(formatTable(['kernel', 'standard', 'relaxed', 'speed-up'], tasks.map((t) => {
  const [a, b] = kt.get(t.name)!;
  kernelSpeedup[t.name] = round(a / b);
  return [t.name, a.toFixed(3), b.toFixed(3), `${(a / b).toFixed(2)}×`];
})));

// ---- whole training step ----
const stepSpeedup: Record<string, Record<string, number>> = {};
const stepTps: Record<string, Record<string, { standard: number; relaxed: number }>> = {};
const rows: (string | number)[][] = [];
for (const name of ['zaremba-small', 'zaremba-medium']) {
  stepSpeedup[name] = {};
  stepTps[name] = {};
  for (const d of [1, 0.33]) {
    const lm = benchStep(name, d);
    const best = await standardVsRelaxed([{ name: 'step', fn: lm.step, iterations: name === 'zaremba-small' ? 5 : 2 }], 2, 0);
    const [a, b] = best.get('step')!;
    const [ta, tb] = [Math.round(lm.tokens / (a / 1000)), Math.round(lm.tokens / (b / 1000))];
    stepSpeedup[name]![String(d)] = round(a / b);
    stepTps[name]![String(d)] = { standard: ta, relaxed: tb };
    rows.push([`${name} d=${d}`, a.toFixed(0), b.toFixed(0), ta, tb, `${(a / b).toFixed(2)}×`]);
    lm.dispose();
  }
}
console.log('\ntraining step (best ms, tokens/s)');
console.log(formatTable(['model', 'standard ms', 'relaxed ms', 'standard tok/s', 'relaxed tok/s', 'speed-up'], rows));
await setThreads(1);

printJsonLine({
  suite: 'relaxed', threads: T, engine: 'Deno' in globalThis ? 'deno' : `node ${process.versions.node}`,
  kernel_speedup: kernelSpeedup, step_speedup: stepSpeedup, step_tokens_per_s: stepTps,
});
