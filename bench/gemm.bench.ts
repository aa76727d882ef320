// Suite `gemm`: dense GEMM on the recurrent shape of an LSTM layer, C(4H×20) = W(4H×H)·X(H×20)
// for H = 200, 650, 1500 (batch 20), against (a) a plain-TypeScript ikj loop on Float32Arrays and
// (b) the register-only SIMD peak of this engine (simd_peak_probe). Also times the backprop
// shapes (gemm_tn dX = Wᵀ·G, gemm_nt dW += G·Xᵀ), the batch×time input projection (N = 700),
// and the language-model decoder products (vocabulary V = 10 000; see DECODER below).
// Single core: the kernels are single-threaded wasm. Run: npm run bench -- gemm
import { kernels, Random, Tensor } from '../src/index.js';
import { bestTimes, formatTable, gflops, machineLine, printJsonLine, round, type BenchTask } from './common.js';

const HS = [200, 650, 1500];
const BATCH = 20;
const PROJ_H = 650, PROJ_N = 700; // input projection of 35 time steps × batch 20
/**
 * Decoder products of a training step: T tokens (batch 20 × bptt 35 = 700; the MoS decoder's
 * T = chunk · 15 experts ≈ 1600 rows), embedding E, vocabulary V = 10 000. Forward logits =
 * x·Wᵀ (gemm_nt), backward dx += g·W (gemm_nn, K = V) and dW += gᵀ·x (gemm_tn, M = V).
 */
const DECODER = [
  { label: 'E=200', T: 700, E: 200 },
  { label: 'E=650', T: 700, E: 650 },
  { label: 'MoS E=280', T: 1600, E: 280 },
];
const VOCAB = 10_000;
const PROBE_CHAINS = [6, 8, 12, 16];
const PROBE_ITERS = 1_000_000;

// The probe's third argument (chain count) is newer than KernelExports' two-argument signature.
const probe = kernels.simd_peak_probe as (iters: number, seed: number, chains: number) => number;

function filled(shape: number[], rng: Random): Tensor {
  const t = new Tensor(shape, { persistent: true });
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = rng.uniform() * 2 - 1;
  return t;
}

/** What a JS user would write: C = A·B with an ikj loop over Float32Arrays. */
function plainGemm(c: Float32Array, a: Float32Array, b: Float32Array, M: number, K: number, N: number): void {
  c.fill(0);
  for (let i = 0; i < M; i++) {
    const ci = i * N;
    for (let k = 0; k < K; k++) {
      const aik = a[i * K + k]!;
      const bk = k * N;
      for (let j = 0; j < N; j++) c[ci + j]! += aik * b[bk + j]!;
    }
  }
}

function maxRelDiff(x: Float32Array, y: Float32Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!) / (1 + Math.abs(y[i]!)));
  return m;
}

const rng = new Random(1);
const tasks: BenchTask[] = [];
const flops = new Map<string, number>();
const checks: string[] = [];

for (const chains of PROBE_CHAINS) {
  const name = `probe ${chains}`;
  tasks.push({ name, fn: () => void probe(PROBE_ITERS, 1, chains) });
  flops.set(name, PROBE_ITERS * chains * 4 * 2);
}

for (const H of HS) {
  const W = filled([4 * H, H], rng), X = filled([H, BATCH], rng), C = filled([4 * H, BATCH], rng);
  const G = filled([4 * H, BATCH], rng), dX = filled([H, BATCH], rng), dW = filled([4 * H, H], rng);
  const w = W.data.slice(), x = X.data.slice(), c = new Float32Array(4 * H * BATCH);
  const f = 2 * 4 * H * H * BATCH;
  tasks.push({ name: `nn ${H}`, fn: () => kernels.gemm_nn(C.ptr, W.ptr, X.ptr, 4 * H, H, BATCH, 0) });
  tasks.push({ name: `plain ${H}`, fn: () => plainGemm(c, w, x, 4 * H, H, BATCH), iterations: H >= 1500 ? 2 : 4 });
  tasks.push({ name: `tn ${H}`, fn: () => kernels.gemm_tn(dX.ptr, W.ptr, G.ptr, H, 4 * H, BATCH, 0) });
  tasks.push({ name: `nt ${H}`, fn: () => kernels.gemm_nt(dW.ptr, G.ptr, X.ptr, 4 * H, BATCH, H, 1) });
  for (const k of ['nn', 'plain', 'tn', 'nt']) flops.set(`${k} ${H}`, f);
  // The timed kernel is also checked against the plain loop, so a fast wrong kernel shows up here.
  kernels.gemm_nn(C.ptr, W.ptr, X.ptr, 4 * H, H, BATCH, 0);
  plainGemm(c, w, x, 4 * H, H, BATCH);
  checks.push(`H=${H}: max rel diff gemm_nn vs plain TS ${maxRelDiff(C.data, c).toExponential(1)}`);
}

{
  const H = PROJ_H, N = PROJ_N;
  const W = filled([4 * H, H], rng), X = filled([H, N], rng), C = filled([4 * H, N], rng);
  tasks.push({ name: `proj ${H}`, fn: () => kernels.gemm_nn(C.ptr, W.ptr, X.ptr, 4 * H, H, N, 0), iterations: 3 });
  flops.set(`proj ${H}`, 2 * 4 * H * H * N);
}

