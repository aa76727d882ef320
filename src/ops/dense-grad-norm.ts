// The norm of the *dense* gradient of sparse (CSR) weights, without forming it.
//
// The official Selfish-RNN code multiplies dense weights by masks, so `clip_grad_norm_` sees the
// gradient at every position, including the absent ones (which the mask zeroes after the step).
// Our sparse backward computes the gradient at the stored entries only. To clip by the same norm,
// each backward that produces a sparse weight gradient also evaluates the gradient at (a sample
// of) the ABSENT positions with the same kernel (SDDMM, or the embedding's row-scatter) over a
// second CSR pattern, the "probe". Its values accumulate over every call that touches the matrix
// (MoS decoder chunks, tied embedding + decoder), so what is squared is the full gradient of each
// probed position:
//
//   ‖g_dense‖² = ‖g at stored entries‖² (clipGradNorm has it)  +  Σ_absent g²  (this file)
//
// Modes:
//   exact    the probe is the complement of the topology: Σ_absent g² exactly. Cost: SDDMM over
//            (1 − d)·numel positions, i.e. a dense weight-gradient product; for tests and small models.
//   sampled  exact for a matrix with at most `exactBelow` absent positions (cheap), else an
//            unbiased importance sample. The pattern is built at the first call that touches a
//            matrix, from that call's G [rows × N] and X [cols × N]: by Cauchy–Schwarz
//            g_ij² ≤ ‖G_i‖²·‖X_j‖², so row i gets λ_i ∝ ‖G_i‖²·Σ_absent ‖X_j‖² expected draws of
//            the budget (fraction·absent positions; + a 10% uniform mixture over rows; a row whose
//            share reaches half its absent count is done exactly; K_i = ⌊λ_i⌋ + Bernoulli(frac))
//            and, within the row, columns are drawn with replacement with q_j ∝ ‖X_j‖² + 10% of
//            the mean (the same defensive mixture, so positions that a later call makes large are
//            still reachable). Σ_absent g² ≈ Σ_samples g²·S_i/(λ_i·q_j), S_i = Σ_{absent j} q_j:
//            unbiased (E K_i = λ_i and the draws are independent of K_i), and nearly exact
//            when the gradient's energy follows the row and column norms (frequent words' decoder
//            rows, saturated hidden units). An embedding table touched first is probed exactly on
//            the rows of the batch's words (the only rows with a gradient), which is cheap.
// The sample is drawn afresh every step from a generator seeded by (seed, step): deterministic,
// the same on resume, and nothing to save.
//
// DropConnect (wdrop on W_hh). The official code masks the raw weight and then drops it, so the
// gradient at an absent position is m·(G·Xᵀ), G·Xᵀ being the gradient of the dropped weight
// (what the probe evaluates) and m the dropout factor drawn there: m ∈ {0, 1/(1−p)} for AWD/MoS
// `WeightDrop` (E[m] = 1, E[m²] = 1/(1−p)), m ∈ {0, 1} for ON-LSTM's `LinearDropConnect`
// (E[m] = E[m²] = 1 − p). Our DropConnect draws m for the stored weights only, so the operator
// passes the factor's moments (`AbsentFactor`) and the probe counts each absent g² with E[m²]:
// the conditional expectation of m²g² given everything else, i.e. the official squared norm in
// expectation over the undrawn factors, with less variance than drawing them. 'exact' is exact in
// that sense under DropConnect, and exact outright without it.
//
// Capture (option `capture`, for SNFS's momentum): instead of the probe pattern, each matrix gets
// a dense rows × cols buffer and each call adds the full dense product G·Xᵀ into it (a GEMM, or the
// embedding's row scatter): one dense weight-gradient product per sparse matrix, no second
// forward. finish() then returns E[m]·G·Xᵀ at every absent position, and the absent squares
// exactly (E[m²]-weighted) whatever the mode.
import { heap } from '../backend/memory.js';
import { kernels } from '../backend/wasm.js';
import { Random } from '../random.js';
import type { CSRMatrix } from '../csr.js';
import { IntTensor, Tensor } from '../tensor.js';

/**
 * The random factor m that multiplies a weight's values in this forward (DropConnect), as seen
 * from a position that stores no weight: no m was drawn there, so the probe weighs G·Xᵀ at such a
 * position by its moments, E[m] for the gradient, E[m²] for its square (1 and 1 without DropConnect).
 */
export interface AbsentFactor {
  mean: number;
  meanSquare: number;
}

/** No random factor: E[m] = E[m²] = 1. */
export const NO_FACTOR: Readonly<AbsentFactor> = Object.freeze({ mean: 1, meanSquare: 1 });

