// One LSTM layer, forward + full BPTT backward, in tokens per second (T·B tokens per pass), at
// the sizes of the Selfish-RNN stacked LSTM (H = 650 and 1500, B = 20, T = 35, I = H). Dense
// weights only for now (density "1"); sparse densities are added when the CSR weight lands.
// A second table splits one time step: the recurrent product against the fused gate kernel, in
// the SIMD build (vector expf) and the scalar build (Mathf), to show what the gate kernel costs.
//
// Run: npm run build && node build/bench/lstm.bench.js
// Last line: {"suite":"lstm","tokens_per_s":{"650":{"1":t},"1500":{"1":t}}}
import { cpus } from 'node:os';
import { Bench } from 'tinybench';
import { kernels, loadBuild, lstmLayer, memoryStats, randn, simdSupported, tidy, type KernelExports, type Tensor } from '../src/index.js';
import { printJsonLine } from './common.js';

const T = 35, B = 20;
const HIDDEN = [650, 1500];

function param(shape: number[], std: number): Tensor {
  const p = randn(shape, std, 0, { persistent: true });
  p.requiresGrad = true;
  return p;
}

/** Mean ms of `fn` over `reps` runs after one warm-up. */
function timeMs(fn: () => void, reps: number): number {
  fn();
  const t0 = performance.now();
  for (let k = 0; k < reps; k++) fn();
  return (performance.now() - t0) / reps;
}

/** Mean ms of one gate-forward step; `take(n)` hands out n floats of (filled) memory of build k. */
function gateStepMs(k: KernelExports, H: number, reps: number, take: (n: number) => number): number {
  const N = T * B, HB = H * B;
  const pre = take(4 * H * N), rec = take(4 * H * B), bias = take(4 * H), cPrev = take(HB), c = take(HB), tc = take(HB);
  const h = take(HB), y = take(H * N);
  return timeMs(() => k.lstm_gates_forward(pre, rec, bias, cPrev, c, tc, h, y, H, B, N), reps);
}

/** A bump allocator over another build's own memory (from its heap_base), filled with values in [-2, 2]. */
function bumpIn(k: KernelExports): (n: number) => number {
  let at = Math.ceil(k.heap_base() / 16) * 16;
  return (n) => {
    const p = at;
    at += Math.ceil(n / 4) * 16;
    if (at > k.memory.buffer.byteLength) k.memory.grow(Math.ceil((at - k.memory.buffer.byteLength) / 65536));
    const f = new Float32Array(k.memory.buffer, p, n);
    for (let i = 0; i < n; i++) f[i] = Math.sin(p + i) * 2;
    return p;
  };
}

const scalarBuild = await loadBuild('scalar');
const tokensPerS: Record<string, Record<string, number>> = {};
const passRows: Record<string, string | number>[] = [];
const stepRows: Record<string, string | number>[] = [];

for (const H of HIDDEN) {
  const I = H, G = 4 * H;
  const std = 1 / Math.sqrt(H);
  const weights = { wIh: param([G, I], std), wHh: param([G, H], std), bIh: param([G], std), bHh: param([G], std) };
  const x = randn([T, B, I], 1, 0, { persistent: true });
  const gy = randn([T, B, H], 1, 0, { persistent: true });

  const bench = new Bench({ time: 0, iterations: H >= 1000 ? 3 : 6, warmupTime: 0, warmupIterations: 1 });
  bench.add(`H=${H} forward+backward`, () => {
    tidy(() => lstmLayer(x, weights).output.backward(gy));
  });
  bench.add(`H=${H} forward only`, () => {
    tidy(() => {
      lstmLayer(x, weights);
    });
  });
  await bench.run();
  const [both, fwd] = bench.tasks.map((t) => t.result!);
  tokensPerS[H] = { '1': Math.round((T * B) / (both!.mean / 1000)) };
  passRows.push({
    H,
    'fwd+bwd ms (mean)': both!.mean.toFixed(0),
    'fwd ms (mean)': fwd!.mean.toFixed(0),
    'bwd/fwd': (both!.mean / fwd!.mean - 1).toFixed(2),
    'tokens/s (mean)': tokensPerS[H]!['1']!,
    'tokens/s (best)': Math.round((T * B) / (both!.min / 1000)),
    'peak wasm MB': (memoryStats().memoryBytes / 2 ** 20).toFixed(0),
  });

  // One step: W_hh·h (dense GEMM, N = B) against the fused gate kernel in both builds.
  const reps = H >= 1000 ? 5 : 20;
  const hState = randn([H, B], 1, 0, { persistent: true }), rec = randn([G, B], 1, 0, { persistent: true });
  const gemmMs = timeMs(() => kernels.gemm_nn(rec.ptr, weights.wHh.ptr, hState.ptr, G, H, B, 0), reps);
  const temps: Tensor[] = [];
  const gateSimd = gateStepMs(kernels, H, reps * 4, (n) => {
    const t = randn([n], 1, 0, { persistent: true });
    temps.push(t);
    return t.ptr;
  });
  const gateScalar = gateStepMs(scalarBuild, H, reps * 4, bumpIn(scalarBuild));
  stepRows.push({
    H,
    'W_hh·h ms': gemmMs.toFixed(2),
    [`gates ${simdSupported ? 'simd' : 'scalar'} ms`]: gateSimd.toFixed(3),
    'gates scalar build ms': gateScalar.toFixed(3),
    'gates/product (in use)': (gateSimd / gemmMs).toFixed(3),
    'scalar/simd gates': (gateScalar / gateSimd).toFixed(1),
  });
  for (const t of [...Object.values(weights), x, gy, hState, rec, ...temps]) {
    t.grad?.dispose();
    t.dispose();
  }
}

console.log(`lstm layer, dense, T=${T} B=${B} I=H; node ${process.version}, ${cpus()[0]?.model ?? 'unknown cpu'}, simd=${simdSupported}`);
console.table(passRows);
console.log('one time step, forward (recurrent product vs fused gate kernel):');
console.table(stepRows);
printJsonLine({ suite: 'lstm', tokens_per_s: tokensPerS });
