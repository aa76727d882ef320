// Sparse × dense kernels for CSR weights: the compute behind sparse training.
//
// A CSR matrix W (M×K) is three arrays (src/sparse/csr.ts explains the format):
//   rowPtr (i32, M+1)  the nonzeros of row i are the slots s = rowPtr[i] .. rowPtr[i+1]-1
//   colIdx (nnz)       column of slot s, ascending within a row: u16 or i32 (see below)
//   values (f32, nnz)  value of slot s
// Dense operands are row-major with N columns (N = batch, or batch×time). Every kernel is
// vectorised over N, so one nonzero costs N/4 f32x4 multiply-adds and a missing entry costs
// nothing at all. Pointers are byte offsets; no alignment is required. Outputs must not alias
// inputs. `acc` = 0 overwrites the output, 1 accumulates into it (gradient accumulation).
//
// Column panels: the N columns are cut into panels of nv ≤ 6 vectors (≤ 24 floats; 8 for SpMMᵀ)
// of nearly equal width, plus the last N mod 4 columns, done with scalar code. Inside a panel the
// output slice of a row stays in registers across all of that row's nonzeros (SpMM, SDDMM) or
// the input slice does (SpMMᵀ scatter). For the recurrent products (N = batch = 20) there is one
// panel of 5 vectors and every array is read once: per nonzero, 5 loads of a row of X and 5
// multiply-adds, with X (K × 80 bytes) in L1/L2.
//
// The panel bodies are @inline templates whose first argument `nv` is a literal in each
// specialisation (spmmPanel5 = the template with nv = 5, ...): the optimiser folds the
// `if (nv > k)` tests away, leaving straight-line code with exactly nv accumulators. The
// specialisations are called through a table (SPMM_PANELS[nv](...)) rather than a switch, on
// purpose: Binaryen inlines a function that has one direct caller, and a single exported
// function holding all the loops made V8 spill the hot loop's pointers to the stack; one wasm
// function per specialisation keeps them in registers (+8% SpMM at N = 20, measured).
//
// Index width: every kernel reading an index array has a `wide` template argument (true: i32
// indices, false: u16; assembly/csr-index.ts) and is exported twice, `spmm` (i32) and `spmm_u16`
// (u16: every column < 65,536), each with its `_part`. A product streams W once per call, so 6
// bytes per nonzero instead of 8 is what u16 buys; the arithmetic, and so the bits, are the same.
// Constant offsets go in the instruction (`v128.load(p, 16)`, not `ld(p + 16)`): Binaryen turns
// `p + 64` into `p - (-64)`, which V8 then computes in a register of its own.

import { idxAt, idxLoad, idxShift } from './csr-index';
import { fma4 } from './fma';
import { hsum, hsum4 } from './hsum';
import { OFF_SDDMM_SCRATCH, OFF_SPARSE_PACK, OFF_TBLOCK_DATA, OFF_TBLOCK_PTR, SPARSE_PACK_BYTES, partLo, scratchBase } from './scratch';

@inline function ld(p: usize): v128 { return v128.load(p); }
@inline function st(p: usize, v: v128): void { v128.store(p, v); }
@inline function i32at(p: usize, k: i32): i32 { return load<i32>(p + (<usize>k << 2)); }

/**
 * Widest panel, in vectors, per kernel. V8 issues all loads of a loop body before its arithmetic,
 * so SpMM and SDDMM hold about 2·nv vectors at once: beyond 6 they spill (x64 has 15 usable vector
 * registers; nv = 8 ran at half the speed of nv = 5). SpMMᵀ stores between its loads: 8 fit.
 */
const MAXV_SPMM: i32 = 6;
const MAXV_SPMMT: i32 = 8;
const MAXV_SDDMM: i32 = 6;

/** Width of the next panel: the `left` vectors split into equal panels of at most `maxv`. */
@inline function nextPanel(left: i32, maxv: i32): i32 {
  const panels = (left + maxv - 1) / maxv;
  return (left + panels - 1) / panels;
}

// ---- Large N: row blocks of W and a packed operand panel ----
//
// With N = 700 (a whole batch×bptt sequence) there are ~30 panels. Streaming the whole CSR once
// per panel re-reads W's indices and values ~30 times from memory (17 MB for a 10000×650 decoder
// at density 0.33), and the dense operand's panel is a 96-byte slice of rows 2.8 KB apart: 2–3
// cache lines and a different 4 KiB page per nonzero (L1 DTLB misses). So for N > SMALL_N the
// kernels walk W in row blocks of about BLOCK_NNZ nonzeros (the block's CSR, ≤ 256 KiB, stays in
// L2 while every panel passes over it) and, per (block, panel), copy the panel of the randomly
// indexed operand (X for SpMM and SDDMM) into PACK, K rows of exactly nv vectors: one contiguous
// ≤ 96·K-byte slab, re-used by all the block's nonzeros. The copy costs K·N floats per block
// against nnz(block)·N multiply-adds, i.e. K / BLOCK_NNZ ≈ 2% at K = 650. Where the slab would
// not fit in L1, SpMM and SDDMM pack and walk it in column blocks (L1_PACK_BYTES): each row's
// nonzeros of a block are found by binary search, and each output still receives its terms in the
// same order. SpMMᵀ transposes each row block instead and packs G (see spmmTBlockGather). N ≤
// SMALL_N keeps the plain loops.

/** At or below this N every array is read once anyway (one or two panels): the plain panel loops. */
const SMALL_N: i32 = 32;
/** Nonzeros per row block: indices + values of a block ≈ 256 KiB, which stays in L2 with PACK. */
const BLOCK_NNZ: i32 = 32768;
/**
 * Static scratch for one packed operand panel (rows × nv vectors), below the heap so the
 * allocator never hands it out; kernels run one at a time per instance. 256 KiB holds a 6-vector
 * panel of 2730 rows; a larger K packs narrower panels, and K > 16384 skips packing (plain loops).
 */
const PACK_BYTES: i32 = SPARSE_PACK_BYTES;
/**
 * Bytes of a packed panel that stay in L1 (48 KiB here) beside the other operands. A larger pack
 * sends every nonzero's read of its packed row to L2: at N = 1400 and the same nonzeros per row,
 * SpMM ran at 11.3 GMAC/s with K = 1150 (a 110 KB pack) against 15.6 with K = 400 (38 KB). So SpMM
 * and SDDMM walk a pack larger than UNBLOCKED_PACK_BYTES in column blocks of at most this many
 * bytes: at K = 1150 (ON-LSTM's layers), N = 700, SpMM 11.5 → 13.0 and SDDMM 9.9 → 11.0 GMAC/s.
 * 32 KiB blocks gained less and 24 KiB lost (1 thread, A/B runs on a loaded machine).
 */
const L1_PACK_BYTES: i32 = 40 << 10;

/**
 * A pack up to this size is walked whole: at K = 650 (62 KB at nv = 6) two column blocks were 2–3%
 * slower than one, the binary searches and Y round trips costing more than the L2 reads saved.
 */
const UNBLOCKED_PACK_BYTES: i32 = 64 << 10;

/** Rows per column block of a packed nv-vector panel: K whole, or split evenly into blocks of ≤ L1_PACK_BYTES. */
@inline function columnBlock(K: i32, nv: i32): i32 {
  if (K * (nv << 4) <= UNBLOCKED_PACK_BYTES) return max(1, K);
  const most = max(1, L1_PACK_BYTES / (nv << 4));
  const blocks = max(1, (K + most - 1) / most);
  return max(1, (K + blocks - 1) / blocks);
}

