// How the LSTM layer (src/ops/lstm.ts) reaches its two weight matrices: three products over
// feature-major operands, nothing else. The recurrence never sees how the weight is stored, so a
// CSR weight plugs in by implementing this interface (SpMM for forward, SpMMᵀ for backwardInput,
// a masked sampled product for backwardWeight).
//
// Operands are byte pointers into the wasm heap. X-like operands are feature-major [cols × N]
// and Y-like ones [rows × N] (row-major, N contiguous: N is the batch B for one recurrent step,
// or T·B for the whole-sequence input projection and the weight gradients).
import { kernels } from '../backend/wasm.js';
import { Tensor, shapeString } from '../tensor.js';

export interface RecurrentWeight {
  /** Output features (4H for an LSTM weight). */
  readonly rows: number;
  /** Input features (I for W_ih, H for W_hh). */
  readonly cols: number;
  /**
   * The tensor recorded on the tape for this weight (a leaf parameter, or the output of a tape
   * op such as a DropConnect mask). Its gradient buffer, laid out like it, is what the layer
   * hands to `backwardWeight`; it must not change between the forward and the backward.
   */
  readonly tensor: Tensor;
  /** Y[rows × N] = W·X[cols × N], or += when acc = 1. */
  forward(y: number, x: number, N: number, acc: 0 | 1): void;
  /** GX[cols × N] = Wᵀ·G[rows × N], or += when acc = 1. */
  backwardInput(gx: number, g: number, N: number, acc: 0 | 1): void;
  /** grad += G[rows × N]·X[cols × N]ᵀ, where grad is the gradient buffer of `tensor`. */
  backwardWeight(grad: number, g: number, x: number, N: number): void;
  /**
   * Optional: called before a backward pass issues its backwardInput products (T of them for
   * W_hh), and `endBackward` after the last. A weight may build a transposed copy here so that
   * Wᵀ·G streams memory in order; a CSR weight would build its CSC/transpose.
   */
  beginBackward?(): void;
  endBackward?(): void;
}

/** A dense row-major [rows × cols] weight (PyTorch's weight_ih / weight_hh layout), via the GEMMs. */
export class DenseWeight implements RecurrentWeight {
  readonly rows: number;
  readonly cols: number;
  /** Wᵀ [cols × rows], alive between beginBackward and endBackward. */
  private transposed: Tensor | null = null;

  constructor(readonly tensor: Tensor) {
    if (tensor.rank !== 2) throw new RangeError(`selfish-rnn: a dense recurrent weight must be 2-D, got ${shapeString(tensor.shape)}`);
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

  beginBackward(): void {
    this.endBackward();
    this.transposed = new Tensor([this.cols, this.rows], { persistent: true });
    kernels.transpose(this.transposed.ptr, this.tensor.ptr, this.rows, this.cols);
  }

  endBackward(): void {
    this.transposed?.dispose();
    this.transposed = null;
  }
}

/** `w` itself if it already is a RecurrentWeight, else a dense view of the tensor. */
export function asRecurrentWeight(w: Tensor | RecurrentWeight): RecurrentWeight {
  return w instanceof Tensor ? new DenseWeight(w) : w;
}
