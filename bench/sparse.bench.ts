// Sparse vs dense products at the shapes of a sparse LSTM layer (W is 4H×H), across density.
//
//   forward          SpMM   Y = W·X        vs  gemm_nn
//   input gradient   SpMMᵀ  Z = Wᵀ·G       vs  gemm_tn     (scatter form from CSR, and gather form via CSC)
//   weight gradient  SDDMM  dW = (G·Xᵀ)∘W  vs  gemm_nt     (the dense one computes all M·K entries)
//
// Times are the best (minimum) of the tinybench samples: other jobs share the 2 cores and can
// only add time, so the minimum is the most repeatable estimate of a kernel's own cost. Cheap
// shapes (all of N = 20) are measured in 3 rounds, dense and sparse alternating. GFLOP/s counts 2·nnz·N
// for sparse and 2·M·K·N for dense; "ratio" = sparse time / dense time in the same run. The
// crossover is the density below which a training step's three products (SpMM + SpMMᵀ + SDDMM)
// cost less than the three dense GEMMs, interpolated linearly between measured densities.
//
// Decoder table (when N = 700 is measured): the language-model decoder W[V×E] = 10000×650 and
// 10000×200 at density 0.33 and 0.1 with N = 700 (batch 20 × bptt 35), sparse vs dense; JSON key
// `decoder_n700`. SPARSE_BENCH_ONLY=decoder runs that table alone (about 1 minute).
//
// Run: npm run build && node build/bench/sparse.bench.js   (or `npm run bench -- sparse` with the runner)
// Last line: one JSON object with the headline ratios at N = 20.
import { Bench } from 'tinybench';
import { cpus } from 'node:os';
import {
  CSRMatrix, kernels, lstmLayer, noGrad, Random, simdSupported, sparseLinear, CsrOperator, Tensor, tidy,
} from '../src/index.js';
import { csrKernels, printJsonLine } from './common.js';

const HS = [200, 650, 1500];
// SPARSE_BENCH_N=20 restricts the run to one N (quick iterations on the headline shapes).
const NS = process.env.SPARSE_BENCH_N ? [Number(process.env.SPARSE_BENCH_N)] : [20, 700];
const DENSITIES = [1.0, 0.67, 0.45, 0.33, 0.2, 0.1, 0.05];
const HEADLINE_N = 20;
const HEADLINE_H = [650, 1500];
const HEADLINE_D = [0.33, 0.1];

const rng = new Random(1234);

function randomTensor(shape: number[]): Tensor {
  const t = new Tensor(shape, { persistent: true });
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = rng.uniform() * 2 - 1;
  return t;
}

/** Runs named functions with tinybench; returns the best ms per call. Few samples for expensive calls. */
async function timeAll(fns: Record<string, () => void>, estMs: number): Promise<Record<string, number>> {
  // Cheap calls: as many samples as fit in 100 ms (at least 5); expensive ones: 2 or 3 samples.
  const bench = new Bench({
    time: estMs > 200 ? 0 : 100,
    iterations: estMs > 1000 ? 2 : estMs > 200 ? 3 : 5,
    warmupTime: 0,
    warmupIterations: estMs > 1000 ? 0 : 1, // the kernels are tiered up by warmUpEngine already
  });
  for (const [name, fn] of Object.entries(fns)) bench.add(name, fn);
  await bench.warmup();
  await bench.run();
  const out: Record<string, number> = {};
  for (const t of bench.tasks) {
    if (t.result?.error) throw t.result.error;
    out[t.name] = Math.min(...t.result!.samples);
  }
  return out;
}

/**
 * Calls every kernel many times on a small shape so V8 has tiered them up before timing; N = 40
 * as well as 20, so the large-N paths (row blocks, packed panels) are warm too.
 */
