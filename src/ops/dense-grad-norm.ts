// The norm of the *dense* gradient of sparse (CSR) weights, without forming it.
//
// The official Selfish-RNN code multiplies dense weights by masks, so `clip_grad_norm_` sees the
// gradient at every position, including the absent ones (which the mask zeroes after the step).
// Our sparse backward computes the gradient at the stored entries only. To clip by the same norm,
// each backward that produces a sparse weight gradient also evaluates the gradient at (a sample
// of) the ABSENT positions with the same kernel (SDDMM, or the embedding's row-scatter) over a
// second CSR pattern, the "probe". Its values accumulate over every call that touches the matrix
// (the recurrent weight's per-sequence product, tied embedding + decoder), so what is squared is
// the full gradient of each absent position:
//
//   ‖g_dense‖² = ‖g at stored entries‖² (clipGradNorm has it)  +  Σ_absent g²  (this file)
//
// Modes:
//   exact    the probe is the complement of the topology: Σ_absent g² exactly. Cost: SDDMM over
//            (1 − d)·numel positions, i.e. a dense weight-gradient product; for tests and small models.
//   sampled  per row r with a_r absent positions, k_r = min(a_r, max(minPerRow, ⌈fraction·a_r⌉))
//            of them uniformly without replacement; Σ_absent g² ≈ Σ_r (a_r/k_r)·Σ_sampled g².
//            Unbiased (stratified by row, so the large rows of frequent words are always seen);
//            rows with k_r = a_r are exact. Cost ≈ fraction·(1 − d)/d of the sparse SDDMM.
// The sample is drawn afresh every step from a generator seeded by (seed, step): deterministic,
// the same on resume, and nothing to save.
//
// DropConnect (AWD-LSTM wdrop) drops entries of W_hh; an absent entry has no dropout draw here,
// so its gradient is taken undropped (the official dense code would drop it too). Documented in
// src/optim/README.md.
import { kernels } from '../backend/wasm.js';
import { Random } from '../random.js';
import type { CSRMatrix } from '../sparse/csr.js';
import { IntTensor, Tensor } from '../tensor.js';

export interface DenseGradNormOptions {
  mode: 'exact' | 'sampled';
  /** sampled: fraction of each row's absent positions evaluated (default 0.05). */
  fraction?: number;
  /** sampled: at least this many per row (default 8; a row with fewer absent positions is exact). */
  minPerRow?: number;
  /** Seed of this step's sample (e.g. a hash of the run's seed and the step). */
  seed?: number;
}

interface ProbePattern {
  rowPtr: IntTensor;
  colIdx: IntTensor;
  /** Gradient at the probed positions, accumulated over the backward. */
  acc: Tensor;
  /** Per row: a_r / k_r (the inverse sampling fraction). */
  rowWeight: Float64Array;
  absent: number;
  probed: number;
}

export interface DenseGradNormResult {
  /** Σ over absent positions of g² (estimated in 'sampled' mode). */
  absentSquares: number;
  /** Absent positions in the matrices the backward touched, and how many were evaluated. */
  absent: number;
  probed: number;
}

/** One backward's probe; create with beginDenseGradNorm, read with finish(). */
export class DenseGradNormProbe {
  private readonly patterns = new Map<CSRMatrix, ProbePattern>();
  private readonly rng: Random;
  private readonly fraction: number;
  private readonly minPerRow: number;
  private done = false;

  constructor(readonly opts: DenseGradNormOptions) {
    this.fraction = opts.fraction ?? 0.05;
    this.minPerRow = opts.minPerRow ?? 8;
    if (opts.mode !== 'exact' && opts.mode !== 'sampled') throw new RangeError(`selfish-rnn: dense gradient norm mode must be 'exact' or 'sampled', got '${String(opts.mode)}'`);
    if (!(this.fraction > 0 && this.fraction <= 1)) throw new RangeError(`selfish-rnn: dense gradient norm sample fraction must be in (0, 1], got ${this.fraction}`);
    if (!(Number.isInteger(this.minPerRow) && this.minPerRow >= 1)) throw new RangeError(`selfish-rnn: dense gradient norm minPerRow must be a positive integer, got ${this.minPerRow}`);
    this.rng = new Random(opts.seed ?? 0);
  }

  /** The probe pattern of W (built at the first backward that touches it). */
  patternOf(W: CSRMatrix): ProbePattern {
    let p = this.patterns.get(W);
    if (p === undefined) {
      p = this.build(W);
      this.patterns.set(W, p);
    }
    return p;
  }