export interface DenseGradNormOptions {
  mode: 'exact' | 'sampled';
  /** sampled: samples per matrix as a fraction of its absent positions (default 0.01). */
  fraction?: number;
  /** sampled: a matrix with at most this many absent positions is probed exactly (default 65 536: cheap next to the step). */
  exactBelow?: number;
  /** Seed of this step's sample (e.g. a hash of the run's seed and the step). */
  seed?: number;
  /**
   * Also keep the dense gradient of every sparse matrix the backward touches (see the top of the
   * file): a dense G·Xᵀ per matrix into a rows × cols buffer; the absent squares are then exact.
   */
  capture?: boolean;
}

interface ProbePattern {
  rowPtr: IntTensor;
  colIdx: IntTensor;
  /** Gradient at the probed positions, accumulated over the backward. */
  acc: Tensor;
  /** Per probed slot: the factor its g² counts with (1 when exact). */
  weight: Float64Array;
  absent: number;
  probed: number;
  /** DropConnect's factor at the absent positions (the same for every call on the matrix). */
  factor: Readonly<AbsentFactor>;
}

interface Capture {
  /** Σ over the calls of the dense G·Xᵀ, rows × cols row-major. */
  dense: Tensor;
  factor: Readonly<AbsentFactor>;
}

export interface DenseGradNormResult {
  /** Σ over absent positions of g² (estimated in 'sampled' mode). */
  absentSquares: number;
  /** Absent positions in the matrices the backward touched, and how many were evaluated. */
  absent: number;
  probed: number;
  /**
   * With `capture`: per matrix the backward touched, its dense gradient at the absent positions
   * (rows × cols row-major: E[m]·G·Xᵀ there, 0 at the stored positions); else null.
   */
  absentGradients: Map<CSRMatrix, Float32Array> | null;
}

/** One backward's probe; create with beginDenseGradNorm, read with finish(). */
export class DenseGradNormProbe {
  private readonly patterns = new Map<CSRMatrix, ProbePattern>();
  private readonly captures = new Map<CSRMatrix, Capture>();
  private readonly rng: Random;
  private readonly fraction: number;
  private readonly exactBelow: number;
  private done = false;

  constructor(readonly opts: DenseGradNormOptions) {
    this.fraction = opts.fraction ?? 0.01;
    this.exactBelow = opts.exactBelow ?? 65_536;
    if (opts.mode !== 'exact' && opts.mode !== 'sampled') throw new RangeError(`selfish-rnn: dense gradient norm mode must be 'exact' or 'sampled', got '${String(opts.mode)}'`);
    if (!(this.fraction > 0 && this.fraction <= 1)) throw new RangeError(`selfish-rnn: dense gradient norm sample fraction must be in (0, 1], got ${this.fraction}`);
    this.rng = new Random(opts.seed ?? 0);
  }

  /** Adds the gradient of one call, dW = G·Xᵀ (G [rows × N], X [cols × N], feature-major). */
  sddmm(W: CSRMatrix, g: number, x: number, N: number, factor: Readonly<AbsentFactor>): void {
    if (this.opts.capture) {
      kernels.gemm_nt(this.captureOf(W, factor).dense.ptr, g, x, W.rows, N, W.cols, 1);
      return;
    }
    const p = this.patternOf(W, factor, { g, x, N });
    if (p.probed > 0) kernels.sddmm(p.acc.ptr, p.rowPtr.ptr, p.colIdx.ptr, g, x, W.rows, N, 1);
  }

  /** Adds an embedding table's gradient: row ids[k] += g[k, :]. */
  embedding(W: CSRMatrix, g: number, ids: number, n: number, factor: Readonly<AbsentFactor>): void {
    if (this.opts.capture) {
      kernels.scatter_add_rows(this.captureOf(W, factor).dense.ptr, g, ids, n, W.cols);
      return;
    }
    const p = this.patternOf(W, factor, { ids, n });
    if (p.probed > 0) kernels.csr_gather_rows_grad(p.acc.ptr, p.rowPtr.ptr, p.colIdx.ptr, g, ids, n, W.cols);
  }

  /** Σ_absent g² (weighted by the sampling fractions and E[m²]) and frees the probe buffers. */
  finish(): DenseGradNormResult {
    if (this.done) throw new Error('selfish-rnn: DenseGradNormProbe.finish called twice');
    if (active === this) active = null;
    this.done = true;
    let squares = 0, absent = 0, probed = 0;
    for (const p of this.patterns.values()) {
      const v = p.acc.data, w = p.weight;
      let sq = 0;
      for (let j = 0; j < p.probed; j++) sq += w[j]! * v[j]! * v[j]!;
      squares += p.factor.meanSquare * sq;
      absent += p.absent;
      probed += p.probed;
    }
    let absentGradients: Map<CSRMatrix, Float32Array> | null = null;
    if (this.opts.capture) {
      absentGradients = new Map();
      for (const [W, c] of this.captures) {
        const r = absentPart(W, c);
        squares += r.squares;
        absent += r.absent;
        probed += r.absent;
        absentGradients.set(W, r.gradient);
      }
    }
    this.dispose();
    return { absentSquares: squares, absent, probed, absentGradients };
  }