/** First entry in [s, end) whose index is ≥ k (end if none): the indices of a row ascend. */
@inline function firstIndexAtLeast(wide: bool, idx: usize, s: i32, end: i32, k: i32): i32 {
  let lo = s, hi = end;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (idxAt(wide, idx, mid) < k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** PACK: this thread's packed-panel scratch (assembly/scratch.ts). */
@inline function packBase(): usize { return scratchBase + OFF_SPARSE_PACK; }

/**
 * Where packed row 0 would be when PACK holds the rows from k0 on (a column block): the panels add
 * idx·stride to it (it may wrap below 0; the sum is taken mod 2³²).
 */
@inline function packRowZero(k0: i32, nv: i32): usize { return packBase() - <usize>k0 * (<usize>nv << 4); }

/** Widest panel (≤ maxv vectors) whose K packed rows fit in PACK; 0 if not even one vector fits. */
@inline function packedPanelWidth(K: i32, maxv: i32): i32 {
  const fit = PACK_BYTES / (max(K, 1) << 4);
  return min(fit, maxv);
}

/** PACK[r] = src row r's nv vectors, for r < rows (src points at the panel's first column). */
function packPanel(src: usize, rows: i32, rowBytes: usize, nv: i32): void {
  const stride = <usize>nv << 4;
  let d = packBase();
  for (let r = 0; r < rows; r++, src += rowBytes, d += stride) {
    for (let o: usize = 0; o < stride; o += 16) v128.store(d + o, v128.load(src + o));
  }
}

/** End of the row block starting at r0: rows are added until it holds BLOCK_NNZ nonzeros (at least one row). */
@inline function blockEnd(rowPtr: usize, r0: i32, M: i32): i32 {
  const limit = i32at(rowPtr, r0) + BLOCK_NNZ;
  let r1 = r0 + 1;
  while (r1 < M && i32at(rowPtr, r1) < limit) r1++;
  return r1;
}

// ---- SpMM: Y = W·X (and the gather form of Wᵀ·G, which is the same loop over a CSC index) ----

/**
 * One panel (4·nv columns, nv ≤ 6) of Y[rows×N] (+)= A·B where A is compressed by rows
 * (ptr, idx) and B is dense. With `indirect`, the value of entry t is values[slotOf[t]]; that is how
 * a CSC index (which permutes slots) reuses this loop. `wide`: idx holds i32 (else u16) entries.
 */
@inline function spmmPanel(
  nv: i32, indirect: bool, packed: bool, wide: bool,
  y: usize, ptr: usize, idx: usize, slotOf: usize, values: usize, b: usize,
  rows: i32, rowBytes: usize, acc: i32, kLo: i32, kHi: i32,
): void {
  // y and b point at the panel's first column (the panel offset is folded in by the caller).
  // A packed B (see PACK) has rows of exactly nv vectors: a constant stride. A packed panel may
  // hold only the rows [kLo, kHi) of B (a column block of A, see spmmBlocked): then only the
  // entries whose column is in that range are added, and b points where row 0 would be
  // (packRowZero). The caller offsets b: computed here, V8 recomputed it from the stack at every
  // other nonzero.
  const bStride: usize = packed ? <usize>nv << 4 : rowBytes;
  const ranged = packed && (kLo > 0 || kHi < i32.MAX_VALUE);
  for (let i = 0; i < rows; i++) {
    const yi = y + <usize>i * rowBytes;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0);
    let a3 = f32x4.splat(0), a4 = f32x4.splat(0), a5 = f32x4.splat(0);
    if (acc) {
      a0 = ld(yi);
      if (nv > 1) a1 = v128.load(yi, 16);
      if (nv > 2) a2 = v128.load(yi, 32);
      if (nv > 3) a3 = v128.load(yi, 48);
      if (nv > 4) a4 = v128.load(yi, 64);
      if (nv > 5) a5 = v128.load(yi, 80);
    }
    // Walk the entries with pointers, not an index: two fewer address computations per nonzero
    // in V8's code (+5%, measured). pv walks the values, or the slot numbers when indirect.
    let first = i32at(ptr, i), last = i32at(ptr, i + 1);
    if (ranged && first < last) {
      first = firstIndexAtLeast(wide, idx, first, last, kLo);
      last = firstIndexAtLeast(wide, idx, first, last, kHi);
    }
    const pend = idx + (<usize>last << idxShift(wide));
    let pv = (indirect ? slotOf : values) + (<usize>first << 2);
    for (let pi = idx + (<usize>first << idxShift(wide)); pi < pend; pi += <usize>1 << idxShift(wide), pv += 4) {
      const w = v128.load32_splat(indirect ? values + (<usize>load<i32>(pv) << 2) : pv);
      const br = b + idxLoad(wide, pi) * bStride;
      a0 = fma4(a0, w, ld(br));
      if (nv > 1) a1 = fma4(a1, w, v128.load(br, 16));
      if (nv > 2) a2 = fma4(a2, w, v128.load(br, 32));
      if (nv > 3) a3 = fma4(a3, w, v128.load(br, 48));
      if (nv > 4) a4 = fma4(a4, w, v128.load(br, 64));
      if (nv > 5) a5 = fma4(a5, w, v128.load(br, 80));
    }
    st(yi, a0);
    if (nv > 1) v128.store(yi, a1, 16);
    if (nv > 2) v128.store(yi, a2, 32);
    if (nv > 3) v128.store(yi, a3, 48);
    if (nv > 4) v128.store(yi, a4, 64);
    if (nv > 5) v128.store(yi, a5, 80);
  }
}

/** Columns [from, N) of the same product, scalar (the N mod 4 tail; every column in the scalar build). */
@inline function spmmScalarColumns(
  indirect: bool, wide: bool,
  y: usize, ptr: usize, idx: usize, slotOf: usize, values: usize, b: usize,
  rows: i32, N: i32, from: i32, acc: i32,
): void {
  const rowBytes = <usize>N << 2;
  for (let i = 0; i < rows; i++) {
    const yi = y + <usize>i * rowBytes;
    if (!acc) for (let c = from; c < N; c++) store<f32>(yi + (<usize>c << 2), 0);
    const end = i32at(ptr, i + 1);
    for (let t = i32at(ptr, i); t < end; t++) {
      const slot = indirect ? i32at(slotOf, t) : t;
      const w = load<f32>(values + (<usize>slot << 2));
      const br = b + <usize>idxAt(wide, idx, t) * rowBytes;
      for (let c = from; c < N; c++) {
        const o = <usize>c << 2;
        store<f32>(yi + o, load<f32>(yi + o) + w * load<f32>(br + o));
      }
    }
  }
}

// One wasm function per (form, index width, nv), indexed by nv (entry 0 is never used). In the
// scalar build the bodies are empty and never called (the tables still have to compile).
type SpmmPanel = (y: usize, ptr: usize, idx: usize, slotOf: usize, values: usize, b: usize, rows: i32, rowBytes: usize, acc: i32) => void;
function spmmPanel1(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(1, false, false, true, y, p, i, so, v, b, r, rb, acc, 0, i32.MAX_VALUE); }
function spmmPanel2(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(2, false, false, true, y, p, i, so, v, b, r, rb, acc, 0, i32.MAX_VALUE); }
function spmmPanel3(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(3, false, false, true, y, p, i, so, v, b, r, rb, acc, 0, i32.MAX_VALUE); }
function spmmPanel4(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(4, false, false, true, y, p, i, so, v, b, r, rb, acc, 0, i32.MAX_VALUE); }
function spmmPanel5(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(5, false, false, true, y, p, i, so, v, b, r, rb, acc, 0, i32.MAX_VALUE); }
function spmmPanel6(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(6, false, false, true, y, p, i, so, v, b, r, rb, acc, 0, i32.MAX_VALUE); }
function spmmPanel1_u16(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(1, false, false, false, y, p, i, so, v, b, r, rb, acc, 0, i32.MAX_VALUE); }
function spmmPanel2_u16(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(2, false, false, false, y, p, i, so, v, b, r, rb, acc, 0, i32.MAX_VALUE); }
function spmmPanel3_u16(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(3, false, false, false, y, p, i, so, v, b, r, rb, acc, 0, i32.MAX_VALUE); }
function spmmPanel4_u16(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(4, false, false, false, y, p, i, so, v, b, r, rb, acc, 0, i32.MAX_VALUE); }
function spmmPanel5_u16(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(5, false, false, false, y, p, i, so, v, b, r, rb, acc, 0, i32.MAX_VALUE); }
function spmmPanel6_u16(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(6, false, false, false, y, p, i, so, v, b, r, rb, acc, 0, i32.MAX_VALUE); }
function cscPanel1(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(1, true, false, true, y, p, i, so, v, b, r, rb, acc, 0, i32.MAX_VALUE); }
function cscPanel2(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(2, true, false, true, y, p, i, so, v, b, r, rb, acc, 0, i32.MAX_VALUE); }
function cscPanel3(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(3, true, false, true, y, p, i, so, v, b, r, rb, acc, 0, i32.MAX_VALUE); }
function cscPanel4(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(4, true, false, true, y, p, i, so, v, b, r, rb, acc, 0, i32.MAX_VALUE); }
function cscPanel5(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(5, true, false, true, y, p, i, so, v, b, r, rb, acc, 0, i32.MAX_VALUE); }
function cscPanel6(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(6, true, false, true, y, p, i, so, v, b, r, rb, acc, 0, i32.MAX_VALUE); }
function cscPanel1_u16(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(1, true, false, false, y, p, i, so, v, b, r, rb, acc, 0, i32.MAX_VALUE); }
function cscPanel2_u16(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(2, true, false, false, y, p, i, so, v, b, r, rb, acc, 0, i32.MAX_VALUE); }
function cscPanel3_u16(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(3, true, false, false, y, p, i, so, v, b, r, rb, acc, 0, i32.MAX_VALUE); }
function cscPanel4_u16(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(4, true, false, false, y, p, i, so, v, b, r, rb, acc, 0, i32.MAX_VALUE); }
function cscPanel5_u16(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(5, true, false, false, y, p, i, so, v, b, r, rb, acc, 0, i32.MAX_VALUE); }
function cscPanel6_u16(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(6, true, false, false, y, p, i, so, v, b, r, rb, acc, 0, i32.MAX_VALUE); }
function spmmPackedPanel1(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32, lo: i32, hi: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(1, false, true, true, y, p, i, so, v, b, r, rb, acc, lo, hi); }
function spmmPackedPanel2(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32, lo: i32, hi: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(2, false, true, true, y, p, i, so, v, b, r, rb, acc, lo, hi); }
function spmmPackedPanel3(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32, lo: i32, hi: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(3, false, true, true, y, p, i, so, v, b, r, rb, acc, lo, hi); }
function spmmPackedPanel4(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32, lo: i32, hi: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(4, false, true, true, y, p, i, so, v, b, r, rb, acc, lo, hi); }
function spmmPackedPanel5(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32, lo: i32, hi: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(5, false, true, true, y, p, i, so, v, b, r, rb, acc, lo, hi); }
function spmmPackedPanel6(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32, lo: i32, hi: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(6, false, true, true, y, p, i, so, v, b, r, rb, acc, lo, hi); }
function spmmPackedPanel1_u16(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32, lo: i32, hi: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(1, false, true, false, y, p, i, so, v, b, r, rb, acc, lo, hi); }
function spmmPackedPanel2_u16(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32, lo: i32, hi: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(2, false, true, false, y, p, i, so, v, b, r, rb, acc, lo, hi); }
function spmmPackedPanel3_u16(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32, lo: i32, hi: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(3, false, true, false, y, p, i, so, v, b, r, rb, acc, lo, hi); }
function spmmPackedPanel4_u16(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32, lo: i32, hi: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(4, false, true, false, y, p, i, so, v, b, r, rb, acc, lo, hi); }
function spmmPackedPanel5_u16(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32, lo: i32, hi: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(5, false, true, false, y, p, i, so, v, b, r, rb, acc, lo, hi); }
function spmmPackedPanel6_u16(y: usize, p: usize, i: usize, so: usize, v: usize, b: usize, r: i32, rb: usize, acc: i32, lo: i32, hi: i32): void { if (ASC_FEATURE_SIMD) spmmPanel(6, false, true, false, y, p, i, so, v, b, r, rb, acc, lo, hi); }
const SPMM_PANELS: SpmmPanel[] = [spmmPanel1, spmmPanel1, spmmPanel2, spmmPanel3, spmmPanel4, spmmPanel5, spmmPanel6];
const SPMM_PANELS_U16: SpmmPanel[] = [spmmPanel1_u16, spmmPanel1_u16, spmmPanel2_u16, spmmPanel3_u16, spmmPanel4_u16, spmmPanel5_u16, spmmPanel6_u16];
const CSC_PANELS: SpmmPanel[] = [cscPanel1, cscPanel1, cscPanel2, cscPanel3, cscPanel4, cscPanel5, cscPanel6];
const CSC_PANELS_U16: SpmmPanel[] = [cscPanel1_u16, cscPanel1_u16, cscPanel2_u16, cscPanel3_u16, cscPanel4_u16, cscPanel5_u16, cscPanel6_u16];
type SpmmPackedPanel = (y: usize, ptr: usize, idx: usize, slotOf: usize, values: usize, b: usize, rows: i32, rowBytes: usize, acc: i32, kLo: i32, kHi: i32) => void;
const SPMM_PACKED_PANELS: SpmmPackedPanel[] = [spmmPackedPanel1, spmmPackedPanel1, spmmPackedPanel2, spmmPackedPanel3, spmmPackedPanel4, spmmPackedPanel5, spmmPackedPanel6];
const SPMM_PACKED_PANELS_U16: SpmmPackedPanel[] = [spmmPackedPanel1_u16, spmmPackedPanel1_u16, spmmPackedPanel2_u16, spmmPackedPanel3_u16, spmmPackedPanel4_u16, spmmPackedPanel5_u16, spmmPackedPanel6_u16];

/** Y[rows×N] (+)= A·B, A compressed by rows, B dense: the shared body of spmm and spmm_t_csc. */
@inline function compressedTimesDense(
  indirect: bool, wide: bool,
  y: usize, ptr: usize, idx: usize, slotOf: usize, values: usize, b: usize,
  rows: i32, N: i32, acc: i32,
): void {
  if (rows <= 0 || N <= 0) return;
  const rowBytes = <usize>N << 2;
  let off = 0;
  if (ASC_FEATURE_SIMD) {
    const panels = indirect ? (wide ? CSC_PANELS : CSC_PANELS_U16) : (wide ? SPMM_PANELS : SPMM_PANELS_U16);
    for (let left = N >> 2; left > 0;) {
      const nv = nextPanel(left, MAXV_SPMM), o = <usize>off << 2;
      panels[nv](y + o, ptr, idx, slotOf, values, b + o, rows, rowBytes, acc);
      off += nv << 2;
      left -= nv;
    }
  }
  if (off < N) spmmScalarColumns(indirect, wide, y, ptr, idx, slotOf, values, b, rows, N, off, acc);
}

/**
 * The SIMD columns [0, N & ~3) of Y (+)= W·X in row blocks, with X's panel packed per block
 * (large N; see PACK). X has K rows: K = 1 + the largest column index in W, or more.
 */
@inline function spmmBlocked(wide: bool, y: usize, rowPtr: usize, colIdx: usize, values: usize, x: usize, M: i32, K: i32, N: i32, maxv: i32, acc: i32): void {
  const rowBytes = <usize>N << 2;
  const panels = wide ? SPMM_PACKED_PANELS : SPMM_PACKED_PANELS_U16;
  for (let r0 = 0; r0 < M;) {
    const r1 = blockEnd(rowPtr, r0, M);
    const yb = y + <usize>r0 * rowBytes, pb = rowPtr + (<usize>r0 << 2);
    let off = 0;
    for (let left = N >> 2; left > 0;) {
      const nv = nextPanel(left, maxv), o = <usize>off << 2;
      // Column blocks whose packed rows fit in L1 (L1_PACK_BYTES). A row's sums go through Y
      // between blocks (stored, then loaded by the next block with acc = 1): the same additions in
      // the same order, so the same bits as one pass.
      const kb = columnBlock(K, nv);
      // At least one pass, even for K = 0 (Y's rows are then written as zeros, or kept with acc).
      let k0 = 0;
      do {
        const k1 = min(K, k0 + kb);
        packPanel(x + o + <usize>k0 * rowBytes, k1 - k0, rowBytes, nv);
        panels[nv](yb + o, pb, colIdx, 0, values, packRowZero(k0, nv), r1 - r0, rowBytes, k0 == 0 ? acc : 1, k0, K <= kb ? i32.MAX_VALUE : k1);
        k0 += kb;
      } while (k0 < K);
      off += nv << 2;
      left -= nv;
    }
    r0 = r1;
  }
}

/** 1 + the largest column index of W's nonzeros (0 when nnz = 0): the rows of X that are read. */
@inline function columnsUsed(wide: bool, rowPtr: usize, colIdx: usize, M: i32): i32 {
  // Columns ascend within a row, so each row's last entry is its largest.
  let k = 0;
  for (let i = 0; i < M; i++) {
    const end = i32at(rowPtr, i + 1);
    if (end > i32at(rowPtr, i)) k = max(k, idxAt(wide, colIdx, end - 1) + 1);
  }
  return k;
}

@inline function spmmBody(wide: bool, y: usize, rowPtr: usize, colIdx: usize, values: usize, x: usize, M: i32, N: i32, acc: i32): void {
  if (ASC_FEATURE_SIMD && N > SMALL_N && M > 0) {
    // spmm has no K argument: pack only the rows of X that W can reach.
    const K = columnsUsed(wide, rowPtr, colIdx, M), maxv = packedPanelWidth(K, MAXV_SPMM);
    if (maxv > 0) {
      spmmBlocked(wide, y, rowPtr, colIdx, values, x, M, K, N, maxv, acc);
      if (N & 3) spmmScalarColumns(false, wide, y, rowPtr, colIdx, 0, values, x, M, N, N & ~3, acc);
      return;
    }
  }
  compressedTimesDense(false, wide, y, rowPtr, colIdx, 0, values, x, M, N, acc);
}

/** SpMM: Y[M×N] (+)= W·X, W CSR M×K (i32 column indices), X dense K×N. Forward of a sparse layer (feature-major). */
export function spmm(y: usize, rowPtr: usize, colIdx: usize, values: usize, x: usize, M: i32, N: i32, acc: i32): void {
  spmmBody(true, y, rowPtr, colIdx, values, x, M, N, acc);
}

/** spmm with u16 column indices (K ≤ 65,536). */
export function spmm_u16(y: usize, rowPtr: usize, colIdx: usize, values: usize, x: usize, M: i32, N: i32, acc: i32): void {
  spmmBody(false, y, rowPtr, colIdx, values, x, M, N, acc);
}

/**
 * SpMMᵀ, gather form: Y[K×N] (+)= Wᵀ·G through W's transposed index (CSC: colPtr K+1, rowIdx nnz
 * (i32), slotOf nnz (i32) = the CSR slot of each CSC entry, so `values` stays in CSR order). Row j
 * of Y is gathered from the rows of G that column j of W touches; one output row stays in registers.
 */
export function spmm_t_csc(y: usize, colPtr: usize, rowIdx: usize, slotOf: usize, values: usize, g: usize, K: i32, N: i32, acc: i32): void {
  compressedTimesDense(true, true, y, colPtr, rowIdx, slotOf, values, g, K, N, acc);
}

/** spmm_t_csc with u16 row indices (W has ≤ 65,536 rows; slotOf stays i32). */
export function spmm_t_csc_u16(y: usize, colPtr: usize, rowIdx: usize, slotOf: usize, values: usize, g: usize, K: i32, N: i32, acc: i32): void {
  compressedTimesDense(true, false, y, colPtr, rowIdx, slotOf, values, g, K, N, acc);
}

// ---- SpMMᵀ, scatter form: Y = Wᵀ·G straight from CSR ----

/** One panel of Y[K×N] += Wᵀ·G: the panel of G's row i stays in registers, each nonzero updates a row of Y. */
@inline function spmmTPanel(
  nv: i32, wide: bool,
  y: usize, rowPtr: usize, colIdx: usize, values: usize, g: usize,
  M: i32, rowBytes: usize,
): void {
  // y and g point at the panel's first column.
  for (let i = 0; i < M; i++) {
    const start = i32at(rowPtr, i), end = i32at(rowPtr, i + 1);
    if (start == end) continue;
    const gi = g + <usize>i * rowBytes;
    const g0 = ld(gi);
    let g1 = g0, g2 = g0, g3 = g0, g4 = g0, g5 = g0, g6 = g0, g7 = g0;
    if (nv > 1) g1 = v128.load(gi, 16);
    if (nv > 2) g2 = v128.load(gi, 32);
    if (nv > 3) g3 = v128.load(gi, 48);
    if (nv > 4) g4 = v128.load(gi, 64);
    if (nv > 5) g5 = v128.load(gi, 80);
    if (nv > 6) g6 = v128.load(gi, 96);
    if (nv > 7) g7 = v128.load(gi, 112);
    const pend = colIdx + (<usize>end << idxShift(wide));
    let pv = values + (<usize>start << 2);
    for (let pi = colIdx + (<usize>start << idxShift(wide)); pi < pend; pi += <usize>1 << idxShift(wide), pv += 4) {
      const w = v128.load32_splat(pv);
      const yr = y + idxLoad(wide, pi) * rowBytes;
      st(yr, fma4(ld(yr), w, g0));
      if (nv > 1) v128.store(yr, fma4(v128.load(yr, 16), w, g1), 16);
      if (nv > 2) v128.store(yr, fma4(v128.load(yr, 32), w, g2), 32);
      if (nv > 3) v128.store(yr, fma4(v128.load(yr, 48), w, g3), 48);
      if (nv > 4) v128.store(yr, fma4(v128.load(yr, 64), w, g4), 64);
      if (nv > 5) v128.store(yr, fma4(v128.load(yr, 80), w, g5), 80);
      if (nv > 6) v128.store(yr, fma4(v128.load(yr, 96), w, g6), 96);
      if (nv > 7) v128.store(yr, fma4(v128.load(yr, 112), w, g7), 112);
    }
  }
}

type SpmmTPanel = (y: usize, rowPtr: usize, colIdx: usize, values: usize, g: usize, M: i32, rowBytes: usize) => void;
function spmmTPanel1(y: usize, p: usize, i: usize, v: usize, g: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) spmmTPanel(1, true, y, p, i, v, g, m, rb); }
function spmmTPanel2(y: usize, p: usize, i: usize, v: usize, g: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) spmmTPanel(2, true, y, p, i, v, g, m, rb); }
function spmmTPanel3(y: usize, p: usize, i: usize, v: usize, g: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) spmmTPanel(3, true, y, p, i, v, g, m, rb); }
function spmmTPanel4(y: usize, p: usize, i: usize, v: usize, g: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) spmmTPanel(4, true, y, p, i, v, g, m, rb); }
function spmmTPanel5(y: usize, p: usize, i: usize, v: usize, g: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) spmmTPanel(5, true, y, p, i, v, g, m, rb); }
function spmmTPanel6(y: usize, p: usize, i: usize, v: usize, g: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) spmmTPanel(6, true, y, p, i, v, g, m, rb); }
function spmmTPanel7(y: usize, p: usize, i: usize, v: usize, g: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) spmmTPanel(7, true, y, p, i, v, g, m, rb); }
function spmmTPanel8(y: usize, p: usize, i: usize, v: usize, g: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) spmmTPanel(8, true, y, p, i, v, g, m, rb); }
function spmmTPanel1_u16(y: usize, p: usize, i: usize, v: usize, g: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) spmmTPanel(1, false, y, p, i, v, g, m, rb); }
function spmmTPanel2_u16(y: usize, p: usize, i: usize, v: usize, g: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) spmmTPanel(2, false, y, p, i, v, g, m, rb); }
function spmmTPanel3_u16(y: usize, p: usize, i: usize, v: usize, g: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) spmmTPanel(3, false, y, p, i, v, g, m, rb); }
function spmmTPanel4_u16(y: usize, p: usize, i: usize, v: usize, g: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) spmmTPanel(4, false, y, p, i, v, g, m, rb); }
function spmmTPanel5_u16(y: usize, p: usize, i: usize, v: usize, g: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) spmmTPanel(5, false, y, p, i, v, g, m, rb); }
function spmmTPanel6_u16(y: usize, p: usize, i: usize, v: usize, g: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) spmmTPanel(6, false, y, p, i, v, g, m, rb); }
function spmmTPanel7_u16(y: usize, p: usize, i: usize, v: usize, g: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) spmmTPanel(7, false, y, p, i, v, g, m, rb); }
function spmmTPanel8_u16(y: usize, p: usize, i: usize, v: usize, g: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) spmmTPanel(8, false, y, p, i, v, g, m, rb); }
const SPMMT_PANELS: SpmmTPanel[] = [spmmTPanel1, spmmTPanel1, spmmTPanel2, spmmTPanel3, spmmTPanel4, spmmTPanel5, spmmTPanel6, spmmTPanel7, spmmTPanel8];
const SPMMT_PANELS_U16: SpmmTPanel[] = [spmmTPanel1_u16, spmmTPanel1_u16, spmmTPanel2_u16, spmmTPanel3_u16, spmmTPanel4_u16, spmmTPanel5_u16, spmmTPanel6_u16, spmmTPanel7_u16, spmmTPanel8_u16];

