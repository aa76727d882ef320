// One weight operator for dense and CSR weights: the three products every weight-using op needs
// (forward product, transposed product, weight gradient at the existing entries), plus the row
// gather of an embedding lookup. Ops (linear, embedding, the recurrent layers, the MoS decoder)
// call these and never ask how the weight is stored.
//
// Two layouts, because the callers differ:
//  - feature-major (the recurrent layers): X [cols × N], Y [rows × N], N contiguous;
//  - token-major (PyTorch's Linear, the decoders): X [N × cols], Y [N × rows].
// Each implementation picks its best kernels per layout: the dense one calls the GEMMs directly in
// both; the CSR one is feature-major at heart (SpMM, SpMMᵀ, SDDMM) and transposes at the boundary
// of the token-major forms (O(N·(rows + cols)) against the product's O(nnz·N)).
// Operands are byte pointers into the wasm heap; `acc` = 1 accumulates into the output.
import { kernels } from '../backend/wasm.js';
import { preferGatherTranspose } from '../backend/threads.js';
import { CSRMatrix } from '../csr.js';
import { NO_FACTOR, probeEmbedding, probeSddmm, type AbsentFactor } from './dense-grad-norm.js';
import { Tensor, shapeString } from '../tensor.js';

export interface WeightOperator {
  /** Output features (4H for an LSTM weight, V for a decoder). */
  readonly rows: number;
  /** Input features. */
  readonly cols: number;
  /** True for a CSR weight (for statistics and messages only: ops must not branch on it). */
  readonly sparse: boolean;
  /**
   * The tensor recorded on the tape for this weight: a dense leaf, a CSR matrix's values, or the
   * output of a tape op of them (DropConnect). Its gradient buffer, laid out like it, is what
   * the backward products write into; it must not change between the forward and the backward.
   */
  readonly tensor: Tensor;
  /** Feature-major: Y[rows × N] = W·X[cols × N], or += when acc = 1. */
  forward(y: number, x: number, N: number, acc: 0 | 1): void;
  /** Feature-major: GX[cols × N] = Wᵀ·G[rows × N], or += when acc = 1. */
  backwardInput(gx: number, g: number, N: number, acc: 0 | 1): void;
  /** Feature-major: grad += G[rows × N]·X[cols × N]ᵀ, at the existing entries only. */
  backwardWeight(grad: number, g: number, x: number, N: number): void;
  /** Token-major: Y[N × rows] = X[N × cols]·Wᵀ, or += when acc = 1. */
  forwardRows(y: number, x: number, N: number, acc: 0 | 1): void;
  /** Token-major: GX[N × cols] = G[N × rows]·W, or += when acc = 1. */
  backwardInputRows(gx: number, g: number, N: number, acc: 0 | 1): void;
  /** Token-major: grad += G[N × rows]ᵀ·X[N × cols], at the existing entries only. */
  backwardWeightRows(grad: number, g: number, x: number, N: number): void;
  /** out[n, :] = W[ids[n], :] (count rows of `cols` floats): an embedding lookup. */
  gatherRows(out: number, ids: number, count: number): void;
  /** grad[ids[n], :] += g[n, :], at the existing entries only. */
  gatherRowsGrad(grad: number, g: number, ids: number, count: number): void;
  /**
   * Optional: called before a backward pass issues its feature-major transposed products (T of
   * them for W_hh), and `endBackward` after the last, so a weight may build a transposed copy.
   */
  beginBackward?(): void;
  endBackward?(): void;
  /**
   * Throws if the weight's storage was freed: "used after dispose()" in a forward, or, given the
   * op whose backward is running, "disposed between forward and backward".
   */
  assertLive(backwardOf?: string): void;
}

/** A dense row-major [rows × cols] weight (PyTorch's layout), via the SIMD GEMMs. */
export class DenseOperator implements WeightOperator {
  readonly rows: number;
  readonly cols: number;
  readonly sparse = false;
  /** Wᵀ [cols × rows], alive between beginBackward and endBackward. */
  private transposed: Tensor | null = null;