function warmUpEngine(): void {
  const W = CSRMatrix.random([64, 32], 0.3, { rng, requiresGrad: false });
  const t = W.transposedIndex();
  const Wd = W.toDense(), X = randomTensor([32, 40]), G = randomTensor([64, 40]), Y = new Tensor([64, 40], { persistent: true });
  const Z = new Tensor([32, 40], { persistent: true }), D = new Tensor([64 * 32], { persistent: true });
  const ks = csrKernels(W);
  for (let k = 0; k < 300; k++) for (const n of [20, 40]) {
    ks.spmm(Y.ptr, W.rowPtr.ptr, W.colIdx.ptr, W.values.ptr, X.ptr, 64, n, 0);
    ks.spmm_t(Z.ptr, W.rowPtr.ptr, W.colIdx.ptr, W.values.ptr, G.ptr, 64, 32, n, 0);
    ks.spmm_t_csc(Z.ptr, t.colPtr.ptr, t.rowIdx.ptr, t.slotOf.ptr, W.values.ptr, G.ptr, 32, n, 0);
    ks.sddmm(D.ptr, W.rowPtr.ptr, W.colIdx.ptr, G.ptr, X.ptr, 64, n, 0);
    kernels.gemm_nn(Y.ptr, Wd.ptr, X.ptr, 64, 32, n, 0);
    kernels.gemm_tn(Z.ptr, Wd.ptr, G.ptr, 32, 64, n, 0);
    kernels.gemm_nt(D.ptr, G.ptr, X.ptr, 64, n, 32, 0);
  }
  for (const x of [W, Wd, X, G, Y, Z, D]) x.dispose();
}

interface Row {
  H: number;
  N: number;
  density: number;
  nnz: number;
  ms: { spmm: number; spmmT: number; spmmTcsc: number; sddmm: number };
}
interface DenseRow {
  H: number;
  N: number;
  ms: { gemm_nn: number; gemm_tn: number; gemm_nt: number };
}

/** Density where ratio(d) crosses 1, linear between measured points; 1 if sparse wins everywhere, 0 if nowhere. */
function crossover(points: { d: number; ratio: number }[]): number {
  const p = [...points].sort((a, b) => a.d - b.d);
  if (p.every((q) => q.ratio < 1)) return 1;
  if (p[0]!.ratio >= 1) return 0;
  for (let k = 0; k + 1 < p.length; k++) {
    const a = p[k]!, b = p[k + 1]!;
    if (a.ratio < 1 && b.ratio >= 1) return a.d + ((1 - a.ratio) * (b.d - a.d)) / (b.ratio - a.ratio);
  }
  return 0;
}

const fmt = (x: number, digits = 2) => x.toFixed(digits);
const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * The language-model decoder at N = 700: ms and GFLOP/s of spmm, spmm_t (scatter form, the
 * default) and sddmm, and each one's time over its dense GEMM's, for W = V×E at two densities.
 */