// Large N: the scatter loop does a load and a store of Y per vector per nonzero, against one load
// for SpMM's gather loop. So for N > SMALL_N, SpMMᵀ transposes W one row block at a time into a
// static CSC index (TBLOCK_*: column pointers, local row numbers, values in column order; a
// counting sort, O(nnz + K) per block against nnz·N/4 vector multiply-adds), packs the block's
// rows of G per panel into PACK, and runs SpMM's packed gather loop over the K columns with
// acc = 1: Y[j, panel] += Σ w·G[i, panel], one row of Y in registers.

/** Nonzeros per transposed block; also the capacity of TBLOCK_ROW and TBLOCK_VAL. */
const TBLOCK_NNZ: i32 = 32768;
/** Largest K + 2 the column pointers hold; a larger K takes the plain scatter loop. */
const TBLOCK_MAX_K: i32 = 16384;
/** Rows per transposed block: G's packed panel (rows × MAXV_SPMM vectors) must fit in PACK. */
const TBLOCK_MAX_ROWS: i32 = PACK_BYTES / (MAXV_SPMM << 4);
/**
 * Static scratch (below the heap): 64 KiB of column pointers, then 256 KiB = 128 KiB of rows +
 * 128 KiB of values (SDDMM reuses these 256 KiB for its partial sums, SDDMM_PART).
 */
