// A weight as the inference path multiplies it: one token per batch row and step, so the product
// has N = batch columns (feature-major: X [cols × N], Y [rows × N], as ./weight-operator.ts), no
// tape and no temporaries. N = 1 takes the matrix × vector kernels (assembly/inference.ts: gemv
// for dense, spmv for CSR), CSR up to N = 4 too; wider batches the training products (GEMM, SpMM).
// A CSR weight with at most 65,536 columns stores 16-bit column indices (src/csr.ts) and is read by
// the `_u16` kernels (6 bytes per nonzero instead of 8): a step is bound by the bytes it streams.
// The weight is read live at every call (values may change between steps); a CSR matrix whose
// topology was replaced (disposed) is refused.
import { kernels } from '../backend/wasm.js';
import { CSRMatrix } from '../csr.js';
import { Tensor, shapeString } from '../tensor.js';

/** Widest N the CSR matrix × vector kernels take (beyond it: SpMM). */
export const SPMV_MAX_N = 4;

export class StepWeight {
  readonly rows: number;
  readonly cols: number;
  private readonly dense: Tensor | null;
  private readonly csr: CSRMatrix | null;

  constructor(readonly weight: Tensor | CSRMatrix) {
    if (weight instanceof CSRMatrix) {
      weight.assertLive();
      this.csr = weight;
      this.dense = null;
      this.rows = weight.rows;
      this.cols = weight.cols;
    } else {
      weight.assertLive();
      if (weight.rank !== 2) throw new RangeError(`selfish-rnn: a weight must be 2-D, got ${shapeString(weight.shape)}`);
      this.dense = weight;
      this.csr = null;
      this.rows = weight.shape[0]!;
      this.cols = weight.shape[1]!;
    }
  }

  /** Y[rows × N] = W·X[cols × N] (acc = 1: +=). */
  forward(y: number, x: number, N: number, acc: 0 | 1 = 0): void {
    const W = this.csr;
    if (W === null) {
      const A = this.dense!;
      if (N === 1) kernels.gemv(y, A.ptr, x, this.rows, this.cols, acc);
      else kernels.gemm_nn(y, A.ptr, x, this.rows, this.cols, N, acc);
      return;
    }
    if (W.isDisposed) W.assertLive();
    const wide = W.colIdx.wide;
    if (N > SPMV_MAX_N) (wide ? kernels.spmm : kernels.spmm_u16)(y, W.rowPtr.ptr, W.colIdx.ptr, W.values.ptr, x, this.rows, N, acc);
    else (wide ? kernels.spmv : kernels.spmv_u16)(y, W.rowPtr.ptr, W.colIdx.ptr, W.values.ptr, x, this.rows, N, acc);
  }

  /** out[n, :] = W[ids[n], :] for n < count: an embedding lookup (token-major rows of `cols` floats). */
  gatherRows(out: number, ids: number, count: number): void {
    const W = this.csr;
    if (W === null) kernels.gather_rows(out, this.dense!.ptr, ids, count, this.cols);
    else {
      if (W.isDisposed) W.assertLive();
      (W.colIdx.wide ? kernels.csr_gather_rows : kernels.csr_gather_rows_u16)(out, W.rowPtr.ptr, W.colIdx.ptr, W.values.ptr, ids, count, this.cols);
    }
  }

  /** Bytes one product streams at N ≤ 4: the values, and for CSR the column indices and row pointers. */
  get bytesPerProduct(): number {
    const W = this.csr;
    if (W === null) return this.rows * this.cols * 4;
    return W.storageBytes;
  }
}