for (const { label, T, E } of DECODER) {
  const x = filled([T, E], rng), W = filled([VOCAB, E], rng), g = filled([T, VOCAB], rng);
  const logits = filled([T, VOCAB], rng), dx = filled([T, E], rng), dW = filled([VOCAB, E], rng);
  tasks.push({ name: `dec nt ${label}`, fn: () => kernels.gemm_nt(logits.ptr, x.ptr, W.ptr, T, E, VOCAB, 0), iterations: 2 });
  tasks.push({ name: `dec nn ${label}`, fn: () => kernels.gemm_nn(dx.ptr, g.ptr, W.ptr, T, VOCAB, E, 1), iterations: 2 });
  tasks.push({ name: `dec tn ${label}`, fn: () => kernels.gemm_tn(dW.ptr, g.ptr, x.ptr, VOCAB, T, E, 1), iterations: 2 });
  for (const k of ['nt', 'nn', 'tn']) flops.set(`dec ${k} ${label}`, 2 * T * E * VOCAB);
}

const t0 = performance.now();
const best = await bestTimes(tasks, { rounds: 3, time: 150 });
const seconds = (performance.now() - t0) / 1000;
const rate = (name: string) => gflops(flops.get(name)!, best.get(name)!);

const probeRates = PROBE_CHAINS.map((ch) => rate(`probe ${ch}`));
const peak = Math.max(...probeRates);

console.log(`gemm suite: C(4H×${BATCH}) = W(4H×H)·X(H×${BATCH}), one core, fastest of ${3} rounds of tinybench samples`);
console.log(machineLine());
console.log(
  `SIMD peak (simd_peak_probe, f32x4 mul+add): ${PROBE_CHAINS.map((ch, i) => `${ch} chains ${probeRates[i]!.toFixed(1)}`).join(', ')} GFLOP/s` +
    ` -> peak ${peak.toFixed(1)} GFLOP/s`,
);
console.log('');
const pct = (g: number) => `${((100 * g) / peak).toFixed(0)}%`;
const rows: (string | number)[][] = [];
for (const H of HS) {
  const simd = rate(`nn ${H}`), plain = rate(`plain ${H}`);
  rows.push([H, `gemm_nn (SIMD)`, best.get(`nn ${H}`)!.toFixed(3), simd.toFixed(1), pct(simd), `${(simd / plain).toFixed(1)}×`]);
  rows.push([H, `plain TS loop`, best.get(`plain ${H}`)!.toFixed(3), plain.toFixed(2), pct(plain), '1.0×']);
}
console.log(formatTable(['H', 'kernel', 'time (ms)', 'GFLOP/s', '% of peak', 'vs plain TS'], rows));
console.log('');
console.log('backprop and input-projection shapes (same FLOPs as the forward product):');
const extra: (string | number)[][] = [];
for (const H of HS) {
  for (const [k, label] of [['tn', `gemm_tn dX(H×${BATCH}) = Wᵀ·G`], ['nt', `gemm_nt dW(4H×H) += G·Xᵀ`]] as const) {
    const g = rate(`${k} ${H}`);
    extra.push([H, label, best.get(`${k} ${H}`)!.toFixed(3), g.toFixed(1), pct(g)]);
  }
}
const proj = rate(`proj ${PROJ_H}`);
extra.push([PROJ_H, `gemm_nn (4H×H)·(H×${PROJ_N})`, best.get(`proj ${PROJ_H}`)!.toFixed(3), proj.toFixed(1), pct(proj)]);
console.log(formatTable(['H', 'kernel', 'time (ms)', 'GFLOP/s', '% of peak'], extra));
console.log('');
console.log(`language-model decoder shapes (T tokens, embedding E, vocabulary V = ${VOCAB}; FLOPs = 2·T·E·V):`);
const dec: (string | number)[][] = [];
for (const { label, T, E } of DECODER) {
  for (const [k, what] of [
    ['nt', `gemm_nt logits(${T}×V) = x·Wᵀ`],
    ['nn', `gemm_nn dx(${T}×${E}) += g·W`],
    ['tn', `gemm_tn dW(V×${E}) += gᵀ·x`],
  ] as const) {
    const r = rate(`dec ${k} ${label}`);
    dec.push([label, what, best.get(`dec ${k} ${label}`)!.toFixed(1), r.toFixed(1), pct(r)]);
  }
}
console.log(formatTable(['decoder', 'kernel', 'time (ms)', 'GFLOP/s', '% of peak'], dec));
console.log('');
for (const line of checks) console.log(line);
console.log(`suite time ${seconds.toFixed(1)} s`);

const byH = (k: string, digits = 2) => Object.fromEntries(HS.map((H) => [String(H), round(rate(`${k} ${H}`), digits)]));
printJsonLine({
  suite: 'gemm',
  peak_gflops: round(peak),
  gflops: byH('nn'),
  plain_ts_gflops: byH('plain', 3),
  pct_of_peak: Object.fromEntries(HS.map((H) => [String(H), round((100 * rate(`nn ${H}`)) / peak, 1)])),
  gemm_tn_gflops: byH('tn'),
  gemm_nt_gflops: byH('nt'),
  proj_n700_gflops: { [String(PROJ_H)]: round(proj) },
  decoder_gflops: Object.fromEntries(
    DECODER.map(({ label }) => [label, Object.fromEntries(['nt', 'nn', 'tn'].map((k) => [`gemm_${k}`, round(rate(`dec ${k} ${label}`))]))]),
  ),
  probe_gflops_by_chains: Object.fromEntries(PROBE_CHAINS.map((ch, i) => [String(ch), round(probeRates[i]!)])),
});
