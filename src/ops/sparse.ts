// Sparse-weight ops: products and lookups whose weight is a CSRMatrix. Forward and backward run
// on the nonzeros only (assembly/sparse.ts); the gradient of W lands in W.values.grad, aligned to
// the slots, and a dense weight gradient is never formed.
//
//   Y = W·X          (W CSR M×K, X K×N):  dW.values += SDDMM(G, X)   dX += Wᵀ·G (SpMMᵀ)
//   y = x·Wᵀ + b     (x N×in, W out×in):  the same through transposes, b's gradient is Σ_n g[n,:]
//   out = W[ids, :]  (W CSR V×E):         dW.values[s] += g[n, col(s)] for each n with ids[n] = row(s)
//
// The matrix's topology is captured by the backward closures: do not dispose a CSRMatrix between
// a forward that used it and the backward (the backward checks). A `rebuild` leaves the old
// matrix intact, so rebuilding mid-step is safe; the gradient goes to the old matrix's values.
import { kernels } from '../backend/wasm.js';
import { record } from '../autograd/engine.js';
import { IntTensor, Tensor, shapeString } from '../tensor.js';
import { CSRMatrix } from '../sparse/csr.js';
import { probeEmbedding, probeSddmm } from './dense-grad-norm.js';
import { checkIds } from './embedding.js';
import { registerOp } from './registry.js';

registerOp('sparseMatmul', 'ops/sparse.ts');
registerOp('sparseLinear', 'ops/sparse.ts');
registerOp('sparseEmbedding', 'ops/sparse.ts');

/**
 * Which form computes Wᵀ·G. 'scatter' (the default) reads the CSR arrays directly; 'gather' uses
 * the transposed index that the matrix builds once per topology. bench/sparse.bench.ts measures
 * both; see bench/RESULTS.md for why scatter is the default.
 */
export type TransposeForm = 'scatter' | 'gather';
let transposeForm: TransposeForm = 'scatter';

/** Selects the Wᵀ·G kernel used by the backward of the sparse ops (returns the previous one). */
export function setSparseTransposeForm(form: TransposeForm): TransposeForm {
  if (form !== 'scatter' && form !== 'gather') throw new TypeError(`selfish-rnn: sparse transpose form must be 'scatter' or 'gather', got '${String(form)}'`);
  const prev = transposeForm;
  transposeForm = form;
  return prev;
}

/** y[K×N] (+)= Wᵀ·g[M×N] with the selected kernel. */
function spmmTransposed(y: Tensor, W: CSRMatrix, g: Tensor, N: number, acc: number): void {
  if (transposeForm === 'gather') {
    const t = W.transposedIndex();
    kernels.spmm_t_csc(y.ptr, t.colPtr.ptr, t.rowIdx.ptr, t.slotOf.ptr, W.values.ptr, g.ptr, W.cols, N, acc);
  } else {
    kernels.spmm_t(y.ptr, W.rowPtr.ptr, W.colIdx.ptr, W.values.ptr, g.ptr, W.rows, W.cols, N, acc);
  }
}

function liveInBackward(W: CSRMatrix, op: string): void {
  if (W.isDisposed) throw new Error(`selfish-rnn: ${op}: the CSRMatrix${W.name ? ` '${W.name}'` : ''} was disposed between forward and backward`);
}

/** Y[M, N] = W·X for W a CSR M×K matrix and X a dense [K, N] tensor (feature-major, as the kernels). */
export function sparseMatmul(W: CSRMatrix, X: Tensor): Tensor {
  W.assertLive();
  X.assertLive();
  if (X.rank !== 2 || X.shape[0] !== W.cols) {
    throw new RangeError(`selfish-rnn: sparseMatmul: W is [${W.rows}, ${W.cols}] so X must be [${W.cols}, N], got ${shapeString(X.shape)}`);
  }
  const [M, N] = [W.rows, X.shape[1]!];
  const Y = new Tensor([M, N]);
  kernels.spmm(Y.ptr, W.rowPtr.ptr, W.colIdx.ptr, W.values.ptr, X.ptr, M, N, 0);
  return record(Y, 'sparseMatmul', [W.values, X], (g, [gW, gX]) => {
    liveInBackward(W, 'sparseMatmul');
    if (gW) { kernels.sddmm(gW.ptr, W.rowPtr.ptr, W.colIdx.ptr, g.ptr, X.ptr, M, N, 1); probeSddmm(W, g.ptr, X.ptr, N); }
    if (gX) spmmTransposed(gX, W, g, N, 1);
  });
}

