// Mixture-of-Softmaxes head, feature-major: the same loss and gradients as mos.ts, on logits laid
// out as the sparse decoder produces them, logitsT [V, C] (row v = word v, column c = n·K + k,
// C = N·K), with the decoder bias [V] added on the fly. The sparse decoder's products (SpMM,
// SpMMᵀ, SDDMM) are feature-major, so this layout spares the four [C × V] transposes per chunk that
// the token-major kernels need (ops/mos-decoder.ts).
//
// Every pass walks logitsT row by row (contiguous): the per-column softmax statistics live in
// C-float vectors (lse, a scratch sum), which stay in cache while the rows stream past.
//   mos_fm_target_logits  tl[c] = lT[t_n, c] + bias[t_n]: the targets' logits, gathered before
//                      mos_fm_lse may overwrite the logits.
//   mos_fm_lse         lse[c] = log Σ_v exp(lT[v,c] + bias[v]); two passes: column max, then the
//                      shifted exp sum (kept in `sum`), optionally storing e = exp(lT + bias − max)
//                      (in place allowed). Thread shares: column ranges (multiples of 4 columns).
//   mos_fm_nll         loss, posterior (and Σ loss) per token from lse and tl: N·K work.
//   mos_fm_backward    glT[v,c] = scale·post_c·softmax_c(v) (overwrites), gbias[v] += its row sum,
//                      from the logits (exp recomputed). Thread shares: row ranges.
//   mos_fm_coef, mos_fm_backward_probs  the same from the stored e: coef_c = scale·post_c/sum_c,
//                      then one multiply per element (in place allowed). Thread shares: row ranges.
//   mos_fm_backward_targets  the −scale·post_c at each token's target word, in glT, gbias and
//                      d log π: N·K work, in token order.
// A column is done by SIMD lanes or by the scalar tail (the last C mod 4 columns) whatever the
// split, and each column/row sums in the same order: thread shares give the single call's bits.
import { exp4 } from './simd-math';
import { finishToken } from './mos';
import { partLo } from './scratch';

/** lse over columns [c0, c1) (c0 a multiple of 4); `sum` is C floats of scratch. */
function lseColumns(lse: usize, sum: usize, logitsT: usize, bias: usize, V: i32, C: i32, probs: usize, c0: i32, c1: i32): void {
  if (c1 <= c0) return;
  const rowBytes = <usize>C << 2;
  const simdEnd = ASC_FEATURE_SIMD ? c0 + ((c1 - c0) & ~3) : c0;
  for (let c = c0; c < c1; c++) { store<f32>(lse + (<usize>c << 2), -Infinity); store<f32>(sum + (<usize>c << 2), 0); }
  // Pass 1: the column maxima. pmax is one x86 instruction where f32x4.max takes several (wasm's
  // NaN and ±0 rules): it may drop a NaN logit from a column's max, but that NaN reaches the sum in
  // pass 2 through exp, so the column's lse is NaN as before.
  for (let v = 0; v < V; v++) {
    const row = logitsT + <usize>v * rowBytes, b = load<f32>(bias + (<usize>v << 2));
    let c = c0;
    if (ASC_FEATURE_SIMD) {
      const bv = f32x4.splat(b);
      for (; c < simdEnd; c += 4) {
        const o = <usize>c << 2;
        v128.store(lse + o, f32x4.pmax(v128.load(lse + o), f32x4.add(v128.load(row + o), bv)));
      }
    }
    for (; c < c1; c++) {
      const o = <usize>c << 2;
      store<f32>(lse + o, max(load<f32>(lse + o), load<f32>(row + o) + b));
    }
  }
  // Pass 2: Σ_v exp(x − max) (each e stored in probs when asked), then lse = max + log Σ.
  for (let v = 0; v < V; v++) {
    const row = logitsT + <usize>v * rowBytes, b = load<f32>(bias + (<usize>v << 2));
    const prow = probs + <usize>v * rowBytes;
    let c = c0;
    if (ASC_FEATURE_SIMD) {
      const bv = f32x4.splat(b);
      for (; c < simdEnd; c += 4) {
        const o = <usize>c << 2;
        const e = exp4(f32x4.sub(f32x4.add(v128.load(row + o), bv), v128.load(lse + o)));
        if (probs) v128.store(prow + o, e);
        v128.store(sum + o, f32x4.add(v128.load(sum + o), e));
      }
    }
    for (; c < c1; c++) {
      const o = <usize>c << 2;
      const e = Mathf.exp(load<f32>(row + o) + b - load<f32>(lse + o));
      if (probs) store<f32>(prow + o, e);
      store<f32>(sum + o, load<f32>(sum + o) + e);
    }
  }
  for (let c = c0; c < c1; c++) {
    const o = <usize>c << 2;
    store<f32>(lse + o, load<f32>(lse + o) + Mathf.log(load<f32>(sum + o)));
  }
}

