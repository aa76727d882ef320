// Are the recurrent sparse products memory-bound, and what do 16-bit column indices buy?
//
// Sweep: nanoseconds per nonzero of SpMM, SpMMᵀ and SDDMM at N = 20 (one time step, batch 20),
// density 0.33, as W (4H × H) grows from cache-resident (H = 100: 0.1 MiB of indices and values)
// to DRAM-resident (H = 1500: 23 MiB with i32 indices, 17 MiB with u16), each with 32-bit and
// 16-bit column indices (the same matrix: CSRMatrix stores u16, the i32 kernels read a copy). A
// kernel bound by its instructions costs the same per nonzero at every size and width; one bound
// by memory traffic costs more once W leaves the caches, and only then do 6 bytes per nonzero
// instead of 8 pay. `dram_over_cache` = ns/nonzero at H = 1500 over H = 200 (u16, what training runs).
//
// Shapes: the products that dominate two real workloads, i32 vs u16 on the same matrix, timed
// interleaved (each i32 task next to its u16 twin, in every round):
//   rhn       one of the RHN's recurrent matrices, 1660×830 at density 0.523, N = 20 (batch 20;
//             350 micro-steps per training step): spmm, spmm_t (scatter), spmm_t_csc (gather,
//             the form threads use), sddmm
//   decoder   zaremba-medium's decoder, 10000×650 at density 0.33, N = 700 (batch 20 × bptt 35)
// `u16_over_i32` = u16 time / i32 time (< 1: u16 faster). Timing claims need a quiet machine.
// Threads: 1 (the single-core kernels). Rounds alternate tasks; fastest sample kept.
//
// Run: npm run bench -- membound
// Last line: {"suite":"membound","ns_per_nnz":{"i32":{"H=100":{"spmm":..,..},..},"u16":{..}},
//   "dram_over_cache":{..},"index_width":{"rhn":{"spmm":{"i32_ms":..,"u16_ms":..,"u16_over_i32":..},..},"decoder":{..}}}
import { IndexArray, kernels, Random, setThreads, type CSRMatrix } from '../src/index.js';
import { bestTimes, formatTable, machineLine, printJsonLine, randomCsr, randomTensor, round, type BenchTask } from './common.js';

await setThreads(1);
const rng = new Random(3);
const rand = (shape: number[]) => randomTensor(rng, shape);
const WIDTHS = ['i32', 'u16'] as const;
type Width = (typeof WIDTHS)[number];
type KernelName = 'spmm' | 'spmm_t' | 'spmm_t_csc' | 'sddmm';

/**
 * The four products of W (M×K) over N columns, with i32 or u16 index arrays: the u16 kernels read
 * W's own (16-bit) indices, the i32 ones a 32-bit copy of them, so both compute on one topology.
 */
function products(W: CSRMatrix, N: number): Record<Width, Record<KernelName, () => void>> {
  const M = W.rows, K = W.cols;
  if (W.colIdx.wide || W.transposedIndex().rowIdx.wide) throw new Error(`membound: a ${M}×${K} matrix should store 16-bit indices`);
  const t = W.transposedIndex();
  const ci32 = new IndexArray(W.colIdx.data, true, { persistent: true }), ri32 = new IndexArray(t.rowIdx.data, true, { persistent: true });
  const x = rand([K, N]), y = rand([M, N]), g = rand([M, N]), gx = rand([K, N]), dv = rand([W.nnz]);
  const [rp, v, cp, so] = [W.rowPtr.ptr, W.values.ptr, t.colPtr.ptr, t.slotOf.ptr];
  const of = (ci: number, ri: number, u: '' | '_u16') => ({
    spmm: () => (u ? kernels.spmm_u16 : kernels.spmm)(y.ptr, rp, ci, v, x.ptr, M, N, 0),
    spmm_t: () => (u ? kernels.spmm_t_u16 : kernels.spmm_t)(gx.ptr, rp, ci, v, g.ptr, M, K, N, 0),
    spmm_t_csc: () => (u ? kernels.spmm_t_csc_u16 : kernels.spmm_t_csc)(gx.ptr, cp, ri, so, v, g.ptr, K, N, 0),
    sddmm: () => (u ? kernels.sddmm_u16 : kernels.sddmm)(dv.ptr, rp, ci, g.ptr, x.ptr, M, N, 0),
  });
  return { i32: of(ci32.ptr, ri32.ptr, ''), u16: of(W.colIdx.ptr, t.rowIdx.ptr, '_u16') };
}