async function decoderTable(): Promise<Record<string, Record<string, number>>> {
  const N = 700, out: Record<string, Record<string, number>> = {};
  console.log(`\ndecoder shapes, N = ${N} (batch 20 × bptt 35):`);
  for (const [M, K] of [[10000, 650], [10000, 200]] as [number, number][]) {
    const X = randomTensor([K, N]), G = randomTensor([M, N]);
    const Y = new Tensor([M, N], { persistent: true }), Z = new Tensor([K, N], { persistent: true });
    const Wd = randomTensor([M, K]), dW = new Tensor([M, K], { persistent: true });
    const denseFlops = 2 * M * K * N;
    const d = await timeAll({
      gemm_nn: () => kernels.gemm_nn(Y.ptr, Wd.ptr, X.ptr, M, K, N, 0),
      gemm_tn: () => kernels.gemm_tn(Z.ptr, Wd.ptr, G.ptr, K, M, N, 0),
      gemm_nt: () => kernels.gemm_nt(dW.ptr, G.ptr, X.ptr, M, N, K, 0),
    }, denseFlops / 10e6);
    Wd.dispose();
    dW.dispose();
    for (const density of [0.33, 0.1]) {
      const W = CSRMatrix.random([M, K], density, { rng: new Random(M + K + density * 100), requiresGrad: false, init: (r) => r.uniform() * 2 - 1 });
      const D = new Tensor([W.nnz], { persistent: true });
      const [rp, ci, v] = [W.rowPtr.ptr, W.colIdx.ptr, W.values.ptr], ks = csrKernels(W);
      const ms = await timeAll({
        spmm: () => ks.spmm(Y.ptr, rp, ci, v, X.ptr, M, N, 0),
        spmmT: () => ks.spmm_t(Z.ptr, rp, ci, v, G.ptr, M, K, N, 0),
        sddmm: () => ks.sddmm(D.ptr, rp, ci, G.ptr, X.ptr, M, N, 0),
      }, denseFlops * density / 10e6);
      const gf = (msv: number) => (2 * W.nnz * N) / msv / 1e6;
      const key = `${M}x${K} d=${density}`;
      out[key] = {
        spmm_ms: round3(ms.spmm!), spmmT_ms: round3(ms.spmmT!), sddmm_ms: round3(ms.sddmm!),
        spmm_gflops: round3(gf(ms.spmm!)), spmmT_gflops: round3(gf(ms.spmmT!)), sddmm_gflops: round3(gf(ms.sddmm!)),
        spmm_ratio: round3(ms.spmm! / d.gemm_nn!), spmmT_ratio: round3(ms.spmmT! / d.gemm_tn!), sddmm_ratio: round3(ms.sddmm! / d.gemm_nt!),
      };
      console.log(
        `W ${M}×${K} d=${fmt(density)} N=${N}  spmm ${fmt(ms.spmm!, 2)} ms (${fmt(gf(ms.spmm!), 1)} GF/s, ×${fmt(ms.spmm! / d.gemm_nn!)})  ` +
          `spmmᵀ ${fmt(ms.spmmT!, 2)} ms (${fmt(gf(ms.spmmT!), 1)} GF/s, ×${fmt(ms.spmmT! / d.gemm_tn!)})  ` +
          `sddmm ${fmt(ms.sddmm!, 2)} ms (${fmt(gf(ms.sddmm!), 1)} GF/s, ×${fmt(ms.sddmm! / d.gemm_nt!)})`,
      );
      D.dispose();
      W.dispose();
    }
    const gfd = (msv: number) => fmt(denseFlops / msv / 1e6, 1);
    console.log(`W ${M}×${K} dense  gemm_nn ${fmt(d.gemm_nn!, 2)} ms (${gfd(d.gemm_nn!)} GF/s)  gemm_tn ${fmt(d.gemm_tn!, 2)} ms (${gfd(d.gemm_tn!)} GF/s)  gemm_nt ${fmt(d.gemm_nt!, 2)} ms (${gfd(d.gemm_nt!)} GF/s)`);
    for (const x of [X, G, Y, Z]) x.dispose();
  }
  return out;
}