// (TBLOCK_MAX_K << 2 = TBLOCK_PTR_BYTES and TBLOCK_NNZ << 3 = TBLOCK_DATA_BYTES: this thread's region.)
// TBLOCK_PTR, TBLOCK_ROW, TBLOCK_VAL:
@inline function tblockPtr(): usize { return scratchBase + OFF_TBLOCK_PTR; }
@inline function tblockRow(): usize { return scratchBase + OFF_TBLOCK_DATA; }
@inline function tblockVal(): usize { return scratchBase + OFF_TBLOCK_DATA + (<usize>TBLOCK_NNZ << 2); }

/**
 * TBLOCK_* = the CSC index of W's rows [r0, r1) (K columns): column j's entries are
 * TBLOCK_PTR[j] .. TBLOCK_PTR[j+1]-1, with rows numbered from r0 and values copied in column order.
 */
@inline function transposeBlock(wide: bool, rowPtr: usize, colIdx: usize, values: usize, r0: i32, r1: i32, K: i32): void {
  // Counting sort with the shifted-pointer trick: count column c at ptr[c + 2], prefix-sum, then
  // ptr[c + 1] serves as column c's fill cursor and ends as column c's end = column c+1's start.
  const ptr = tblockPtr();
  memory.fill(ptr, 0, <usize>(K + 2) << 2);
  const base = i32at(rowPtr, r0), end = i32at(rowPtr, r1);
  for (let s = base; s < end; s++) {
    const q = ptr + (<usize>(idxAt(wide, colIdx, s) + 2) << 2);
    store<i32>(q, load<i32>(q) + 1);
  }
  for (let c = 2; c < K + 2; c++) {
    const q = ptr + (<usize>c << 2);
    store<i32>(q, load<i32>(q) + load<i32>(q - 4));
  }
  for (let i = r0; i < r1; i++) {
    const e = i32at(rowPtr, i + 1);
    for (let s = i32at(rowPtr, i); s < e; s++) {
      const q = ptr + (<usize>(idxAt(wide, colIdx, s) + 1) << 2);
      const t = load<i32>(q);
      store<i32>(q, t + 1);
      store<i32>(tblockRow() + (<usize>t << 2), i - r0);
      store<f32>(tblockVal() + (<usize>t << 2), load<f32>(values + (<usize>s << 2)));
    }
  }
}

