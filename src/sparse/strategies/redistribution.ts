// Redistribution: how the regrowth budget is split across tensors.
//
//  none       every tensor regrows back to its own budget (its count at initialisation):
//             r_i = baseline_i − nnz_i after pruning. Selfish-RNN's setting for every reported run.
//  magnitude  share_i ∝ mean |w| over the tensor's active weights        (sparse_learning rules,
//  nonzeros   share_i ∝ number of active weights that are not 0           computed before this
//  momentum   share_i ∝ mean |dense momentum| over its active weights     update's pruning)
//
// For the last three the total regrown is the global budget minus what survived pruning, so the
// total nonzero count stays exactly constant; it is split in proportion to the shares, with each
// tensor capped at its number of empty positions (the excess goes to the others in proportion to
// their shares, water-filling) and integer parts by largest remainder. sparse_learning instead
// rounds each share up, caps at 0.99 of the free positions, spreads residuals evenly for up to
// 1000 rounds and then grows ⌊share⌋: its total drifts by a few weights per update.
import type { RedistributionItem, RedistributionStrategy, TensorTopology } from './types.js';

/** Mean |x| over the active slots (0 for an empty tensor). */
function meanAbs(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.abs(x[i]!);
  return x.length === 0 ? 0 : s / x.length;
}

/**
 * Splits `total` into integers r_i ≤ cap_i in proportion to `shares` (water-filling over the caps,
 * then largest remainder). Σ r_i = min(total, Σ cap_i). Equal shares when every share is 0.
 */
export function proportionalSplit(shares: readonly number[], caps: readonly number[], total: number): Int32Array {
  const n = shares.length;
  const w = shares.map((s) => (Number.isFinite(s) && s > 0 ? s : 0));
  const target = Math.max(0, Math.min(total, caps.reduce((a, b) => a + b, 0)));
  const amount = new Float64Array(n);
  let active = [...Array(n).keys()].filter((i) => caps[i]! > 0);
  // Water-filling: each round either places everything or fills (and retires) at least one tensor.
  while (active.length > 0) {
    const rem = target - amount.reduce((a, b) => a + b, 0);
    if (rem <= 1e-9) break;
    let W = active.reduce((a, i) => a + w[i]!, 0);
    const weight = W > 0 ? (i: number) => w[i]! : () => 1; // only zero shares left: split equally
    if (W === 0) W = active.length;
    const full = active.filter((i) => amount[i]! + (rem * weight(i)) / W >= caps[i]!);
    if (full.length === 0) {
      for (const i of active) amount[i] += (rem * weight(i)) / W;
      break;
    }
    for (const i of full) amount[i] = caps[i]!;
    active = active.filter((i) => !full.includes(i));
  }
  // Integer parts, then +1 by largest fractional part (ties: lower index), never above a cap.
  const out = new Int32Array(n);
  let given = 0;
  for (let i = 0; i < n; i++) { out[i] = Math.min(caps[i]!, Math.floor(amount[i]! + 1e-9)); given += out[i]!; }
  const order = [...Array(n).keys()].sort((a, b) => amount[b]! - out[b]! - (amount[a]! - out[a]!) || a - b);
  while (given < target) {
    const before = given;
    for (const i of order) {
      if (given >= target) break;
      if (out[i]! < caps[i]!) { out[i]++; given++; }
    }
    if (given === before) break;
  }
  return out;
}

const none: RedistributionStrategy = {
  needs: 'none',
  score: () => 0,
  allocate: (items) => Int32Array.from(items, (t) => Math.max(0, Math.min(t.baseline, t.numel) - t.nnzAfterPrune)),
};

function byShare(needs: 'none' | 'momentum', score: (t: TensorTopology, momentum: Float32Array | null) => number): RedistributionStrategy {
  return {
    needs,
    score,
    allocate: (items: readonly RedistributionItem[], total: number) =>
      proportionalSplit(items.map((t) => t.score), items.map((t) => t.numel - t.nnzAfterPrune), total),
  };
}

const magnitude = byShare('none', (t) => meanAbs(t.values));

const nonzeros = byShare('none', (t) => {
  let n = 0;
  for (let s = 0; s < t.values.length; s++) if (t.values[s] !== 0) n++;
  return n;
});

const momentum = byShare('momentum', (t, m) => {
  if (m === null) throw new Error(`selfish-rnn: momentum redistribution of '${t.name}' needs a dense momentum (none was supplied)`);
  let s = 0;
  for (let k = 0; k < t.values.length; k++) s += Math.abs(m[t.rowOf[k]! * t.cols + t.colIdx[k]!]!);
  return t.values.length === 0 ? 0 : s / t.values.length;
});

export const REDISTRIBUTION = { none, magnitude, nonzeros, momentum } as const;
