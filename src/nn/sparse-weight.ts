// Where model code meets sparse (CSR) weights: a weight slot of a Module holds a dense Tensor or a
// CSRMatrix, and these helpers pick the matching op, so layers read the same for both.
import { kernels } from '../backend/wasm.js';
import { embedding, matmul, add } from '../ops/index.js';
import { probeSddmm } from '../ops/dense-grad-norm.js';
import { sparseEmbedding, sparseLinear } from '../ops/sparse.js';
import { CSRMatrix } from '../sparse/csr.js';
import { IntTensor, Tensor } from '../tensor.js';
import type { RecurrentWeight } from './lstm-weight.js';

/**
 * A CSR weight seen by the LSTM layer: W·X by SpMM, Wᵀ·G by the scatter SpMMᵀ, and the weight
 * gradient by SDDMM at the nonzeros only. `tensor` holds the values actually multiplied: the
 * matrix's own values, or a tape op of them (DropConnect), in which case the gradient flows back
 * through that op to the values leaf.
 */
export class SparseRecurrentWeight implements RecurrentWeight {
  readonly rows: number;
  readonly cols: number;

  constructor(readonly matrix: CSRMatrix, readonly tensor: Tensor = matrix.values) {
    if (tensor.size !== matrix.nnz) throw new RangeError(`selfish-rnn: sparse weight values have ${tensor.size} entries for ${matrix.nnz} nonzeros`);
    this.rows = matrix.rows;
    this.cols = matrix.cols;
  }

  forward(y: number, x: number, N: number, acc: 0 | 1): void {
    this.matrix.assertLive();
    kernels.spmm(y, this.matrix.rowPtr.ptr, this.matrix.colIdx.ptr, this.tensor.ptr, x, this.rows, N, acc);
  }

  backwardInput(gx: number, g: number, N: number, acc: 0 | 1): void {
    kernels.spmm_t(gx, this.matrix.rowPtr.ptr, this.matrix.colIdx.ptr, this.tensor.ptr, g, this.rows, this.cols, N, acc);
  }

  backwardWeight(grad: number, g: number, x: number, N: number): void {
    kernels.sddmm(grad, this.matrix.rowPtr.ptr, this.matrix.colIdx.ptr, g, x, this.rows, N, 1);
    probeSddmm(this.matrix, g, x, N);
  }
}

/**
 * The weight as the LSTM layer takes it. `transform` (e.g. DropConnect) is applied to the dense
 * weight, or to a sparse weight's nonzero values.
 */
export function asRecurrent(w: Tensor | CSRMatrix, transform?: (values: Tensor) => Tensor): Tensor | RecurrentWeight {
  if (w instanceof CSRMatrix) return new SparseRecurrentWeight(w, transform ? transform(w.values) : w.values);
  return transform ? transform(w) : w;
}

/** Embedding lookup for a dense or sparse [V, E] table. */
export function lookup(w: Tensor | CSRMatrix, ids: IntTensor): Tensor {
  return w instanceof CSRMatrix ? sparseEmbedding(w, ids) : embedding(w, ids);
}

/** x [N, in] · Wᵀ (+ b) for a dense or sparse [out, in] weight (PyTorch's Linear). */
export function linear(x: Tensor, w: Tensor | CSRMatrix, b?: Tensor | null): Tensor {
  if (w instanceof CSRMatrix) return sparseLinear(x, w, b ?? undefined);
  const y = matmul(x, w, { transB: true });
  return b ? add(y, b) : y;
}