  constructor(readonly tensor: Tensor) {
    if (tensor.rank !== 2) throw new RangeError(`selfish-rnn: a dense weight must be 2-D, got ${shapeString(tensor.shape)}`);
    this.rows = tensor.shape[0]!;
    this.cols = tensor.shape[1]!;
  }

  forward(y: number, x: number, N: number, acc: 0 | 1): void {
    this.tensor.assertLive();
    kernels.gemm_nn(y, this.tensor.ptr, x, this.rows, this.cols, N, acc);
  }

  backwardInput(gx: number, g: number, N: number, acc: 0 | 1): void {
    // Wᵀ·G straight from W (gemm_tn) walks W down its columns, re-reading each cache line once
    // per 4-column tile: for W_hh at H = 1500 (36 MB) that made a step's product ~3× slower
    // than gemm_nn over a transposed copy, which costs one O(rows·cols) transpose per backward.
    if (this.transposed) kernels.gemm_nn(gx, this.transposed.ptr, g, this.cols, this.rows, N, acc);
    else kernels.gemm_tn(gx, this.tensor.ptr, g, this.cols, this.rows, N, acc);
  }

  backwardWeight(grad: number, g: number, x: number, N: number): void {
    kernels.gemm_nt(grad, g, x, this.rows, N, this.cols, 1);
  }

  forwardRows(y: number, x: number, N: number, acc: 0 | 1): void {
    this.tensor.assertLive();
    kernels.gemm_nt(y, x, this.tensor.ptr, N, this.cols, this.rows, acc);
  }

  backwardInputRows(gx: number, g: number, N: number, acc: 0 | 1): void {
    kernels.gemm_nn(gx, g, this.tensor.ptr, N, this.rows, this.cols, acc);
  }

  backwardWeightRows(grad: number, g: number, x: number, N: number): void {
    kernels.gemm_tn(grad, g, x, this.rows, N, this.cols, 1);
  }

  gatherRows(out: number, ids: number, count: number): void {
    this.tensor.assertLive();
    kernels.gather_rows(out, this.tensor.ptr, ids, count, this.cols);
  }

  gatherRowsGrad(grad: number, g: number, ids: number, count: number): void {
    kernels.scatter_add_rows(grad, g, ids, count, this.cols);
  }

  beginBackward(): void {
    this.endBackward();
    this.transposed = new Tensor([this.cols, this.rows], { persistent: true });
    kernels.transpose(this.transposed.ptr, this.tensor.ptr, this.rows, this.cols);
  }

  endBackward(): void {
    this.transposed?.dispose();
    this.transposed = null;
  }

  assertLive(backwardOf?: string): void {
    if (backwardOf === undefined) this.tensor.assertLive();
    else if (this.tensor.isDisposed) {
      throw new Error(`selfish-rnn: ${backwardOf}: the weight${this.tensor.name ? ` '${this.tensor.name}'` : ''} was disposed between forward and backward`);
    }
  }
}

/**
 * Which form computes Wᵀ·G for CSR weights. 'scatter' (the default) reads the CSR arrays
 * directly; 'gather' uses the transposed index that the matrix builds once per topology.
 * bench/sparse.bench.ts measures both; see bench/RESULTS.md for why scatter is the default.
 */
export type TransposeForm = 'scatter' | 'gather';
let transposeForm: TransposeForm = 'scatter';

/** Selects the Wᵀ·G kernel used by CSR weights (returns the previous one). */
export function setSparseTransposeForm(form: TransposeForm): TransposeForm {
  if (form !== 'scatter' && form !== 'gather') throw new TypeError(`selfish-rnn: sparse transpose form must be 'scatter' or 'gather', got '${String(form)}'`);
  const prev = transposeForm;
  transposeForm = form;
  return prev;
}

/** A persistent scratch [rows × cols] holding the transpose of the [cols × rows] matrix at src. */
function transposedCopy(src: number, rows: number, cols: number): Tensor {
  const t = new Tensor([cols, rows], { persistent: true });
  kernels.transpose(t.ptr, src, rows, cols);
  return t;
}

/** Writes (acc = 0) or adds (acc = 1) the transpose of the [rows × cols] tensor src into dst. */
export function storeTransposed(dst: number, src: Tensor, rows: number, cols: number, acc: 0 | 1): void {
  if (acc === 0) {
    kernels.transpose(dst, src.ptr, rows, cols);
    return;
  }
  const t = transposedCopy(src.ptr, rows, cols);
  kernels.axpy(dst, t.ptr, 1, t.size);
  t.dispose();
}

