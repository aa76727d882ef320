// Per-gate counts of recurrent weight matrices: how Selfish-RNN's "cell-gate redistribution"
// shows. Which rows belong to which gate is the model's knowledge (src/models/gate-layout.ts:
// LSTM i, f, g, o; RHN H and T halves; ON-LSTM master gates and o, g, i, f). Nothing in the
// engine treats gates separately: pruning and growth act on the whole matrix, and these counts
// only make the effect visible.
import type { GateStats } from './engine-api.js';
import type { Weight } from '../nn/module.js';
import { lstmGateLayout, type GateLayout } from '../models/gate-layout.js';
import { CSRMatrix } from '../csr.js';

/** Whether `name` is an LSTM gate matrix (weight_ih* / weight_hh*). */
export function isGateMatrix(name: string): boolean {
  const last = name.slice(name.lastIndexOf('.') + 1);
  return last.startsWith('weight_ih') || last.startsWith('weight_hh');
}

/**
 * nnz and density of each gate block of a 2-D weight (a dense weight counts every entry), by the
 * given layout (default: the LSTM's). Null when the weight has no gate layout.
 */
export function gateStatsOf(name: string, w: Weight, layout?: GateLayout | null): GateStats | null {
  if (!(w instanceof CSRMatrix) && w.rank !== 2) return null;
  const [rows, cols] = w instanceof CSRMatrix ? [w.rows, w.cols] : [w.shape[0]!, w.shape[1]!];
  const blocks = layout === undefined ? lstmGateLayout(name, rows) ?? evenLstm(rows) : layout;
  if (blocks === null || blocks.length === 0 || blocks[blocks.length - 1]!.end > rows) return null;
  const rp = w instanceof CSRMatrix ? w.rowPtr.data : null;
  const nnz = blocks.map((b) => (rp ? rp[b.end]! - rp[b.start]! : (b.end - b.start) * cols));
  const density = blocks.map((b, k) => ((b.end - b.start) * cols === 0 ? 0 : nnz[k]! / ((b.end - b.start) * cols)));
  return { name, gates: blocks.map((b) => b.name), nnz, density };
}

/** i, f, g, o blocks of any 4H-row matrix (gateStatsOf's default for an unnamed LSTM weight). */
function evenLstm(rows: number): GateLayout | null {
  return lstmGateLayout('weight_ih', rows);
}

/**
 * Gate stats of every gated matrix among `weights`, in order. `layoutOf` gives each weight's
 * layout (src/models/gate-layout.ts `gateLayoutOf(model)`); default: the LSTM rule.
 */
export function gateStatsAll(weights: readonly [string, Weight][], layoutOf: (name: string, rows: number) => GateLayout | null = lstmGateLayout): GateStats[] {
  const out: GateStats[] = [];
  for (const [name, w] of weights) {
    if (!(w instanceof CSRMatrix) && w.rank !== 2) continue;
    const layout = layoutOf(name, w instanceof CSRMatrix ? w.rows : w.shape[0]!);
    if (layout === null) continue;
    const g = gateStatsOf(name, w, layout);
    if (g !== null) out.push(g);
  }
  return out;
}