/**
 * The SIMD columns [0, n & ~3) of Y[K×n] += Wᵀ·G, one transposed row block of W at a time.
 * Y and G have rows `ld` bytes apart (ld = 4n, or 4N for a thread's column share). The block's
 * local row numbers are i32 whatever W's index width (they live in the scratch region).
 */
@inline function spmmTBlockGather(wide: bool, y: usize, rowPtr: usize, colIdx: usize, values: usize, g: usize, M: i32, K: i32, n: i32, ld: usize): void {
  for (let r0 = 0; r0 < M;) {
    // Rows while the block holds ≤ TBLOCK_NNZ nonzeros (a row has ≤ K < TBLOCK_NNZ) and fits PACK.
    const limit = i32at(rowPtr, r0) + TBLOCK_NNZ, rmax = min(M, r0 + TBLOCK_MAX_ROWS);
    let r1 = r0 + 1;
    while (r1 < rmax && i32at(rowPtr, r1 + 1) <= limit) r1++;
    if (i32at(rowPtr, r1) > i32at(rowPtr, r0)) {
      transposeBlock(wide, rowPtr, colIdx, values, r0, r1, K);
      const gb = g + <usize>r0 * ld;
      let off = 0;
      for (let left = n >> 2; left > 0;) {
        const nv = nextPanel(left, MAXV_SPMM), o = <usize>off << 2;
        packPanel(gb + o, r1 - r0, ld, nv);
        SPMM_PACKED_PANELS[nv](y + o, tblockPtr(), tblockRow(), 0, tblockVal(), packBase(), K, ld, 1, 0, i32.MAX_VALUE);
        off += nv << 2;
        left -= nv;
      }
    }
    r0 = r1;
  }
}

/**
 * Columns [0, n) of Y[K×·] (+)= Wᵀ·G, Y and G with rows `ld` bytes apart: the body of spmm_t
 * (n = N) and of a thread's column share (spmm_t_part). Every element of Y accumulates its
 * products in the order of W's rows whichever loop runs it (scatter, transposed-block gather or
 * scalar tail: each is y + w·g, one product at a time), so the result does not depend on how
 * the columns are cut.
 */
@inline function spmmTColumns(wide: bool, y: usize, rowPtr: usize, colIdx: usize, values: usize, g: usize, M: i32, K: i32, n: i32, ld: usize, acc: i32): void {
  if (K <= 0 || n <= 0) return;
  if (!acc) {
    const bytes = <usize>n << 2;
    if (bytes == ld) memory.fill(y, 0, <usize>K * ld);
    else for (let j = 0; j < K; j++) memory.fill(y + <usize>j * ld, 0, bytes);
  }
  if (M <= 0) return;
  let off = 0;
  if (ASC_FEATURE_SIMD && n > SMALL_N && K + 2 <= TBLOCK_MAX_K) {
    spmmTBlockGather(wide, y, rowPtr, colIdx, values, g, M, K, n, ld);
    off = n & ~3;
  } else if (ASC_FEATURE_SIMD) {
    const panels = wide ? SPMMT_PANELS : SPMMT_PANELS_U16;
    for (let left = n >> 2; left > 0;) {
      const nv = nextPanel(left, MAXV_SPMMT), o = <usize>off << 2;
      panels[nv](y + o, rowPtr, colIdx, values, g + o, M, ld);
      off += nv << 2;
      left -= nv;
    }
  }
  if (off < n) {
    for (let i = 0; i < M; i++) {
      const gi = g + <usize>i * ld;
      const end = i32at(rowPtr, i + 1);
      for (let s = i32at(rowPtr, i); s < end; s++) {
        const w = load<f32>(values + (<usize>s << 2));
        const yr = y + <usize>idxAt(wide, colIdx, s) * ld;
        for (let c = off; c < n; c++) {
          const o = <usize>c << 2;
          store<f32>(yr + o, load<f32>(yr + o) + w * load<f32>(gi + o));
        }
      }
    }
  }
}

/**
 * SpMMᵀ, scatter form: Y[K×N] (+)= Wᵀ·G for W CSR M×K, G dense M×N — the input gradient of
 * spmm, computed from the CSR arrays directly (no transposed copy): nonzero (i, j, w) adds
 * w·G[i,:] to Y[j,:].
 */
// One function per index width (spmm_t and its column shares call the same one).
function spmmTColumnsI32(y: usize, rowPtr: usize, colIdx: usize, values: usize, g: usize, M: i32, K: i32, n: i32, ld: usize, acc: i32): void {
  spmmTColumns(true, y, rowPtr, colIdx, values, g, M, K, n, ld, acc);
}
function spmmTColumnsU16(y: usize, rowPtr: usize, colIdx: usize, values: usize, g: usize, M: i32, K: i32, n: i32, ld: usize, acc: i32): void {
  spmmTColumns(false, y, rowPtr, colIdx, values, g, M, K, n, ld, acc);
}

export function spmm_t(y: usize, rowPtr: usize, colIdx: usize, values: usize, g: usize, M: i32, K: i32, N: i32, acc: i32): void {
  spmmTColumnsI32(y, rowPtr, colIdx, values, g, M, K, N, <usize>N << 2, acc);
}

/** spmm_t with u16 column indices (K ≤ 65,536). */
export function spmm_t_u16(y: usize, rowPtr: usize, colIdx: usize, values: usize, g: usize, M: i32, K: i32, N: i32, acc: i32): void {
  spmmTColumnsU16(y, rowPtr, colIdx, values, g, M, K, N, <usize>N << 2, acc);
}

// ---- SDDMM: the weight gradient at the nonzeros only ----

/** Partial dot product over one panel: Σ_k gk ⊙ br[4k .. 4k+4) for k < nv, as 4 lanes. */
@inline function panelDot(nv: i32, br: usize, g0: v128, g1: v128, g2: v128, g3: v128, g4: v128, g5: v128): v128 {
  let p = f32x4.mul(g0, ld(br));
  if (nv > 1) p = fma4(p, g1, v128.load(br, 16));
  if (nv > 2) p = fma4(p, g2, v128.load(br, 32));
  if (nv > 3) p = fma4(p, g3, v128.load(br, 48));
  if (nv > 4) p = fma4(p, g4, v128.load(br, 64));
  if (nv > 5) p = fma4(p, g5, v128.load(br, 80));
  return p;
}

// 64 bytes of static scratch (below the heap, so never handed out by the allocator) for the four
// partial sums of a group of nonzeros; see sddmmPanel. Kernels run one at a time per instance.
@inline function sddmmScratch(): usize { return scratchBase + OFF_SDDMM_SCRATCH; }

/**
 * One panel (nv ≤ 6 vectors) of dW[s] += G[i, panel]·X[j, panel] for every slot s = (i, j). G's panel stays in
 * registers; nonzeros go four at a time and the four horizontal sums share one shuffle tree.
 * The four partial-sum vectors pass through a 64-byte scratch on purpose: V8 schedules all loads
 * of an unrolled group before any arithmetic (4 × nv live vectors: spills), while a store orders
 * each nonzero's loads after the previous one's arithmetic. The stores are forwarded from L1
 * (+20% at N = 20, measured).
 */
@inline function sddmmPanel(
  nv: i32, packed: bool, wide: bool,
  dv: usize, rowPtr: usize, colIdx: usize, g: usize, x: usize,
  M: i32, rowBytes: usize,
): void {
  // g and x point at the panel's first column. A packed X has rows of exactly nv vectors.
  const xStride: usize = packed ? <usize>nv << 4 : rowBytes;
  const sc = sddmmScratch();
  for (let i = 0; i < M; i++) {
    const s = i32at(rowPtr, i), end = i32at(rowPtr, i + 1);
    if (s == end) continue;
    const gi = g + <usize>i * rowBytes;
    const g0 = ld(gi);
    let g1 = g0, g2 = g0, g3 = g0, g4 = g0, g5 = g0;
    if (nv > 1) g1 = v128.load(gi, 16);
    if (nv > 2) g2 = v128.load(gi, 32);
    if (nv > 3) g3 = v128.load(gi, 48);
    if (nv > 4) g4 = v128.load(gi, 64);
    if (nv > 5) g5 = v128.load(gi, 80);
    // pi walks the column indices, pd the gradient slots (pointers, as in spmmPanel); a group of
    // four indices is `group` bytes (u16 indices: the offsets are halved).
    const group: usize = <usize>4 << idxShift(wide);
    let pi = colIdx + (<usize>s << idxShift(wide)), pd = dv + (<usize>s << 2);
    const pend = colIdx + (<usize>end << idxShift(wide));
    for (; pi + group <= pend; pi += group, pd += 16) {
      v128.store(sc, panelDot(nv, x + idxLoad(wide, pi) * xStride, g0, g1, g2, g3, g4, g5));
      v128.store(sc, panelDot(nv, x + (wide ? <usize>load<i32>(pi, 4) : <usize>load<u16>(pi, 2)) * xStride, g0, g1, g2, g3, g4, g5), 16);
      v128.store(sc, panelDot(nv, x + (wide ? <usize>load<i32>(pi, 8) : <usize>load<u16>(pi, 4)) * xStride, g0, g1, g2, g3, g4, g5), 32);
      v128.store(sc, panelDot(nv, x + (wide ? <usize>load<i32>(pi, 12) : <usize>load<u16>(pi, 6)) * xStride, g0, g1, g2, g3, g4, g5), 48);
      st(pd, f32x4.add(ld(pd), hsum4(ld(sc), v128.load(sc, 16), v128.load(sc, 32), v128.load(sc, 48))));
    }
    for (; pi < pend; pi += <usize>1 << idxShift(wide), pd += 4) {
      const p = panelDot(nv, x + idxLoad(wide, pi) * xStride, g0, g1, g2, g3, g4, g5);
      store<f32>(pd, load<f32>(pd) + hsum(p));
    }
  }
}