async function main(): Promise<void> {
  console.log(`sparse suite: node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, SIMD ${simdSupported ? 'on' : 'off'}`);
  warmUpEngine();
  if (process.env.SPARSE_BENCH_ONLY === 'decoder') {
    printJsonLine({ suite: 'sparse', decoder_n700: await decoderTable() });
    return;
  }
  const rows: Row[] = [];
  const dense: DenseRow[] = [];

  for (const H of HS) for (const N of NS) {
    const M = 4 * H, K = H;
    const X = randomTensor([K, N]), G = randomTensor([M, N]);
    const Y = new Tensor([M, N], { persistent: true }), Z = new Tensor([K, N], { persistent: true });
    const denseFlops = 2 * M * K * N;
    const estMs = denseFlops / 10e6; // ~10 GFLOP/s, only to choose the sample count
    // Cheap shapes are measured in several rounds, dense and sparse alternating, keeping each
    // task's best: a burst of load from other jobs then cannot land on one side of a ratio only.
    const rounds = estMs < 100 ? 3 : 1;
    const best = <T extends Record<string, number>>(prev: T | undefined, next: T): T =>
      prev === undefined ? next : (Object.fromEntries(Object.entries(next).map(([k, v]) => [k, Math.min(v, prev[k]!)])) as T);

    let dms: DenseRow['ms'] | undefined;
    const sms = new Map<number, { nnz: number; ms: Row['ms'] }>();
    for (let round = 0; round < rounds; round++) {
      const Wd = randomTensor([M, K]), dW = new Tensor([M, K], { persistent: true });
      dms = best(dms, (await timeAll({
        gemm_nn: () => kernels.gemm_nn(Y.ptr, Wd.ptr, X.ptr, M, K, N, 0),
        gemm_tn: () => kernels.gemm_tn(Z.ptr, Wd.ptr, G.ptr, K, M, N, 0),
        gemm_nt: () => kernels.gemm_nt(dW.ptr, G.ptr, X.ptr, M, N, K, 0),
      }, estMs)) as DenseRow['ms']);
      Wd.dispose();
      dW.dispose();

      for (const density of DENSITIES) {
        // Same topology every round: the generator is seeded per (H, density).
        const W = CSRMatrix.random([M, K], density, { rng: new Random(H * 1000 + density * 100), requiresGrad: false, init: (r) => r.uniform() * 2 - 1 });
        const t = W.transposedIndex();
        const D = new Tensor([W.nnz], { persistent: true });
        const [rp, ci, v] = [W.rowPtr.ptr, W.colIdx.ptr, W.values.ptr], ks = csrKernels(W);
        const ms = (await timeAll({
          spmm: () => ks.spmm(Y.ptr, rp, ci, v, X.ptr, M, N, 0),
          spmmT: () => ks.spmm_t(Z.ptr, rp, ci, v, G.ptr, M, K, N, 0),
          spmmTcsc: () => ks.spmm_t_csc(Z.ptr, t.colPtr.ptr, t.rowIdx.ptr, t.slotOf.ptr, v, G.ptr, K, N, 0),
          sddmm: () => ks.sddmm(D.ptr, rp, ci, G.ptr, X.ptr, M, N, 0),
        }, estMs * density)) as Row['ms'];
        sms.set(density, { nnz: W.nnz, ms: best(sms.get(density)?.ms, ms) });
        D.dispose();
        W.dispose();
      }
    }
    dense.push({ H, N, ms: dms! });
    const d = dms!;
    for (const density of DENSITIES) {
      const { nnz, ms } = sms.get(density)!;
      rows.push({ H, N, density, nnz, ms });
      const gf = (msv: number) => fmt((2 * nnz * N) / msv / 1e6, 1);
      console.log(
        `H=${String(H).padEnd(4)} N=${String(N).padEnd(3)} d=${fmt(density)}  ` +
          `spmm ${fmt(ms.spmm, 3)} ms (${gf(ms.spmm)} GF/s, ×${fmt(ms.spmm / d.gemm_nn)})  ` +
          `spmmᵀ scatter ${fmt(ms.spmmT, 3)} ms (×${fmt(ms.spmmT / d.gemm_tn)}) gather ${fmt(ms.spmmTcsc, 3)} ms (×${fmt(ms.spmmTcsc / d.gemm_tn)})  ` +
          `sddmm ${fmt(ms.sddmm, 3)} ms (${gf(ms.sddmm)} GF/s, ×${fmt(ms.sddmm / d.gemm_nt)})`,
      );
    }
    const gfd = (msv: number) => fmt(denseFlops / msv / 1e6, 1);
    console.log(
      `H=${String(H).padEnd(4)} N=${String(N).padEnd(3)} dense  gemm_nn ${fmt(d.gemm_nn, 3)} ms (${gfd(d.gemm_nn)} GF/s)  ` +
        `gemm_tn ${fmt(d.gemm_tn, 3)} ms (${gfd(d.gemm_tn)} GF/s)  gemm_nt ${fmt(d.gemm_nt, 3)} ms (${gfd(d.gemm_nt)} GF/s)\n`,
    );
    for (const x of [X, G, Y, Z]) x.dispose();
  }

  // sparseLinear = SpMM plus two transposes (x → xᵀ, yᵀ → y): what the op layer costs on top.
  const linearOverhead: Record<string, number> = {};
  for (const H of HEADLINE_H) {
    const M = 4 * H, K = H, N = HEADLINE_N;
    const W = CSRMatrix.random([M, K], 0.33, { rng, requiresGrad: false });
    const x = randomTensor([N, K]), xT = randomTensor([K, N]), Y = new Tensor([M, N], { persistent: true });
    const ms = await timeAll({
      spmm: () => csrKernels(W).spmm(Y.ptr, W.rowPtr.ptr, W.colIdx.ptr, W.values.ptr, xT.ptr, M, N, 0),
      sparseLinear: () => noGrad(() => tidy(() => void sparseLinear(x, W))),
    }, 100);
    linearOverhead[H] = round3(ms.sparseLinear! / ms.spmm! - 1);
    console.log(`sparseLinear [${N}, ${K}]·W[${M}×${K}, d=0.33]ᵀ: ${fmt(ms.sparseLinear!, 3)} ms vs spmm ${fmt(ms.spmm!, 3)} ms (+${fmt(100 * linearOverhead[H]!, 1)}% for the transposes)`);
    for (const t of [W, x, xT, Y]) t.dispose();
  }

  // ---- LSTM tokens/s: one layer forward + full BPTT backward, dense vs CSR weights ----
  const lstmTokens = await lstmThroughput();
  const decoder = NS.includes(700) ? await decoderTable() : undefined;

  // Summary at N = 20.
  const at = (H: number, N: number) => ({ rs: rows.filter((r) => r.H === H && r.N === N), d: dense.find((r) => r.H === H && r.N === N)!.ms });
  const ratios = (key: 'spmm' | 'spmmT' | 'spmmTcsc' | 'sddmm', denseKey: keyof DenseRow['ms']) => {
    const out: Record<string, Record<string, number>> = {};
    for (const H of HEADLINE_H) {
      const { rs, d } = at(H, HEADLINE_N);
      out[H] = {};
      for (const dens of HEADLINE_D) out[H]![String(dens)] = round3(rs.find((r) => r.density === dens)!.ms[key] / d[denseKey]);
    }
    return out;
  };
  // The default Wᵀ·G form is the faster one summed over the headline cases.
  const total = (key: 'spmmT' | 'spmmTcsc') => rows.filter((r) => r.N === HEADLINE_N && HEADLINE_H.includes(r.H)).reduce((s, r) => s + r.ms[key], 0);
  const form = total('spmmT') <= total('spmmTcsc') ? 'spmmT' : 'spmmTcsc';
  console.log(`\nSpMMᵀ: scatter ${fmt(total('spmmT'), 1)} ms vs gather ${fmt(total('spmmTcsc'), 1)} ms over the N=${HEADLINE_N} cases of H ∈ {${HEADLINE_H}} → ${form === 'spmmT' ? 'scatter' : 'gather'} is faster`);

  const crossoverAll: Record<string, number> = {};
  const crossoverPerKernel: Record<string, Record<string, number>> = {};
  for (const H of HS) for (const N of NS) {
    const { rs, d } = at(H, N);
    const step = (r: Row) => (r.ms.spmm + Math.min(r.ms.spmmT, r.ms.spmmTcsc) + r.ms.sddmm) / (d.gemm_nn + d.gemm_tn + d.gemm_nt);
    const c = crossover(rs.map((r) => ({ d: r.density, ratio: step(r) })));
    crossoverPerKernel[`H=${H} N=${N}`] = {
      spmm: round3(crossover(rs.map((r) => ({ d: r.density, ratio: r.ms.spmm / d.gemm_nn })))),
      spmmT: round3(crossover(rs.map((r) => ({ d: r.density, ratio: r.ms.spmmT / d.gemm_tn })))),
      spmmTcsc: round3(crossover(rs.map((r) => ({ d: r.density, ratio: r.ms.spmmTcsc / d.gemm_tn })))),
      sddmm: round3(crossover(rs.map((r) => ({ d: r.density, ratio: r.ms.sddmm / d.gemm_nt })))),
      step: round3(c),
    };
    if (N === HEADLINE_N) crossoverAll[H] = round3(c);
  }
  console.log('\ncrossover density (sparse faster below it):');
  for (const [k, v] of Object.entries(crossoverPerKernel)) {
    console.log(`  ${k.padEnd(14)} spmm ${fmt(v.spmm!)}  spmmᵀ scatter ${fmt(v.spmmT!)}  gather ${fmt(v.spmmTcsc!)}  sddmm ${fmt(v.sddmm!)}  step ${fmt(v.step!)}`);
  }

  const summary = {
    suite: 'sparse',
    spmm_ratio: ratios('spmm', 'gemm_nn'),
    spmmT_ratio: ratios(form, 'gemm_tn'),
    sddmm_ratio: ratios('sddmm', 'gemm_nt'),
    crossover_density: Object.fromEntries(HEADLINE_H.map((H) => [String(H), crossoverAll[H]!])),
    spmmT_form: form === 'spmmT' ? 'scatter' : 'gather',
    spmmT_other_ratio: ratios(form === 'spmmT' ? 'spmmTcsc' : 'spmmT', 'gemm_tn'),
    sparse_linear_overhead: linearOverhead,
    lstm_tokens_per_s: lstmTokens,
    ...(decoder ? { decoder_n700: decoder } : {}),
  };
  printJsonLine(summary);
}