/** tl [C] = logitsT[t_n, c] + bias[t_n] for c = n·K + k (C = N·K). */
export function mos_fm_target_logits(tl: usize, logitsT: usize, bias: usize, targets: usize, N: i32, K: i32): void {
  const rowBytes = <usize>(N * K) << 2;
  for (let n = 0; n < N; n++) {
    const t = load<i32>(targets + (<usize>n << 2));
    const row = logitsT + <usize>t * rowBytes, b = load<f32>(bias + (<usize>t << 2));
    for (let k = 0; k < K; k++) {
      const o = <usize>(n * K + k) << 2;
      store<f32>(tl + o, load<f32>(row + o) + b);
    }
  }
}

/**
 * lse [C] of logitsT [V, C] + bias, and sum [C] = Σ_v exp(lT + bias − max) (lse = max + log sum);
 * with probs ≠ 0 also probs[v, c] = exp(lT[v,c] + bias[v] − max_c) (probs = logitsT allowed).
 */
export function mos_fm_lse(lse: usize, sum: usize, logitsT: usize, bias: usize, V: i32, C: i32, probs: usize): void {
  lseColumns(lse, sum, logitsT, bias, V, C, probs, 0, C);
}

/** Writes loss [N] and post [N·K] from lse and the targets' logits tl [N·K]; returns Σ_n loss_n. */
export function mos_fm_nll(loss: usize, post: usize, lse: usize, tl: usize, logprior: usize, N: i32, K: i32): f64 {
  let total: f64 = 0;
  for (let n = 0; n < N; n++) {
    // a_k = log π_k + log softmax_k(t), kept in post until the normalisation
    let m: f32 = -Infinity;
    for (let k = 0; k < K; k++) {
      const o = <usize>(n * K + k) << 2;
      const a = load<f32>(logprior + o) + load<f32>(tl + o) - load<f32>(lse + o);
      store<f32>(post + o, a);
      m = max(m, a);
    }
    total -= <f64>finishToken(loss, post, n, K, m);
  }
  return total;
}

/** Rows [v0, v1) of glT = scale·post_c·exp(lT + bias − lse_c), and gbias[v] += each row's sum (gbias may be 0). */
function backwardRows(glT: usize, gbias: usize, logitsT: usize, bias: usize, lse: usize, post: usize, C: i32, scale: f32, v0: i32, v1: i32): void {
  const rowBytes = <usize>C << 2;
  for (let v = v0; v < v1; v++) {
    const x = logitsT + <usize>v * rowBytes, g = glT + <usize>v * rowBytes, b = load<f32>(bias + (<usize>v << 2));
    let c = 0;
    let s: f32 = 0;
    if (ASC_FEATURE_SIMD) {
      const bv = f32x4.splat(b), sv = f32x4.splat(scale);
      let acc = f32x4.splat(0);
      for (; c + 4 <= C; c += 4) {
        const o = <usize>c << 2;
        const e = exp4(f32x4.sub(f32x4.add(v128.load(x + o), bv), v128.load(lse + o)));
        const gv = f32x4.mul(f32x4.mul(sv, v128.load(post + o)), e);
        v128.store(g + o, gv);
        acc = f32x4.add(acc, gv);
      }
      s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      const gv = scale * load<f32>(post + o) * Mathf.exp(load<f32>(x + o) + b - load<f32>(lse + o));
      store<f32>(g + o, gv);
      s += gv;
    }
    if (gbias) store<f32>(gbias + (<usize>v << 2), load<f32>(gbias + (<usize>v << 2)) + s);
  }
}