type SddmmPanel = (dv: usize, rowPtr: usize, colIdx: usize, g: usize, x: usize, M: i32, rowBytes: usize) => void;
function sddmmPanel1(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) sddmmPanel(1, false, true, d, p, i, g, x, m, rb); }
function sddmmPanel2(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) sddmmPanel(2, false, true, d, p, i, g, x, m, rb); }
function sddmmPanel3(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) sddmmPanel(3, false, true, d, p, i, g, x, m, rb); }
function sddmmPanel4(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) sddmmPanel(4, false, true, d, p, i, g, x, m, rb); }
function sddmmPanel5(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) sddmmPanel(5, false, true, d, p, i, g, x, m, rb); }
function sddmmPanel6(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) sddmmPanel(6, false, true, d, p, i, g, x, m, rb); }
function sddmmPanel1_u16(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) sddmmPanel(1, false, false, d, p, i, g, x, m, rb); }
function sddmmPanel2_u16(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) sddmmPanel(2, false, false, d, p, i, g, x, m, rb); }
function sddmmPanel3_u16(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) sddmmPanel(3, false, false, d, p, i, g, x, m, rb); }
function sddmmPanel4_u16(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) sddmmPanel(4, false, false, d, p, i, g, x, m, rb); }
function sddmmPanel5_u16(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) sddmmPanel(5, false, false, d, p, i, g, x, m, rb); }
function sddmmPanel6_u16(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) sddmmPanel(6, false, false, d, p, i, g, x, m, rb); }
function sddmmPackedPanel1(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) sddmmPanel(1, true, true, d, p, i, g, x, m, rb); }
function sddmmPackedPanel2(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) sddmmPanel(2, true, true, d, p, i, g, x, m, rb); }
function sddmmPackedPanel3(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) sddmmPanel(3, true, true, d, p, i, g, x, m, rb); }
function sddmmPackedPanel4(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) sddmmPanel(4, true, true, d, p, i, g, x, m, rb); }
function sddmmPackedPanel5(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) sddmmPanel(5, true, true, d, p, i, g, x, m, rb); }
function sddmmPackedPanel6(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) sddmmPanel(6, true, true, d, p, i, g, x, m, rb); }
function sddmmPackedPanel1_u16(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) sddmmPanel(1, true, false, d, p, i, g, x, m, rb); }
function sddmmPackedPanel2_u16(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) sddmmPanel(2, true, false, d, p, i, g, x, m, rb); }
function sddmmPackedPanel3_u16(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) sddmmPanel(3, true, false, d, p, i, g, x, m, rb); }
function sddmmPackedPanel4_u16(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) sddmmPanel(4, true, false, d, p, i, g, x, m, rb); }
function sddmmPackedPanel5_u16(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) sddmmPanel(5, true, false, d, p, i, g, x, m, rb); }
function sddmmPackedPanel6_u16(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize): void { if (ASC_FEATURE_SIMD) sddmmPanel(6, true, false, d, p, i, g, x, m, rb); }
const SDDMM_PANELS: SddmmPanel[] = [sddmmPanel1, sddmmPanel1, sddmmPanel2, sddmmPanel3, sddmmPanel4, sddmmPanel5, sddmmPanel6];
const SDDMM_PANELS_U16: SddmmPanel[] = [sddmmPanel1_u16, sddmmPanel1_u16, sddmmPanel2_u16, sddmmPanel3_u16, sddmmPanel4_u16, sddmmPanel5_u16, sddmmPanel6_u16];
const SDDMM_PACKED_PANELS: SddmmPanel[] = [sddmmPackedPanel1, sddmmPackedPanel1, sddmmPackedPanel2, sddmmPackedPanel3, sddmmPackedPanel4, sddmmPackedPanel5, sddmmPackedPanel6];
const SDDMM_PACKED_PANELS_U16: SddmmPanel[] = [sddmmPackedPanel1_u16, sddmmPackedPanel1_u16, sddmmPackedPanel2_u16, sddmmPackedPanel3_u16, sddmmPackedPanel4_u16, sddmmPackedPanel5_u16, sddmmPackedPanel6_u16];

// Large N: with ~30 panels, reducing each nonzero's 4-lane partial sum to a float and adding it to
// dW once per panel (shuffle tree, dW load and store) is a quarter of the loop's instructions. So
// for N > SMALL_N the row blocks hold ≤ PART_NNZ nonzeros whose 4-lane partial sums accumulate in
// SDDMM_PART (16 bytes per nonzero, in L2) across all panels, and are reduced once per block.
/** Nonzeros whose 4-lane partial sums fit in the shared block scratch. */
const PART_NNZ: i32 = TBLOCK_NNZ >> 1;
/** SDDMM_PART: the partial sums, in the TBLOCK data region. */
@inline function sddmmPart(): usize { return scratchBase + OFF_TBLOCK_DATA; }

/**
 * One packed panel over a row block: part[s - base] += G[i, panel] ⊙ X[j, panel] summed over the
 * panel's vectors, for the nonzeros whose column j is in [kLo, kHi) (x points where the packed
 * row of column 0 would be: packRowZero, as spmmPanel's b). Each nonzero gets each panel once
 * whatever the column range, so splitting the columns changes no bits.
 */
@inline function sddmmPartPanel(
  nv: i32, wide: bool,
  part: usize, rowPtr: usize, colIdx: usize, g: usize, x: usize,
  M: i32, rowBytes: usize, kLo: i32, kHi: i32,
): void {
  // g points at the panel's first column of the block's first row; rowPtr at the block's first
  // row; part at the partial sum of the block's first nonzero.
  const xStride = <usize>nv << 4;
  const base = i32at(rowPtr, 0);
  const ranged = kLo > 0 || kHi < i32.MAX_VALUE;
  for (let i = 0; i < M; i++) {
    let s = i32at(rowPtr, i), end = i32at(rowPtr, i + 1);
    if (ranged && s < end) {
      s = firstIndexAtLeast(wide, colIdx, s, end, kLo);
      end = firstIndexAtLeast(wide, colIdx, s, end, kHi);
    }
    if (s == end) continue;
    const gi = g + <usize>i * rowBytes;
    const g0 = ld(gi);
    let g1 = g0, g2 = g0, g3 = g0, g4 = g0, g5 = g0;
    if (nv > 1) g1 = v128.load(gi, 16);
    if (nv > 2) g2 = v128.load(gi, 32);
    if (nv > 3) g3 = v128.load(gi, 48);
    if (nv > 4) g4 = v128.load(gi, 64);
    if (nv > 5) g5 = v128.load(gi, 80);
    let pp = part + (<usize>(s - base) << 4);
    const pend = colIdx + (<usize>end << idxShift(wide));
    // The store of each nonzero's sum also keeps V8 from hoisting the next nonzero's loads.
    for (let pi = colIdx + (<usize>s << idxShift(wide)); pi < pend; pi += <usize>1 << idxShift(wide), pp += 16) {
      st(pp, f32x4.add(ld(pp), panelDot(nv, x + idxLoad(wide, pi) * xStride, g0, g1, g2, g3, g4, g5)));
    }
  }
}

