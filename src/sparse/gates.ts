// Per-gate counts of LSTM weight matrices: how Selfish-RNN's "cell-gate redistribution" shows.
// PyTorch stacks the four gates of W_ih / W_hh row-wise in the order i, f, g (cell), o, so gate q
// owns rows [qH, (q+1)H) of a 4H-row matrix. Nothing in the engine treats gates separately:
// pruning and growth act on the whole matrix, and these counts only make the effect visible.
import type { GateStats } from './engine-api.js';
import type { Weight } from '../nn/module.js';
import { CSRMatrix } from './csr.js';

/** Whether `name` is an LSTM gate matrix (weight_ih* / weight_hh*). */
export function isGateMatrix(name: string): boolean {
  const last = name.slice(name.lastIndexOf('.') + 1);
  return last.startsWith('weight_ih') || last.startsWith('weight_hh');
}

/** nnz and density of each gate block; a dense weight counts every entry. Null if rows % 4 ≠ 0. */
export function gateStatsOf(name: string, w: Weight): GateStats | null {
  if (!(w instanceof CSRMatrix) && w.rank !== 2) return null;
  const [rows, cols] = w instanceof CSRMatrix ? [w.rows, w.cols] : [w.shape[0]!, w.shape[1]!];
  if (rows % 4 !== 0 || rows === 0) return null;
  const H = rows / 4;
  const nnz: [number, number, number, number] = [0, 0, 0, 0];
  if (w instanceof CSRMatrix) {
    const rp = w.rowPtr.data;
    for (let q = 0; q < 4; q++) nnz[q] = rp[(q + 1) * H]! - rp[q * H]!;
  } else {
    nnz.fill(H * cols);
  }
  const block = H * cols;
  const density = nnz.map((n) => (block === 0 ? 0 : n / block)) as [number, number, number, number];
  return { name, nnz, density };
}

/** Gate stats of every LSTM gate matrix among `weights`, in order. */
export function gateStatsAll(weights: readonly [string, Weight][]): GateStats[] {
  const out: GateStats[] = [];
  for (const [name, w] of weights) {
    if (!isGateMatrix(name)) continue;
    const g = gateStatsOf(name, w);
    if (g !== null) out.push(g);
  }
  return out;
}