/**
 * A CSR weight: W·X by SpMM, Wᵀ·G by SpMMᵀ, the weight gradient by SDDMM at the nonzeros only.
 * `tensor` holds the values actually multiplied: the matrix's own values, or a tape op of them
 * (DropConnect), in which case the gradient flows back through that op to the values leaf.
 */
export class CsrOperator implements WeightOperator {
  readonly rows: number;
  readonly cols: number;
  readonly sparse = true;
  /** True between beginBackward and endBackward (a recurrent layer's run of transposed products). */
  private inBackward = false;
  /**
   * The values in the transposed index's order (CSC), built on the first gather-form product of
   * a backward pass and freed at its end: the T products of the pass then stream index and value
   * side by side (6 bytes per nonzero with u16 indices) instead of fetching each value through
   * the slot map (4 more bytes, and a jump into the values per nonzero).
   */
  private valuesT: Tensor | null = null;

  /**
   * @param tensor the values multiplied (the matrix's own, or DropConnect's output of them)
   * @param absentFactor the moments of DropConnect's factor, for the gradient at absent positions
   */
  constructor(readonly matrix: CSRMatrix, readonly tensor: Tensor = matrix.values, readonly absentFactor: Readonly<AbsentFactor> = NO_FACTOR) {
    if (!(absentFactor.mean >= 0 && absentFactor.meanSquare >= 0)) throw new RangeError(`selfish-rnn: the absent positions' factor must have moments ≥ 0, got E[m] = ${absentFactor.mean}, E[m²] = ${absentFactor.meanSquare}`);
    if (tensor.size !== matrix.nnz) throw new RangeError(`selfish-rnn: sparse weight values have ${tensor.size} entries for ${matrix.nnz} nonzeros`);
    this.rows = matrix.rows;
    this.cols = matrix.cols;
  }

  // Each product calls the kernel of the matrix's index width (`_u16` for 16-bit indices): the
  // same arithmetic in the same order, so the same bits; the kernel is looked up per call because
  // setThreads swaps the functions of `kernels`.
  forward(y: number, x: number, N: number, acc: 0 | 1): void {
    const W = this.matrix;
    W.assertLive();
    (W.colIdx.wide ? kernels.spmm : kernels.spmm_u16)(y, W.rowPtr.ptr, W.colIdx.ptr, this.tensor.ptr, x, this.rows, N, acc);
  }

  backwardInput(gx: number, g: number, N: number, acc: 0 | 1): void {
    const W = this.matrix;
    // With threads, narrow N takes the gather form: it splits by rows of gx, the scatter form only
    // by columns (shared cache lines at small N); both give the same bits.
    if (transposeForm === 'gather' || preferGatherTranspose(N)) {
      const t = W.transposedIndex();
      if (this.inBackward) {
        // The same loop as spmm_t_csc with the values already in CSC order: the same bits.
        if (this.valuesT === null) {
          this.valuesT = new Tensor([W.nnz], { persistent: true });
          kernels.gather_rows(this.valuesT.ptr, this.tensor.ptr, t.slotOf.ptr, W.nnz, 1);
        }
        (t.rowIdx.wide ? kernels.spmm : kernels.spmm_u16)(gx, t.colPtr.ptr, t.rowIdx.ptr, this.valuesT.ptr, g, this.cols, N, acc);
      } else {
        (t.rowIdx.wide ? kernels.spmm_t_csc : kernels.spmm_t_csc_u16)(gx, t.colPtr.ptr, t.rowIdx.ptr, t.slotOf.ptr, this.tensor.ptr, g, this.cols, N, acc);
      }
    } else {
      (W.colIdx.wide ? kernels.spmm_t : kernels.spmm_t_u16)(gx, W.rowPtr.ptr, W.colIdx.ptr, this.tensor.ptr, g, this.rows, this.cols, N, acc);
    }
  }

  beginBackward(): void {
    this.endBackward(); // values gathered for an earlier pass are stale
    this.inBackward = true;
  }