type SddmmPartPanel = (part: usize, rowPtr: usize, colIdx: usize, g: usize, x: usize, M: i32, rowBytes: usize, kLo: i32, kHi: i32) => void;
function sddmmPartPanel1(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize, lo: i32, hi: i32): void { if (ASC_FEATURE_SIMD) sddmmPartPanel(1, true, d, p, i, g, x, m, rb, lo, hi); }
function sddmmPartPanel1_u16(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize, lo: i32, hi: i32): void { if (ASC_FEATURE_SIMD) sddmmPartPanel(1, false, d, p, i, g, x, m, rb, lo, hi); }
function sddmmPartPanel2(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize, lo: i32, hi: i32): void { if (ASC_FEATURE_SIMD) sddmmPartPanel(2, true, d, p, i, g, x, m, rb, lo, hi); }
function sddmmPartPanel2_u16(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize, lo: i32, hi: i32): void { if (ASC_FEATURE_SIMD) sddmmPartPanel(2, false, d, p, i, g, x, m, rb, lo, hi); }
function sddmmPartPanel3(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize, lo: i32, hi: i32): void { if (ASC_FEATURE_SIMD) sddmmPartPanel(3, true, d, p, i, g, x, m, rb, lo, hi); }
function sddmmPartPanel3_u16(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize, lo: i32, hi: i32): void { if (ASC_FEATURE_SIMD) sddmmPartPanel(3, false, d, p, i, g, x, m, rb, lo, hi); }
function sddmmPartPanel4(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize, lo: i32, hi: i32): void { if (ASC_FEATURE_SIMD) sddmmPartPanel(4, true, d, p, i, g, x, m, rb, lo, hi); }
function sddmmPartPanel4_u16(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize, lo: i32, hi: i32): void { if (ASC_FEATURE_SIMD) sddmmPartPanel(4, false, d, p, i, g, x, m, rb, lo, hi); }
function sddmmPartPanel5(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize, lo: i32, hi: i32): void { if (ASC_FEATURE_SIMD) sddmmPartPanel(5, true, d, p, i, g, x, m, rb, lo, hi); }
function sddmmPartPanel5_u16(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize, lo: i32, hi: i32): void { if (ASC_FEATURE_SIMD) sddmmPartPanel(5, false, d, p, i, g, x, m, rb, lo, hi); }
function sddmmPartPanel6(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize, lo: i32, hi: i32): void { if (ASC_FEATURE_SIMD) sddmmPartPanel(6, true, d, p, i, g, x, m, rb, lo, hi); }
function sddmmPartPanel6_u16(d: usize, p: usize, i: usize, g: usize, x: usize, m: i32, rb: usize, lo: i32, hi: i32): void { if (ASC_FEATURE_SIMD) sddmmPartPanel(6, false, d, p, i, g, x, m, rb, lo, hi); }
const SDDMM_PART_PANELS: SddmmPartPanel[] = [sddmmPartPanel1, sddmmPartPanel1, sddmmPartPanel2, sddmmPartPanel3, sddmmPartPanel4, sddmmPartPanel5, sddmmPartPanel6];
const SDDMM_PART_PANELS_U16: SddmmPartPanel[] = [sddmmPartPanel1_u16, sddmmPartPanel1_u16, sddmmPartPanel2_u16, sddmmPartPanel3_u16, sddmmPartPanel4_u16, sddmmPartPanel5_u16, sddmmPartPanel6_u16];

/**
 * SDDMM: dW[s] (+)= Σ_n G[i,n]·X[j,n] for every nonzero slot s = (i, j) of W (CSR M×K), with
 * G dense M×N and X dense K×N. This is the weight gradient of spmm restricted to the nonzeros:
 * a dense gradient is never formed. dW is aligned with W's values (nnz = rowPtr[M]).
 */
export function sddmm(dv: usize, rowPtr: usize, colIdx: usize, g: usize, x: usize, M: i32, N: i32, acc: i32): void {
  if (M <= 0) return;
  sddmmRowsI32(dv, rowPtr, colIdx, g, x, M, N, acc, ASC_FEATURE_SIMD && N > SMALL_N ? columnsUsed(true, rowPtr, colIdx, M) : 0);
}

/** sddmm with u16 column indices (K ≤ 65,536). */
export function sddmm_u16(dv: usize, rowPtr: usize, colIdx: usize, g: usize, x: usize, M: i32, N: i32, acc: i32): void {
  if (M <= 0) return;
  sddmmRowsU16(dv, rowPtr, colIdx, g, x, M, N, acc, ASC_FEATURE_SIMD && N > SMALL_N ? columnsUsed(false, rowPtr, colIdx, M) : 0);
}

/**
 * Rows [0, M) of sddmm (rowPtr may point into a larger matrix's row pointers: slots stay
 * absolute). K = the columns the whole matrix reaches (0 when N ≤ SMALL_N): it sets the packed
 * panel widths, and with them each nonzero's summation order, so every thread's share must use
 * the whole matrix's K.
 */
@inline function sddmmRows(wide: bool, dv: usize, rowPtr: usize, colIdx: usize, g: usize, x: usize, M: i32, N: i32, acc: i32, K: i32): void {
  if (!acc) {
    const s0 = i32at(rowPtr, 0);
    memory.fill(dv + (<usize>s0 << 2), 0, <usize>(i32at(rowPtr, M) - s0) << 2);
  }
  if (N <= 0) return;
  const rowBytes = <usize>N << 2;
  let off = 0;
  const maxvPacked = packedPanelWidth(K, MAXV_SDDMM);
  if (ASC_FEATURE_SIMD && N > SMALL_N && maxvPacked > 0) {
    // Row blocks of ≤ PART_NNZ nonzeros (a row has ≤ K ≤ PART_NNZ of them once packing fits; a
    // longer row, possible only with repeated column indices, goes alone through the dW-updating
    // loop). Per (block, panel) X's panel is packed (sddmm has no K argument: K = columns W reaches).
    const partPanels = wide ? SDDMM_PART_PANELS : SDDMM_PART_PANELS_U16;
    const packedPanels = wide ? SDDMM_PACKED_PANELS : SDDMM_PACKED_PANELS_U16;
    for (let r0 = 0; r0 < M;) {
      const base = i32at(rowPtr, r0), limit = base + PART_NNZ;
      let r1 = r0 + 1;
      while (r1 < M && i32at(rowPtr, r1 + 1) <= limit) r1++;
      const count = i32at(rowPtr, r1) - base;
      const gb = g + <usize>r0 * rowBytes, pb = rowPtr + (<usize>r0 << 2);
      const partial = count <= PART_NNZ; // false only for a single row longer than PART_NNZ
      if (partial) memory.fill(sddmmPart(), 0, <usize>count << 4);
      off = 0;
      for (let left = N >> 2; left > 0;) {
        const nv = nextPanel(left, maxvPacked), o = <usize>off << 2;
        if (!partial) {
          packPanel(x + o, K, rowBytes, nv);
          packedPanels[nv](dv, pb, colIdx, gb + o, packBase(), r1 - r0, rowBytes);
        } else {
          // Column blocks whose packed rows fit in L1 (L1_PACK_BYTES).
          const kb = columnBlock(K, nv);
          for (let k0 = 0; k0 < K; k0 += kb) {
            const k1 = min(K, k0 + kb);
            packPanel(x + o + <usize>k0 * rowBytes, k1 - k0, rowBytes, nv);
            partPanels[nv](sddmmPart(), pb, colIdx, gb + o, packRowZero(k0, nv), r1 - r0, rowBytes, k0, K <= kb ? i32.MAX_VALUE : k1);
          }
        }
        off += nv << 2;
        left -= nv;
      }
      if (partial) {
        for (let t = 0; t < count; t++) {
          const d = dv + (<usize>(base + t) << 2);
          store<f32>(d, load<f32>(d) + hsum(v128.load(sddmmPart() + (<usize>t << 4))));
        }
      }
      r0 = r1;
    }
  } else if (ASC_FEATURE_SIMD) {
    const panels = wide ? SDDMM_PANELS : SDDMM_PANELS_U16;
    for (let left = N >> 2; left > 0;) {
      const nv = nextPanel(left, MAXV_SDDMM), o = <usize>off << 2;
      panels[nv](dv, rowPtr, colIdx, g + o, x + o, M, rowBytes);
      off += nv << 2;
      left -= nv;
    }
  }
  if (off < N) {
    for (let i = 0; i < M; i++) {
      const gi = g + <usize>i * rowBytes;
      const end = i32at(rowPtr, i + 1);
      for (let s = i32at(rowPtr, i); s < end; s++) {
        const xr = x + <usize>idxAt(wide, colIdx, s) * rowBytes;
        let sum: f32 = 0;
        for (let c = off; c < N; c++) {
          const o = <usize>c << 2;
          sum += load<f32>(gi + o) * load<f32>(xr + o);
        }
        const d = dv + (<usize>s << 2);
        store<f32>(d, load<f32>(d) + sum);
      }
    }
  }
}

// One function per index width (sddmm and its row shares call the same one).
function sddmmRowsI32(dv: usize, rowPtr: usize, colIdx: usize, g: usize, x: usize, M: i32, N: i32, acc: i32, K: i32): void {
  sddmmRows(true, dv, rowPtr, colIdx, g, x, M, N, acc, K);
}
function sddmmRowsU16(dv: usize, rowPtr: usize, colIdx: usize, g: usize, x: usize, M: i32, N: i32, acc: i32, K: i32): void {
  sddmmRows(false, dv, rowPtr, colIdx, g, x, M, N, acc, K);
}

// ---- Thread shares (src/backend/pool.ts runs part = 0 .. parts−1 of one call on the threads) ----
// SpMM, the gather SpMMᵀ and SDDMM split W's rows (each output row, or nonzero, belongs to one
// share, computed exactly as in the single call); the scatter SpMMᵀ splits the columns of Y.