  /** Σ_absent g² (weighted by the sampling fractions) and frees the probe buffers. */
  finish(): DenseGradNormResult {
    if (this.done) throw new Error('selfish-rnn: DenseGradNormProbe.finish called twice');
    if (active === this) active = null;
    this.done = true;
    let squares = 0, absent = 0, probed = 0;
    for (const p of this.patterns.values()) {
      const v = p.acc.data, rp = p.rowPtr.data;
      for (let r = 0; r + 1 < rp.length; r++) {
        let s = 0;
        for (let j = rp[r]!; j < rp[r + 1]!; j++) s += v[j]! * v[j]!;
        squares += p.rowWeight[r]! * s;
      }
      absent += p.absent;
      probed += p.probed;
    }
    this.dispose();
    return { absentSquares: squares, absent, probed };
  }

  /** Frees the buffers (finish does it; call this when the backward failed). */
  dispose(): void {
    if (active === this) active = null;
    this.done = true;
    for (const p of this.patterns.values()) { p.rowPtr.dispose(); p.colIdx.dispose(); p.acc.dispose(); }
    this.patterns.clear();
  }

  private build(W: CSRMatrix): ProbePattern {
    const { rows, cols } = W;
    const rp = W.rowPtr.data, ci = W.colIdx.data;
    const rowPtr = new Int32Array(rows + 1);
    const rowWeight = new Float64Array(rows);
    const out: number[] = [];
    const mark = new Uint8Array(cols);
    let absent = 0;
    const exact = this.opts.mode === 'exact';
    for (let r = 0; r < rows; r++) {
      const s0 = rp[r]!, s1 = rp[r + 1]!;
      for (let s = s0; s < s1; s++) mark[ci[s]!] = 1;
      const a = cols - (s1 - s0);
      absent += a;
      const k = exact ? a : Math.min(a, Math.max(this.minPerRow, Math.ceil(this.fraction * a)));
      const start = out.length;
      if (k === a) {
        for (let c = 0; c < cols; c++) if (!mark[c]) out.push(c);
      } else if (2 * k <= a) {
        // Rejection: each draw hits a free absent column with probability ≥ 1/2.
        let got = 0;
        while (got < k) {
          const c = this.rng.int(cols);
          if (mark[c]) continue;
          mark[c] = 2;
          out.push(c);
          got++;
        }
      } else {
        // Partial Fisher–Yates over the list of absent columns.
        const free: number[] = [];
        for (let c = 0; c < cols; c++) if (!mark[c]) free.push(c);
        for (let i = 0; i < k; i++) {
          const j = i + this.rng.int(free.length - i);
          const t = free[i]!; free[i] = free[j]!; free[j] = t;
          out.push(free[i]!);
        }
      }
      // Sorted columns within the row, as every CSR in the library.
      if (k !== a) {
        const seg = out.splice(start).sort((x, y) => x - y);
        for (const c of seg) out.push(c);
      }
      for (let s = s0; s < s1; s++) mark[ci[s]!] = 0;
      for (let i = start; i < out.length; i++) mark[out[i]!] = 0;
      rowWeight[r] = k === 0 ? 0 : a / k;
      rowPtr[r + 1] = out.length;
    }
    const acc = new Tensor([Math.max(1, out.length)], { persistent: true });
    acc.data.fill(0);
    return {
      rowPtr: new IntTensor(rowPtr, [rows + 1], { persistent: true }),
      colIdx: new IntTensor(out.length === 0 ? [0] : out, [Math.max(1, out.length)], { persistent: true }),
      acc, rowWeight, absent, probed: out.length,
    };
  }
}

let active: DenseGradNormProbe | null = null;

/**
 * Starts measuring the dense gradient's absent part for the backward passes that follow, until
 * `finish()` (one probe at a time). The sparse ops call the probe* functions below.
 */
export function beginDenseGradNorm(opts: DenseGradNormOptions): DenseGradNormProbe {
  if (active !== null) throw new Error('selfish-rnn: a dense gradient norm probe is already active (finish or dispose it first)');
  const probe = new DenseGradNormProbe(opts);
  active = probe;
  return probe;
}

/** For a weight gradient dW = G·Xᵀ (G [rows × N], X [cols × N], feature-major, as kernels.sddmm). */
export function probeSddmm(W: CSRMatrix, g: number, x: number, N: number): void {
  if (active === null) return;
  const p = active.patternOf(W);
  if (p.probed > 0) kernels.sddmm(p.acc.ptr, p.rowPtr.ptr, p.colIdx.ptr, g, x, W.rows, N, 1);
}

/** For an embedding table's gradient: row ids[n] += g[n, :] (as kernels.csr_gather_rows_grad). */
export function probeEmbedding(W: CSRMatrix, g: number, ids: number, n: number): void {
  if (active === null) return;
  const p = active.patternOf(W);
  if (p.probed > 0) kernels.csr_gather_rows_grad(p.acc.ptr, p.rowPtr.ptr, p.colIdx.ptr, g, ids, n, W.cols);
}