/** glT [V, C] = the softmax part of d loss / d logitsT (overwritten); gbias [V] += its row sums (0: none). */
export function mos_fm_backward(glT: usize, gbias: usize, logitsT: usize, bias: usize, lse: usize, post: usize, V: i32, C: i32, scale: f32): void {
  backwardRows(glT, gbias, logitsT, bias, lse, post, C, scale, 0, V);
}

/** coef[c] = scale·post_c / sum_c: the column factor of the gradient from stored probabilities. */
export function mos_fm_coef(coef: usize, post: usize, sum: usize, C: i32, scale: f32): void {
  for (let c = 0; c < C; c++) {
    const o = <usize>c << 2;
    store<f32>(coef + o, scale * load<f32>(post + o) / load<f32>(sum + o));
  }
}

/** Rows [v0, v1) of glT = coef_c·probs[v,c] (glT = probs allowed); gbias[v] += each row's sum. */
function backwardProbsRows(glT: usize, gbias: usize, probs: usize, coef: usize, C: i32, v0: i32, v1: i32): void {
  const rowBytes = <usize>C << 2;
  for (let v = v0; v < v1; v++) {
    const e = probs + <usize>v * rowBytes, g = glT + <usize>v * rowBytes;
    let c = 0;
    let s: f32 = 0;
    if (ASC_FEATURE_SIMD) {
      let acc = f32x4.splat(0);
      for (; c + 4 <= C; c += 4) {
        const o = <usize>c << 2;
        const gv = f32x4.mul(v128.load(coef + o), v128.load(e + o));
        v128.store(g + o, gv);
        acc = f32x4.add(acc, gv);
      }
      s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      const gv = load<f32>(coef + o) * load<f32>(e + o);
      store<f32>(g + o, gv);
      s += gv;
    }
    if (gbias) store<f32>(gbias + (<usize>v << 2), load<f32>(gbias + (<usize>v << 2)) + s);
  }
}

/** glT [V, C] = the softmax part of d loss / d logitsT from mos_fm_lse's probs and mos_fm_coef (glT = probs allowed); gbias += row sums. */
export function mos_fm_backward_probs(glT: usize, gbias: usize, probs: usize, coef: usize, V: i32, C: i32): void {
  backwardProbsRows(glT, gbias, probs, coef, C, 0, V);
}

/** The target terms: glT[t_n, c] −= scale·post_c, and the same in gbias[t_n] and glogprior[c] (each may be 0). */
export function mos_fm_backward_targets(glT: usize, gbias: usize, glogprior: usize, post: usize, targets: usize, N: i32, K: i32, scale: f32): void {
  const rowBytes = <usize>(N * K) << 2;
  for (let n = 0; n < N; n++) {
    const t = load<i32>(targets + (<usize>n << 2));
    for (let k = 0; k < K; k++) {
      const o = <usize>(n * K + k) << 2;
      const c: f32 = scale * load<f32>(post + o);
      const g = glT + <usize>t * rowBytes + o;
      store<f32>(g, load<f32>(g) - c);
      if (gbias) store<f32>(gbias + (<usize>t << 2), load<f32>(gbias + (<usize>t << 2)) - c);
      if (glogprior) store<f32>(glogprior + o, load<f32>(glogprior + o) - c);
    }
  }
}

// ---- Thread shares ----

/** Columns in groups of 4, so that every column is SIMD or scalar as in the single call. */
export function mos_fm_lse_part(lse: usize, sum: usize, logitsT: usize, bias: usize, V: i32, C: i32, probs: usize, part: i32, parts: i32): void {
  const groups = (C + 3) >> 2;
  const c0 = partLo(groups, part, parts) << 2, c1 = min(C, partLo(groups, part + 1, parts) << 2);
  lseColumns(lse, sum, logitsT, bias, V, C, probs, c0, c1);
}

export function mos_fm_backward_probs_part(glT: usize, gbias: usize, probs: usize, coef: usize, V: i32, C: i32, part: i32, parts: i32): void {
  backwardProbsRows(glT, gbias, probs, coef, C, partLo(V, part, parts), partLo(V, part + 1, parts));
}

export function mos_fm_backward_part(glT: usize, gbias: usize, logitsT: usize, bias: usize, lse: usize, post: usize, V: i32, C: i32, scale: f32, part: i32, parts: i32): void {
  backwardRows(glT, gbias, logitsT, bias, lse, post, C, scale, partLo(V, part, parts), partLo(V, part + 1, parts));
}