/**
 * y[N, out] = x[N, in]·Wᵀ (+ bias[out]) for W a CSR [out × in] matrix: PyTorch's Linear convention,
 * interchangeable with `matmul(x, W, { transB: true })`. The kernels are feature-major, so x is
 * transposed on the way in and y on the way out; these transposes are O(N·(in + out)) against the
 * product's O(nnz·N).
 */
export function sparseLinear(x: Tensor, W: CSRMatrix, bias?: Tensor): Tensor {
  W.assertLive();
  x.assertLive();
  const [out, inF] = [W.rows, W.cols];
  if (x.rank !== 2 || x.shape[1] !== inF) {
    throw new RangeError(`selfish-rnn: sparseLinear: W is [${out}, ${inF}] (out × in) so x must be [N, ${inF}], got ${shapeString(x.shape)}`);
  }
  if (bias !== undefined) {
    bias.assertLive();
    if (bias.rank !== 1 || bias.shape[0] !== out) throw new RangeError(`selfish-rnn: sparseLinear: bias must be [${out}], got ${shapeString(bias.shape)}`);
  }
  const N = x.shape[0]!;
  const xT = transposed(x, N, inF); // [in, N]
  const yT = new Tensor([out, N]);
  kernels.spmm(yT.ptr, W.rowPtr.ptr, W.colIdx.ptr, W.values.ptr, xT.ptr, out, N, 0);
  const y = new Tensor([N, out]);
  kernels.transpose(y.ptr, yT.ptr, out, N);
  if (bias !== undefined) kernels.add_row_bcast(y.ptr, y.ptr, bias.ptr, N, out);
  xT.dispose();
  yT.dispose();
  const inputs = bias !== undefined ? [W.values, x, bias] : [W.values, x];
  return record(y, 'sparseLinear', inputs, (g, [gW, gx, gb]) => {
    liveInBackward(W, 'sparseLinear');
    const gT = transposed(g, N, out); // [out, N]
    if (gW) {
      const xT2 = transposed(x, N, inF); // recomputed rather than kept alive across the whole graph
      kernels.sddmm(gW.ptr, W.rowPtr.ptr, W.colIdx.ptr, gT.ptr, xT2.ptr, out, N, 1);
      probeSddmm(W, gT.ptr, xT2.ptr, N);
      xT2.dispose();
    }
    if (gx) {
      const gxT = new Tensor([inF, N]);
      spmmTransposed(gxT, W, gT, N, 0);
      const gxN = transposed(gxT, inF, N); // [N, in]
      kernels.axpy(gx.ptr, gxN.ptr, 1, gxN.size);
      gxT.dispose();
      gxN.dispose();
    }
    if (gb) kernels.sum_rows_acc(gb.ptr, g.ptr, N, out);
    gT.dispose();
  });
}

/** The transpose of a rows×cols tensor, as a new (untracked) tensor. */
function transposed(a: Tensor, rows: number, cols: number): Tensor {
  const t = new Tensor([cols, rows]);
  kernels.transpose(t.ptr, a.ptr, rows, cols);
  return t;
}

/** out[..., :] = W[ids[...], :] for W a CSR [V × E] table; output shape [...ids.shape, E]. */
export function sparseEmbedding(W: CSRMatrix, ids: IntTensor): Tensor {
  W.assertLive();
  const [V, E] = [W.rows, W.cols];
  checkIds(ids, V, 'sparseEmbedding');
  const out = new Tensor([...ids.shape, E]);
  kernels.csr_gather_rows(out.ptr, W.rowPtr.ptr, W.colIdx.ptr, W.values.ptr, ids.ptr, ids.size, E);
  return record(out, 'sparseEmbedding', [W.values], (g, [gW]) => {
    liveInBackward(W, 'sparseEmbedding');
    if (gW) { kernels.csr_gather_rows_grad(gW.ptr, W.rowPtr.ptr, W.colIdx.ptr, g.ptr, ids.ptr, ids.size, E); probeEmbedding(W, g.ptr, ids.ptr, ids.size); }
  });
}