/**
 * Tokens/s of one LSTM layer (T = 35, B = 20, I = H) forward + backward, with W_ih and W_hh dense
 * (density "1") or CSR at density 0.33 and 0.1 (exact counts, uniform positions).
 */
async function lstmThroughput(): Promise<Record<string, Record<string, number>>> {
  const T = 35, B = 20;
  const out: Record<string, Record<string, number>> = {};
  const table: Record<string, string | number>[] = [];
  for (const H of [650, 1500]) {
    out[H] = {};
    const G = 4 * H;
    const x = randomTensor([T, B, H]);
    const g = randomTensor([T, B, H]);
    const bIh = randomTensor([G]), bHh = randomTensor([G]);
    for (const density of [1, 0.33, 0.1]) {
      const make = (rows: number, cols: number): Tensor | CSRMatrix => {
        const dense = randomTensor([rows, cols]);
        const d = dense.data;
        for (let i = 0; i < d.length; i++) d[i] = d[i]! / Math.sqrt(H);
        if (density === 1) { dense.requiresGrad = true; return dense; }
        const n = rows * cols, k = Math.round(density * n), keep = new Uint8Array(n);
        for (let j = n - k; j < n; j++) { const t = rng.int(j + 1); if (keep[t]) keep[j] = 1; else keep[t] = 1; }
        const m = CSRMatrix.fromDense(dense, keep);
        dense.dispose();
        return m;
      };
      const wIh = make(G, H), wHh = make(G, H);
      const asW = (w: Tensor | CSRMatrix) => (w instanceof CSRMatrix ? new CsrOperator(w) : w);
      const leaves = [wIh, wHh].map((w) => (w instanceof CSRMatrix ? w.values : w));
      const pass = () => tidy(() => {
        const r = lstmLayer(x, { wIh: asW(wIh), wHh: asW(wHh), bIh, bHh });
        r.output.backward(g);
        r.h.dispose();
        r.c.dispose();
        for (const l of leaves) l.grad?.dispose();
        for (const l of leaves) l.grad = null;
      });
      const ms = (await timeAll({ pass }, H === 1500 ? 2000 : 400)).pass!;
      const tps = Math.round((T * B) / (ms / 1000));
      out[H]![String(density)] = tps;
      table.push({ H, density, 'fwd+bwd ms': fmt(ms, 1), 'tokens/s': tps, 'vs dense': `${fmt(tps / out[H]!['1']!, 2)}×` });
      for (const w of [wIh, wHh]) w.dispose();
    }
    for (const t of [x, g, bIh, bHh]) t.dispose();
  }
  console.log(`\nLSTM layer forward + backward, T=${T} B=${B} I=H, dense vs CSR W_ih and W_hh:`);
  console.table(table);
  return out;
}

await main();
