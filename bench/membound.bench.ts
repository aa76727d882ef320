// Are the recurrent sparse products memory-bound? Nanoseconds per nonzero of SpMM, SpMMᵀ and SDDMM
// at N = 20 (one time step, batch 20), density 0.33, as W (4H × H) grows from cache-resident
// (H = 100: 0.1 MiB of indices and values) to DRAM-resident (H = 1500: 23 MiB). A kernel bound by
// its instructions costs the same per nonzero at every size; one bound by memory traffic costs
// more once W leaves the caches, and only then would narrower (16-bit) column indices, 8 → 6
// bytes per nonzero, pay. `dram_over_cache` = ns/nonzero at H = 1500 over H = 200.
// Threads: 1 (the single-core kernels). Rounds alternate sizes; fastest sample kept.
//
// Run: npm run bench -- membound
// Last line: {"suite":"membound","ns_per_nnz":{"H=100":{"spmm":..,"spmm_t":..,"sddmm":..},...},"dram_over_cache":{...}}
import { kernels, Random, setThreads } from '../src/index.js';
import { bestTimes, formatTable, machineLine, printJsonLine, randomCsr, randomTensor, round, type BenchTask } from './common.js';

await setThreads(1);
const rng = new Random(3);
const rand = (shape: number[]) => randomTensor(rng, shape);
const N = 20;
const HS = [100, 200, 650, 1500];
const tasks: BenchTask[] = [];
const nnzOf = new Map<string, number>();
for (const H of HS) {
  const M = 4 * H, K = H;
  const W = randomCsr(rng, M, K, 0.33);
  const x = rand([K, N]), y = rand([M, N]), g = rand([M, N]), gx = rand([K, N]), dv = rand([W.nnz]);
  const [rp, ci, v] = [W.rowPtr.ptr, W.colIdx.ptr, W.values.ptr];
  const reps = Math.max(1, Math.round(2e6 / W.nnz)); // ≈ 2M nonzeros per sample at every size
  const rep = (f: () => void) => () => { for (let i = 0; i < reps; i++) f(); };
  for (const [k, f] of [
    ['spmm', () => kernels.spmm(y.ptr, rp, ci, v, x.ptr, M, N, 0)],
    ['spmm_t', () => kernels.spmm_t(gx.ptr, rp, ci, v, g.ptr, M, K, N, 0)],
    ['sddmm', () => kernels.sddmm(dv.ptr, rp, ci, g.ptr, x.ptr, M, N, 0)],
  ] as const) {
    const name = `H=${H} ${k}`;
    tasks.push({ name, fn: rep(f), iterations: 5 });
    nnzOf.set(name, W.nnz * reps);
  }
}
console.log(machineLine());
const best = await bestTimes(tasks, { rounds: 3, time: 100, warmupTime: 20 });
const ns: Record<string, Record<string, number>> = {};
const rows: (string | number)[][] = [];
for (const H of HS) {
  ns[`H=${H}`] = {};
  const row: (string | number)[] = [`4·${H}×${H}`, `${((4 * H * H * 0.33 * 8) / 2 ** 20).toFixed(1)}`];
  for (const k of ['spmm', 'spmm_t', 'sddmm']) {
    const name = `H=${H} ${k}`;
    const v = (best.get(name)! * 1e6) / nnzOf.get(name)!;
    ns[`H=${H}`]![k] = round(v, 3);
    row.push(v.toFixed(3));
  }
  rows.push(row);
}
console.log('\nns per nonzero, N = 20, density 0.33, 1 thread');
console.log(formatTable(['W', 'MiB (idx+val)', 'spmm', 'spmm_t', 'sddmm'], rows));
const ratio: Record<string, number> = {};
for (const k of ['spmm', 'spmm_t', 'sddmm']) ratio[k] = round(ns['H=1500']![k]! / ns['H=200']![k]!);
printJsonLine({ suite: 'membound', threads: 1, ns_per_nnz: ns, dram_over_cache: ratio });