  endBackward(): void {
    this.inBackward = false;
    this.valuesT?.dispose();
    this.valuesT = null;
  }

  backwardWeight(grad: number, g: number, x: number, N: number): void {
    const W = this.matrix;
    (W.colIdx.wide ? kernels.sddmm : kernels.sddmm_u16)(grad, W.rowPtr.ptr, W.colIdx.ptr, g, x, this.rows, N, 1);
    probeSddmm(this.matrix, g, x, N, this.absentFactor); // the absent positions (dense clip norm, SNFS): no-op unless a probe is active
  }

  forwardRows(y: number, x: number, N: number, acc: 0 | 1): void {
    const xT = transposedCopy(x, N, this.cols); // [cols, N]
    const yT = new Tensor([this.rows, N], { persistent: true });
    this.forward(yT.ptr, xT.ptr, N, 0);
    storeTransposed(y, yT, this.rows, N, acc);
    xT.dispose();
    yT.dispose();
  }

  backwardInputRows(gx: number, g: number, N: number, acc: 0 | 1): void {
    const gT = transposedCopy(g, N, this.rows); // [rows, N]
    const gxT = new Tensor([this.cols, N], { persistent: true });
    this.backwardInput(gxT.ptr, gT.ptr, N, 0);
    storeTransposed(gx, gxT, this.cols, N, acc);
    gT.dispose();
    gxT.dispose();
  }

  backwardWeightRows(grad: number, g: number, x: number, N: number): void {
    const gT = transposedCopy(g, N, this.rows);
    const xT = transposedCopy(x, N, this.cols);
    this.backwardWeight(grad, gT.ptr, xT.ptr, N);
    gT.dispose();
    xT.dispose();
  }

  gatherRows(out: number, ids: number, count: number): void {
    const W = this.matrix;
    W.assertLive();
    (W.colIdx.wide ? kernels.csr_gather_rows : kernels.csr_gather_rows_u16)(out, W.rowPtr.ptr, W.colIdx.ptr, this.tensor.ptr, ids, count, this.cols);
  }

  gatherRowsGrad(grad: number, g: number, ids: number, count: number): void {
    const W = this.matrix;
    (W.colIdx.wide ? kernels.csr_gather_rows_grad : kernels.csr_gather_rows_grad_u16)(grad, W.rowPtr.ptr, W.colIdx.ptr, g, ids, count, this.cols);
    probeEmbedding(this.matrix, g, ids, count, this.absentFactor);
  }

  assertLive(backwardOf?: string): void {
    const W = this.matrix;
    if (backwardOf === undefined) W.assertLive();
    else if (W.isDisposed) throw new Error(`selfish-rnn: ${backwardOf}: the CSRMatrix${W.name ? ` '${W.name}'` : ''} was disposed between forward and backward`);
  }
}

/** A weight as ops take it: a dense tensor, a CSR matrix, or an operator already built. */
export type WeightLike = Tensor | CSRMatrix | WeightOperator;

/**
 * The operator of a weight. `values` replaces the multiplied values (dense: the whole tensor;
 * CSR: the nonzeros), e.g. the output of DropConnect on them; `absentFactor` is then the moments
 * of DropConnect's factor (a CSR weight's absent positions have none drawn).
 */
export function weightOperator(w: WeightLike, values?: Tensor, absentFactor: Readonly<AbsentFactor> = NO_FACTOR): WeightOperator {
  if (w instanceof CSRMatrix) return new CsrOperator(w, values ?? w.values, absentFactor);
  if (w instanceof Tensor) return new DenseOperator(values ?? w);
  if (values !== undefined) throw new TypeError('selfish-rnn: weightOperator: replacement values need a Tensor or CSRMatrix weight, not an operator');
  return w;
}

/** [rows, cols] of a weight without building its operator. */
export function weightShape(w: Tensor | CSRMatrix): [number, number] {
  if (w instanceof CSRMatrix) return [w.rows, w.cols];
  if (w.rank !== 2) throw new RangeError(`selfish-rnn: a weight must be 2-D, got ${shapeString(w.shape)}`);
  return [w.shape[0]!, w.shape[1]!];
}
