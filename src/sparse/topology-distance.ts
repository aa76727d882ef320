// The distance between two sparse topologies of the same architecture, adapted from NNSTD
// (Liu, Mocanu et al. 2020, "Topological Insights into Sparse Neural Networks"), as Selfish-RNN
// uses it to compare the subnetworks found by different runs.
//
// Definition used here (exact):
//  - For one weight matrix W (rows = output neurons, cols = input neurons) and output neuron i,
//    let A_i and B_i be the sets of input neurons connected to i in the two topologies. Its
//    distance is the normalised edit distance of the two sets
//        d_i = 1 − |A_i ∩ B_i| / |A_i ∪ B_i|      (d_i = 0 when both sets are empty).
//  - The tensor's distance is the mean of d_i over its rows.
//  - The model's distance is the mean of the tensor distances weighted by their row counts
//    (= the mean of d_i over every output neuron of every compared tensor).
//  It is 0 for identical topologies and 1 when no connection is shared by any neuron.
//
// Difference from NNSTD: no neuron matching. NNSTD aligns the hidden neurons of the second
// network to those of the first (layer by layer, starting from the shared inputs) because two
// independently trained dense-equivalent networks may permute their hidden units. Here both
// topologies are masks over the SAME parameters of the same architecture (the same embedding
// rows, gate rows and vocabulary columns), so neuron i is compared with neuron i. This measures
// how different the two masks are, not whether they are isomorphic up to a permutation.
import type { Module } from '../nn/module.js';
import { CSRMatrix } from '../csr.js';

/** One tensor's connectivity: CSR index arrays (copies). */
export interface TensorPattern {
  rows: number;
  cols: number;
  rowPtr: Int32Array;
  colIdx: Int32Array;
}

/** A model's sparse topology: parameter name → connectivity. */
export type Topology = Map<string, TensorPattern>;

/** The topology of every CSR weight of a module (copies, safe to keep across updates). */
export function topologyOf(model: Module): Topology {
  const out: Topology = new Map();
  for (const [name, w] of model.namedWeights()) {
    if (w instanceof CSRMatrix) out.set(name, { rows: w.rows, cols: w.cols, rowPtr: w.rowPtr.data.slice(), colIdx: w.colIdx.toInt32Array() });
  }
  return out;
}

export interface TensorDistance {
  name: string;
  rows: number;
  /** Mean over rows of 1 − |A∩B|/|A∪B|. */
  distance: number;
}

/** Per-tensor distances (in the order of `a`). Both topologies must have the same tensors and shapes. */
export function topologyDistanceByTensor(a: Topology | Module, b: Topology | Module): TensorDistance[] {
  const ta = a instanceof Map ? a : topologyOf(a);
  const tb = b instanceof Map ? b : topologyOf(b);
  const onlyA = [...ta.keys()].filter((k) => !tb.has(k)), onlyB = [...tb.keys()].filter((k) => !ta.has(k));
  if (onlyA.length || onlyB.length) {
    throw new RangeError(`selfish-rnn: topologyDistance: the topologies cover different tensors (only in the first: [${onlyA.join(', ')}], only in the second: [${onlyB.join(', ')}])`);
  }
  const out: TensorDistance[] = [];
  for (const [name, p] of ta) {
    const q = tb.get(name)!;
    if (p.rows !== q.rows || p.cols !== q.cols) {
      throw new RangeError(`selfish-rnn: topologyDistance: '${name}' is [${p.rows}, ${p.cols}] in the first topology and [${q.rows}, ${q.cols}] in the second`);
    }
    let sum = 0;
    for (let i = 0; i < p.rows; i++) sum += rowDistance(p, q, i);
    out.push({ name, rows: p.rows, distance: p.rows === 0 ? 0 : sum / p.rows });
  }
  return out;
}

/** The row-weighted mean of the per-tensor distances, in [0, 1]. */
export function topologyDistance(a: Topology | Module, b: Topology | Module): number {
  const per = topologyDistanceByTensor(a, b);
  const rows = per.reduce((s, t) => s + t.rows, 0);
  return rows === 0 ? 0 : per.reduce((s, t) => s + t.rows * t.distance, 0) / rows;
}

/** 1 − |A∩B|/|A∪B| for row i (both column lists ascending: one merge). */
function rowDistance(p: TensorPattern, q: TensorPattern, i: number): number {
  let s = p.rowPtr[i]!, t = q.rowPtr[i]!;
  const se = p.rowPtr[i + 1]!, te = q.rowPtr[i + 1]!;
  const union0 = se - s + (te - t);
  if (union0 === 0) return 0;
  let common = 0;
  while (s < se && t < te) {
    const x = p.colIdx[s]!, y = q.colIdx[t]!;
    if (x === y) { common++; s++; t++; }
    else if (x < y) s++;
    else t++;
  }
  return 1 - common / (union0 - common);
}
