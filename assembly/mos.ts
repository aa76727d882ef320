// Mixture-of-Softmaxes negative log-likelihood, fused (Yang et al. 2018).
//
// For token n with K experts: p(w) = Σ_k π_nk · softmax(logits_nk)(w). The loss is computed in
// log space, −log p(t) = −logsumexp_k(log π_nk + logits_nk[t] − lse_nk), so it stays finite where
// the reference's log(p + 1e−8) would clip. Layouts: logits [N·K, V] (row n·K + k), logprior
// [N, K] (log π), targets i32 [N]. The forward saves lse [N·K] and the posterior
// r_nk = π_nk·p_k(t)/p(t) [N·K]; the backward needs nothing else (softmax is recomputed from the
// logits and lse, which saves an N·K·V buffer: the largest one in the model).
import { exp4 } from './simd-math';
import { rowLse } from './softmax';
import { partLo } from './scratch';

/** Writes loss [N], post [N·K], lse [N·K]; returns Σ_n loss_n. */
export function mos_nll(loss: usize, post: usize, lse: usize, logits: usize, logprior: usize, targets: usize, N: i32, K: i32, V: i32): f64 {
  const rowBytes = <usize>V << 2;
  let total: f64 = 0;
  for (let n = 0; n < N; n++) {
    const t = load<i32>(targets + (<usize>n << 2));
    // a_k = log π_k + log softmax_k(t), stored in post temporarily
    let m: f32 = -Infinity;
    for (let k = 0; k < K; k++) {
      const nk = <usize>(n * K + k);
      const row = logits + nk * rowBytes;
      const l = rowLse(row, V);
      store<f32>(lse + (nk << 2), l);
      const a = load<f32>(logprior + (nk << 2)) + load<f32>(row + (<usize>t << 2)) - l;
      store<f32>(post + (nk << 2), a);
      m = max(m, a);
    }
    total -= <f64>finishToken(loss, post, n, K, m);
  }
  return total;
}

/**
 * Token n's mixture, once post[n·K + k] holds a_k = log π_k + log softmax_k(t) and m = max_k a_k:
 * log p(t) = m + log Σ_k exp(a_k − m); post becomes the posterior exp(a_k − log p), loss[n] = −log p.
 * Returns log p. (Shared with the feature-major head, mos-fm.ts.)
 */
@inline export function finishToken(loss: usize, post: usize, n: i32, K: i32, m: f32): f32 {
  let s: f32 = 0;
  for (let k = 0; k < K; k++) s += Mathf.exp(load<f32>(post + (<usize>(n * K + k) << 2)) - m);
  const logp = m + Mathf.log(s);
  for (let k = 0; k < K; k++) {
    const p = post + (<usize>(n * K + k) << 2);
    store<f32>(p, Mathf.exp(load<f32>(p) - logp));
  }
  store<f32>(loss + (<usize>n << 2), -logp);
  return logp;
}

/** glogits[nk, j] += scale·r_nk·(softmax_nk[j] − [j = t_n]); glogprior[n, k] −= scale·r_nk. */
export function mos_nll_backward(glogits: usize, glogprior: usize, logits: usize, lse: usize, post: usize, targets: usize, N: i32, K: i32, V: i32, scale: f32): void {
  const rowBytes = <usize>V << 2;
  for (let n = 0; n < N; n++) {
    const t = load<i32>(targets + (<usize>n << 2));
    for (let k = 0; k < K; k++) {
      const nk = <usize>(n * K + k);
      const c: f32 = scale * load<f32>(post + (nk << 2));
      const l = load<f32>(lse + (nk << 2));
      const x = logits + nk * rowBytes, g = glogits + nk * rowBytes;
      let j = 0;
      if (ASC_FEATURE_SIMD) {
        const cv = f32x4.splat(c), lv = f32x4.splat(l);
        for (; j + 4 <= V; j += 4) {
          const o = <usize>j << 2;
          v128.store(g + o, f32x4.add(v128.load(g + o), f32x4.mul(cv, exp4(f32x4.sub(v128.load(x + o), lv)))));
        }
      }
      for (; j < V; j++) {
        const o = <usize>j << 2;
        store<f32>(g + o, load<f32>(g + o) + c * Mathf.exp(load<f32>(x + o) - l));
      }
      const gt = g + (<usize>t << 2);
      store<f32>(gt, load<f32>(gt) - c);
      if (glogprior) store<f32>(glogprior + (nk << 2), load<f32>(glogprior + (nk << 2)) - c);
    }
  }
}

// ---- Thread shares: a range of tokens n each (the caller sums the per-token losses in order) ----

export function mos_nll_part(loss: usize, post: usize, lse: usize, logits: usize, logprior: usize, targets: usize, N: i32, K: i32, V: i32, part: i32, parts: i32): void {
  const lo = partLo(N, part, parts), hi = partLo(N, part + 1, parts);
  if (hi <= lo) return;
  const nk = <usize>lo * <usize>K;
  mos_nll(loss + (<usize>lo << 2), post + (nk << 2), lse + (nk << 2), logits + nk * (<usize>V << 2), logprior + (nk << 2), targets + (<usize>lo << 2), hi - lo, K, V);
}

export function mos_nll_backward_part(glogits: usize, glogprior: usize, logits: usize, lse: usize, post: usize, targets: usize, N: i32, K: i32, V: i32, scale: f32, part: i32, parts: i32): void {
  const lo = partLo(N, part, parts), hi = partLo(N, part + 1, parts);
  if (hi <= lo) return;
  const nk = <usize>lo * <usize>K;
  mos_nll_backward(glogits + nk * (<usize>V << 2), glogprior ? glogprior + (nk << 2) : 0, logits + nk * (<usize>V << 2), lse + (nk << 2), post + (nk << 2), targets + (<usize>lo << 2), hi - lo, K, V, scale);
}