  /** Frees the buffers (finish does it; call this when the backward failed). */
  dispose(): void {
    if (active === this) active = null;
    this.done = true;
    for (const p of this.patterns.values()) { p.rowPtr.dispose(); p.colIdx.dispose(); p.acc.dispose(); }
    this.patterns.clear();
    for (const c of this.captures.values()) c.dense.dispose();
    this.captures.clear();
  }

  /** The probe pattern of W (built at the first backward call that touches it; see the top of the file). */
  private patternOf(W: CSRMatrix, factor: Readonly<AbsentFactor>, first: { g: number; x: number; N: number } | { ids: number; n: number }): ProbePattern {
    let p = this.patterns.get(W);
    if (p === undefined) {
      p = { ...this.build(W, first), factor };
      this.patterns.set(W, p);
    } else checkSameFactor(W, p.factor, factor);
    return p;
  }

  private captureOf(W: CSRMatrix, factor: Readonly<AbsentFactor>): Capture {
    let c = this.captures.get(W);
    if (c === undefined) {
      const dense = new Tensor([W.rows, W.cols], { persistent: true });
      dense.data.fill(0);
      c = { dense, factor };
      this.captures.set(W, c);
    } else checkSameFactor(W, c.factor, factor);
    return c;
  }

  private build(W: CSRMatrix, first: { g: number; x: number; N: number } | { ids: number; n: number }): Omit<ProbePattern, 'factor'> {
    const { rows, cols } = W;
    // Views (nothing below allocates wasm memory until the pattern's own tensors at the end).
    const rp = W.rowPtr.data, ci = W.colIdx.data;
    const absentOf = (r: number) => cols - (rp[r + 1]! - rp[r]!);
    let absent = 0;
    for (let r = 0; r < rows; r++) absent += absentOf(r);
    // Which rows are probed, and how many samples each (k = a: every absent position, exactly).
    const k = new Int32Array(rows);
    let colWeight: Float64Array | null = null; // q_j of the sampled rows (null: all rows exact)
    let absentQ: Float64Array | null = null; // per row: Σ of q_j over its absent columns
    let lambda: Float64Array | null = null; // per sampled row: its expected number of draws
    if (this.opts.mode === 'exact' || absent <= this.exactBelow) {
      for (let r = 0; r < rows; r++) k[r] = absentOf(r);
    } else if ('ids' in first) {
      const ids = heap.i32().subarray(first.ids >>> 2, (first.ids >>> 2) + first.n);
      for (const v of ids) k[v] = absentOf(v);
    } else {
      const { g, x, N } = first;
      const rowG = new Float64Array(rows), q = new Float64Array(cols);
      for (let r = 0; r < rows; r++) rowG[r] = kernels.sum_squares(g + r * N * 4, N);
      let qSum = 0;
      for (let c = 0; c < cols; c++) { q[c] = kernels.sum_squares(x + c * N * 4, N); qSum += q[c]!; }
      const floor = 0.1 * (qSum / cols) || 1;
      qSum = 0;
      for (let c = 0; c < cols; c++) { q[c] = q[c]! + floor; qSum += q[c]!; }
      const bound = new Float64Array(rows);
      absentQ = new Float64Array(rows);
      let boundSum = 0;
      for (let r = 0; r < rows; r++) {
        let s = qSum;
        for (let t = rp[r]!; t < rp[r + 1]!; t++) s -= q[ci[t]!]!;
        absentQ[r] = Math.max(s, 0);
        bound[r] = rowG[r]! * absentQ[r]!;
        boundSum += bound[r]!;
      }
      // Expected draws per row λ_r ∝ bound_r (+10% of the mean: a defensive mixture, so a row that
      // a later call makes large is still reachable); K_r = ⌊λ_r⌋ + Bernoulli(frac λ_r) has mean λ_r,
      // which is all the estimator Σ g²·S_r/(λ_r·q_j) needs to be unbiased.
      const budget = this.fraction * absent;
      const mix = (0.1 * boundSum) / rows;
      boundSum = 1.1 * boundSum;
      lambda = new Float64Array(rows);
      for (let r = 0; r < rows; r++) {
        const a = absentOf(r);
        if (a === 0 || boundSum === 0) continue;
        const lam = (budget * (bound[r]! + mix)) / boundSum;
        if (2 * lam >= a) { k[r] = a; continue; } // cheap enough: exactly
        lambda[r] = lam;
        const whole = Math.floor(lam);
        k[r] = whole + (this.rng.uniform() < lam - whole ? 1 : 0);
      }
      colWeight = q;
    }
    const rowPtr = new Int32Array(rows + 1);
    for (let r = 0; r < rows; r++) rowPtr[r + 1] = rowPtr[r]! + k[r]!;
    const total = rowPtr[rows]!;
    const out = new Int32Array(total);
    const weight = new Float64Array(total);
    const mark = new Uint8Array(cols);
    let cdf: Float64Array | null = null;
    if (colWeight !== null) {
      cdf = new Float64Array(cols);
      let acc = 0;
      for (let c = 0; c < cols; c++) { acc += colWeight[c]!; cdf[c] = acc; }
    }
    for (let r = 0; r < rows; r++) {
      const kr = k[r]!;
      if (kr === 0) continue;
      const s0 = rp[r]!, s1 = rp[r + 1]!, o = rowPtr[r]!;
      if (kr === cols - (s1 - s0) && (lambda === null || lambda[r] === 0)) {
        // Every absent position, weight 1.
        for (let s = s0; s < s1; s++) mark[ci[s]!] = 1;
        let j = o;
        for (let c = 0; c < cols; c++) if (!mark[c]) { out[j] = c; weight[j++] = 1; }
        for (let s = s0; s < s1; s++) mark[ci[s]!] = 0;
        continue;
      }
      // kr draws with replacement from q restricted to the absent columns: draw from q, reject
      // stored columns (binary search in the row's ascending columns). The probe's columns need
      // not be ascending nor distinct: the kernels treat every slot on its own.
      const q = colWeight!, c = cdf!, qTotal = c[cols - 1]!, sAbsent = absentQ![r]!, lam = lambda![r]!;
      for (let j = o; j < o + kr;) {
        const u = this.rng.uniform() * qTotal;
        let lo = 0, hi = cols - 1;
        while (lo < hi) { const mid = (lo + hi) >>> 1; if (c[mid]! > u) hi = mid; else lo = mid + 1; }
        let a = s0, b = s1;
        while (a < b) { const mid = (a + b) >>> 1; if (ci[mid]! < lo) a = mid + 1; else b = mid; }
        if (a < s1 && ci[a] === lo) continue;
        out[j++] = lo;
      }
      for (let j = o; j < o + kr; j++) weight[j] = sAbsent / (lam * q[out[j]!]!);
    }
    const acc = new Tensor([Math.max(1, total)], { persistent: true });
    acc.data.fill(0);
    return {
      rowPtr: new IntTensor(rowPtr, [rows + 1], { persistent: true }),
      colIdx: new IntTensor(total === 0 ? [0] : out, [Math.max(1, total)], { persistent: true }),
      acc, weight, absent, probed: total,
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
export function probeSddmm(W: CSRMatrix, g: number, x: number, N: number, factor: Readonly<AbsentFactor> = NO_FACTOR): void {
  active?.sddmm(W, g, x, N, factor);
}

/** For an embedding table's gradient: row ids[n] += g[n, :] (as kernels.csr_gather_rows_grad). */
export function probeEmbedding(W: CSRMatrix, g: number, ids: number, n: number, factor: Readonly<AbsentFactor> = NO_FACTOR): void {
  active?.embedding(W, g, ids, n, factor);
}

/** A matrix is weighed by one factor per backward: a second use under another DropConnect would need its own draw. */
function checkSameFactor(W: CSRMatrix, had: Readonly<AbsentFactor>, got: Readonly<AbsentFactor>): void {
  if (had.mean !== got.mean || had.meanSquare !== got.meanSquare) {
    throw new Error(`selfish-rnn: the dense gradient probe saw the weight${W.name ? ` '${W.name}'` : ''} under two different DropConnect factors in one backward (E[m] ${had.mean} and ${got.mean}); it can weigh only one`);
  }
}

/** A capture's absent part: E[m²]·Σ_absent g², and E[m]·g at the absent positions (0 elsewhere). */
function absentPart(W: CSRMatrix, c: Capture): { squares: number; absent: number; gradient: Float32Array } {
  const { rows, cols } = W;
  const gradient = c.dense.toArray();
  const rp = W.rowPtr.data, ci = W.colIdx.data;
  let squares = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let s = rp[r]!; s < rp[r + 1]!; s++) gradient[o + ci[s]!] = 0;
    for (let j = o; j < o + cols; j++) { const v = gradient[j]!; squares += v * v; }
  }
  if (c.factor.mean !== 1) for (let j = 0; j < gradient.length; j++) gradient[j] = c.factor.mean * gradient[j]!;
  return { squares: c.factor.meanSquare * squares, absent: rows * cols - W.nnz, gradient };
}