const tasks: BenchTask[] = [];
const nnzOf = new Map<string, number>();

// ---- the sweep ----
const N = 20;
const HS = [100, 200, 650, 1500];
const SWEEP: KernelName[] = ['spmm', 'spmm_t', 'sddmm'];
for (const H of HS) {
  const W = randomCsr(rng, 4 * H, H, 0.33);
  const p = products(W, N);
  const reps = Math.max(1, Math.round(2e6 / W.nnz)); // ≈ 2M nonzeros per sample at every size
  const rep = (f: () => void) => () => { for (let i = 0; i < reps; i++) f(); };
  for (const k of SWEEP) for (const w of WIDTHS) {
    const name = `H=${H} ${k} ${w}`;
    tasks.push({ name, fn: rep(p[w][k]), iterations: 5 });
    nnzOf.set(name, W.nnz * reps);
  }
}

// ---- the workloads' shapes ----
const SHAPES = [
  { key: 'rhn', label: 'RHN recurrent 1660×830 d=0.523 N=20', M: 1660, K: 830, density: 0.523, N: 20, kernels: ['spmm', 'spmm_t', 'spmm_t_csc', 'sddmm'] as KernelName[] },
  { key: 'decoder', label: 'zaremba-medium decoder 10000×650 d=0.33 N=700', M: 10000, K: 650, density: 0.33, N: 700, kernels: ['spmm', 'spmm_t', 'sddmm'] as KernelName[] },
];
for (const s of SHAPES) {
  const W = randomCsr(rng, s.M, s.K, s.density);
  const p = products(W, s.N);
  for (const k of s.kernels) for (const w of WIDTHS) tasks.push({ name: `${s.key} ${k} ${w}`, fn: p[w][k], iterations: s.N > 100 ? 3 : 10 });
}

console.log(machineLine());
const best = await bestTimes(tasks, { rounds: 3, time: 100, warmupTime: 20 });

const ns: Record<Width, Record<string, Record<string, number>>> = { i32: {}, u16: {} };
const rows: (string | number)[][] = [];
for (const H of HS) {
  const row: (string | number)[] = [`4·${H}×${H}`, `${((4 * H * H * 0.33 * 8) / 2 ** 20).toFixed(1)} / ${((4 * H * H * 0.33 * 6) / 2 ** 20).toFixed(1)}`];
  for (const k of SWEEP) {
    for (const w of WIDTHS) {
      const name = `H=${H} ${k} ${w}`;
      const v = (best.get(name)! * 1e6) / nnzOf.get(name)!;
      (ns[w][`H=${H}`] ??= {})[k] = round(v, 3);
    }
    row.push(`${ns.i32[`H=${H}`]![k]!.toFixed(3)} / ${ns.u16[`H=${H}`]![k]!.toFixed(3)}`);
  }
  rows.push(row);
}
console.log('\nns per nonzero (i32 / u16 column indices), N = 20, density 0.33, 1 thread');
console.log(formatTable(['W', 'MiB idx+val', ...SWEEP], rows));
const ratio: Record<string, number> = {};
for (const k of SWEEP) ratio[k] = round(ns.u16['H=1500']![k]! / ns.u16['H=200']![k]!);

const width: Record<string, Record<string, { i32_ms: number; u16_ms: number; u16_over_i32: number }>> = {};
const shapeRows: (string | number)[][] = [];
for (const s of SHAPES) {
  width[s.key] = {};
  for (const k of s.kernels) {
    const a = best.get(`${s.key} ${k} i32`)!, b = best.get(`${s.key} ${k} u16`)!;
    width[s.key]![k] = { i32_ms: round(a, 3), u16_ms: round(b, 3), u16_over_i32: round(b / a, 3) };
    shapeRows.push([s.label, k, a.toFixed(3), b.toFixed(3), (b / a).toFixed(3)]);
  }
}
console.log('\ni32 vs u16 column indices on the same matrix (best ms, interleaved), 1 thread');
console.log(formatTable(['shape', 'kernel', 'i32 ms', 'u16 ms', 'u16 / i32'], shapeRows));
printJsonLine({ suite: 'membound', threads: 1, ns_per_nnz: ns, dram_over_cache: ratio, index_width: width });