/** First row of `part`'s share of rows [0, M): contiguous shares of about nnz/parts nonzeros each. */
function rowShare(rowPtr: usize, M: i32, part: i32, parts: i32): i32 {
  if (part <= 0) return 0;
  if (part >= parts) return M;
  const base = i32at(rowPtr, 0);
  const target = base + partLo(i32at(rowPtr, M) - base, part, parts);
  let lo = 0, hi = M; // first row r with rowPtr[r] ≥ target
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (i32at(rowPtr, mid) < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** `part`'s share of spmm: a range of rows of W and Y. */
export function spmm_part(y: usize, rowPtr: usize, colIdx: usize, values: usize, x: usize, M: i32, N: i32, acc: i32, part: i32, parts: i32): void {
  if (M <= 0 || N <= 0) return;
  const lo = rowShare(rowPtr, M, part, parts), hi = rowShare(rowPtr, M, part + 1, parts);
  if (hi > lo) spmm(y + <usize>lo * (<usize>N << 2), rowPtr + (<usize>lo << 2), colIdx, values, x, hi - lo, N, acc);
}

/** `part`'s share of spmm_u16. */
export function spmm_u16_part(y: usize, rowPtr: usize, colIdx: usize, values: usize, x: usize, M: i32, N: i32, acc: i32, part: i32, parts: i32): void {
  if (M <= 0 || N <= 0) return;
  const lo = rowShare(rowPtr, M, part, parts), hi = rowShare(rowPtr, M, part + 1, parts);
  if (hi > lo) spmm_u16(y + <usize>lo * (<usize>N << 2), rowPtr + (<usize>lo << 2), colIdx, values, x, hi - lo, N, acc);
}

/** `part`'s share of spmm_t_csc: a range of rows of Y (columns of W). */
export function spmm_t_csc_part(y: usize, colPtr: usize, rowIdx: usize, slotOf: usize, values: usize, g: usize, K: i32, N: i32, acc: i32, part: i32, parts: i32): void {
  if (K <= 0 || N <= 0) return;
  const lo = rowShare(colPtr, K, part, parts), hi = rowShare(colPtr, K, part + 1, parts);
  if (hi > lo) spmm_t_csc(y + <usize>lo * (<usize>N << 2), colPtr + (<usize>lo << 2), rowIdx, slotOf, values, g, hi - lo, N, acc);
}

/** `part`'s share of spmm_t_csc_u16. */
export function spmm_t_csc_u16_part(y: usize, colPtr: usize, rowIdx: usize, slotOf: usize, values: usize, g: usize, K: i32, N: i32, acc: i32, part: i32, parts: i32): void {
  if (K <= 0 || N <= 0) return;
  const lo = rowShare(colPtr, K, part, parts), hi = rowShare(colPtr, K, part + 1, parts);
  if (hi > lo) spmm_t_csc_u16(y + <usize>lo * (<usize>N << 2), colPtr + (<usize>lo << 2), rowIdx, slotOf, values, g, hi - lo, N, acc);
}

/** `part`'s share of spmm_t: a range of columns of Y and G (whole vectors; the N mod 4 tail goes to the last share). */
export function spmm_t_part(y: usize, rowPtr: usize, colIdx: usize, values: usize, g: usize, M: i32, K: i32, N: i32, acc: i32, part: i32, parts: i32): void {
  if (K <= 0 || N <= 0) return;
  const vectors = N >> 2;
  const lo = partLo(vectors, part, parts) << 2;
  const hi = part == parts - 1 ? N : partLo(vectors, part + 1, parts) << 2;
  if (hi > lo) spmmTColumnsI32(y + (<usize>lo << 2), rowPtr, colIdx, values, g + (<usize>lo << 2), M, K, hi - lo, <usize>N << 2, acc);
}

/** `part`'s share of spmm_t_u16. */
export function spmm_t_u16_part(y: usize, rowPtr: usize, colIdx: usize, values: usize, g: usize, M: i32, K: i32, N: i32, acc: i32, part: i32, parts: i32): void {
  if (K <= 0 || N <= 0) return;
  const vectors = N >> 2;
  const lo = partLo(vectors, part, parts) << 2;
  const hi = part == parts - 1 ? N : partLo(vectors, part + 1, parts) << 2;
  if (hi > lo) spmmTColumnsU16(y + (<usize>lo << 2), rowPtr, colIdx, values, g + (<usize>lo << 2), M, K, hi - lo, <usize>N << 2, acc);
}

/** `part`'s share of sddmm: a range of rows of W (their nonzeros) and G. */
export function sddmm_part(dv: usize, rowPtr: usize, colIdx: usize, g: usize, x: usize, M: i32, N: i32, acc: i32, part: i32, parts: i32): void {
  if (M <= 0) return;
  const K = ASC_FEATURE_SIMD && N > SMALL_N ? columnsUsed(true, rowPtr, colIdx, M) : 0;
  const lo = rowShare(rowPtr, M, part, parts), hi = rowShare(rowPtr, M, part + 1, parts);
  if (hi > lo) sddmmRowsI32(dv, rowPtr + (<usize>lo << 2), colIdx, g + <usize>lo * (<usize>max(N, 0) << 2), x, hi - lo, N, acc, K);
}

/** `part`'s share of sddmm_u16. */
export function sddmm_u16_part(dv: usize, rowPtr: usize, colIdx: usize, g: usize, x: usize, M: i32, N: i32, acc: i32, part: i32, parts: i32): void {
  if (M <= 0) return;
  const K = ASC_FEATURE_SIMD && N > SMALL_N ? columnsUsed(false, rowPtr, colIdx, M) : 0;
  const lo = rowShare(rowPtr, M, part, parts), hi = rowShare(rowPtr, M, part + 1, parts);
  if (hi > lo) sddmmRowsU16(dv, rowPtr + (<usize>lo << 2), colIdx, g + <usize>lo * (<usize>max(N, 0) << 2), x, hi - lo, N, acc, K);
}

// ---- Sparse embedding table (V×E CSR) ----
// A looked-up row has its nonzeros at arbitrary columns, so these are scalar scatter/gather loops
// (wasm SIMD has no gather); they cost O(count·E) for the zero fill plus O(nonzeros touched).

/** out[n, :] = table[ids[n], :] for n < count (the row densified: zeros where the table has none). */
@inline function gatherRows(wide: bool, out: usize, rowPtr: usize, colIdx: usize, values: usize, ids: usize, count: i32, E: i32): void {
  const rowBytes = <usize>E << 2;
  for (let n = 0; n < count; n++) {
    const on = out + <usize>n * rowBytes;
    memory.fill(on, 0, rowBytes);
    const id = i32at(ids, n);
    const end = i32at(rowPtr, id + 1);
    for (let s = i32at(rowPtr, id); s < end; s++) {
      store<f32>(on + (<usize>idxAt(wide, colIdx, s) << 2), load<f32>(values + (<usize>s << 2)));
    }
  }
}

/** gValues[s] += g[n, col(s)] for every n < count and every slot s of row ids[n] (repeated ids accumulate). */
@inline function gatherRowsGrad(wide: bool, gvalues: usize, rowPtr: usize, colIdx: usize, g: usize, ids: usize, count: i32, E: i32): void {
  const rowBytes = <usize>E << 2;
  for (let n = 0; n < count; n++) {
    const gn = g + <usize>n * rowBytes;
    const id = i32at(ids, n);
    const end = i32at(rowPtr, id + 1);
    for (let s = i32at(rowPtr, id); s < end; s++) {
      const d = gvalues + (<usize>s << 2);
      store<f32>(d, load<f32>(d) + load<f32>(gn + (<usize>idxAt(wide, colIdx, s) << 2)));
    }
  }
}

/** Embedding lookup from a CSR table with i32 column indices (see gatherRows). */
export function csr_gather_rows(out: usize, rowPtr: usize, colIdx: usize, values: usize, ids: usize, count: i32, E: i32): void {
  gatherRows(true, out, rowPtr, colIdx, values, ids, count, E);
}

/** csr_gather_rows with u16 column indices (E ≤ 65,536). */
export function csr_gather_rows_u16(out: usize, rowPtr: usize, colIdx: usize, values: usize, ids: usize, count: i32, E: i32): void {
  gatherRows(false, out, rowPtr, colIdx, values, ids, count, E);
}

/** The embedding lookup's gradient at the table's nonzeros, i32 column indices (see gatherRowsGrad). */
export function csr_gather_rows_grad(gvalues: usize, rowPtr: usize, colIdx: usize, g: usize, ids: usize, count: i32, E: i32): void {
  gatherRowsGrad(true, gvalues, rowPtr, colIdx, g, ids, count, E);
}

/** csr_gather_rows_grad with u16 column indices (E ≤ 65,536). */
export function csr_gather_rows_grad_u16(gvalues: usize, rowPtr: usize, colIdx: usize, g: usize, ids: usize, count: i32, E: i32): void {
  gatherRowsGrad(false, gvalues, rowPtr, colIdx, g, ids, count, E);
}
