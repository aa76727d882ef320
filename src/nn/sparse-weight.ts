// Where model code meets its weights: a weight slot of a Module holds a dense Tensor or a
// CSRMatrix, and the ops take either (through src/ops/weight-operator.ts), so layers read the
// same for both. These helpers keep the names the models use.
import { embedding, linear as linearOp } from '../ops/index.js';
import { weightOperator, type WeightOperator } from '../ops/weight-operator.js';
import type { CSRMatrix } from '../csr.js';
import { Tensor, type IntTensor } from '../tensor.js';
import type { DroppedValues } from './dropout.js';

/** A transform of a weight's values before a forward: new values, or DropConnect's (`weightDrop`) with its factor's moments. */
export type ValuesTransform = (values: Tensor) => Tensor | DroppedValues;

/**
 * The weight as a recurrent layer takes it. `transform` (e.g. DropConnect) is applied to the dense
 * weight, or to a sparse weight's nonzero values.
 */
export function asRecurrent(w: Tensor | CSRMatrix, transform?: ValuesTransform): WeightOperator {
  const op = weightOperator(w);
  if (!transform) return op;
  const t = transform(op.tensor);
  return t instanceof Tensor ? weightOperator(w, t) : weightOperator(w, t.values, t.absentFactor);
}

/** Embedding lookup for a dense or sparse [V, E] table. */
export function lookup(w: Tensor | CSRMatrix, ids: IntTensor): Tensor {
  return embedding(w, ids);
}

/** x [N, in] · Wᵀ (+ b) for a dense or sparse [out, in] weight (PyTorch's Linear). */
export function linear(x: Tensor, w: Tensor | CSRMatrix, b?: Tensor | null): Tensor {
  return linearOp(x, w, b);
}
