// How many bytes a model's training state takes, as stored, against the same model dense: the
// memory side of sparse training (`selfish-rnn info` prints it).
//
// Counted per weight (every slot of the model, tied weights once):
//   CSR    values (4 bytes per nonzero) + column indices (2, or 4 for a matrix of more than 65,536
//          columns) + row pointers (4 per row + 4), plus the optimizer's per-entry state per nonzero;
//   dense  4 bytes per entry plus the optimizer's per-entry state per entry.
// The dense figure is the same model with every weight dense (rows × cols entries) and the
// optimizer's state for dense parameters (SNT-ASGD's and sparse Adam's per-weight step counters
// are kept for sparse values only). Not counted, in either: gradients (4 bytes per entry for both,
// alive during a step), activations, the per-tensor scalars of the optimizer, and the transposed
// index a threaded run builds for a sparse weight's Wᵀ·G (see CSRMatrix.storageBytes).
import { isSparse, type Module } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';

export interface TrainingStateBytes {
  /** Weights as stored (CSR: values + indices + row pointers; dense: values). */
  weights: number;
  /** The optimizer's per-entry state (0 without an optimizer, or for plain SGD). */
  optimizer: number;
  /** weights + optimizer. */
  total: number;
  /** The same for the model with every weight dense. */
  dense: { weights: number; optimizer: number; total: number };
  /** total / dense.total (1 for an empty model). */
  ratio: number;
}

/**
 * The bytes of `model`'s weights and of `optimizer`'s per-entry state for them (see the header),
 * and the same for the model dense. Parameters the optimizer does not hold count no state.
 */
export function trainingStateBytes(model: Module, optimizer?: Optimizer | null): TrainingStateBytes {
  const held = new Set(optimizer?.params ?? []);
  let weights = 0, state = 0, denseWeights = 0, denseState = 0;
  for (const [, w] of model.namedWeights()) {
    const values = isSparse(w) ? w.values : w;
    const entries = values.size, denseEntries = isSparse(w) ? w.rows * w.cols : w.size;
    weights += isSparse(w) ? w.storageBytes : 4 * w.size;
    denseWeights += 4 * denseEntries;
    if (optimizer && held.has(values)) {
      state += entries * optimizer.entryStateBytes(values);
      denseState += denseEntries * optimizer.entryStateBytes(values, { dense: true });
    }
  }
  const total = weights + state, denseTotal = denseWeights + denseState;
  return {
    weights, optimizer: state, total,
    dense: { weights: denseWeights, optimizer: denseState, total: denseTotal },
    ratio: denseTotal === 0 ? 1 : total / denseTotal,
  };
}
