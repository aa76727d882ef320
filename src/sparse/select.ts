// Choosing k items: exactly-k uniform sampling (Knuth's selection sampling) and top-k by score
// with ties at the boundary broken uniformly at random. Both return indices in ascending order,
// which is the order CSR rows are built in. All randomness comes from the caller's `Random`.
import type { Random } from '../random.js';

/**
 * Exactly k of the n candidates `0..n-1`, uniformly over all k-subsets (Knuth, TAOCP vol. 2,
 * Algorithm S): candidate t is taken with probability (still needed) / (still available). One
 * uniform per candidate examined; stops as soon as the rest is forced. Ascending output.
 */
export function sampleExactly(n: number, k: number, rng: Random): Int32Array {
  if (!(Number.isInteger(n) && Number.isInteger(k) && k >= 0 && k <= n)) {
    throw new RangeError(`selfish-rnn: sampleExactly needs integers 0 ≤ k ≤ n, got k = ${k}, n = ${n}`);
  }
  const out = new Int32Array(k);
  let taken = 0;
  for (let t = 0; t < n && taken < k; t++) {
    const need = k - taken, left = n - t;
    if (need === left || rng.uniform() * left < need) out[taken++] = t;
  }
  return out;
}

/** Each of the n candidates independently with probability p (the official Bernoulli growth). */
export function sampleBernoulli(n: number, p: number, rng: Random): Int32Array {
  const out: number[] = [];
  for (let t = 0; t < n; t++) if (rng.uniform() < p) out.push(t);
  return Int32Array.from(out);
}

/**
 * Indices of the k largest scores (ascending index order). Entries strictly above the k-th
 * largest value are all taken; among the entries equal to it, as many as still needed are
 * chosen uniformly at random (so zeros, which tie massively for fresh weights and for the
 * gradient rows of absent words, are not taken in index order). NaN scores are never chosen
 * unless nothing else is left (they rank below every number).
 */
export function topK(scores: Float32Array, k: number, rng: Random): Int32Array {
  const n = scores.length;
  if (!(Number.isInteger(k) && k >= 0 && k <= n)) throw new RangeError(`selfish-rnn: topK needs an integer 0 ≤ k ≤ ${n}, got ${k}`);
  if (k === 0) return new Int32Array(0);
  if (k === n) return identity(n);
  const work = new Float32Array(n);
  for (let i = 0; i < n; i++) work[i] = Number.isNaN(scores[i]!) ? -Infinity : scores[i]!;
  const v = kthLargest(work.slice(), k);
  let above = 0, ties = 0;
  for (let i = 0; i < n; i++) {
    if (work[i]! > v) above++;
    else if (work[i] === v) ties++;
  }
  const fromTies = sampleExactly(ties, k - above, rng);
  const out = new Int32Array(k);
  let o = 0, tie = 0, next = 0; // `next` walks the (ascending) chosen tie ranks
  for (let i = 0; i < n; i++) {
    const w = work[i]!;
    if (w > v) out[o++] = i;
    else if (w === v) {
      if (next < fromTies.length && fromTies[next] === tie) { out[o++] = i; next++; }
      tie++;
    }
  }
  return out;
}

/** Indices of the k smallest scores, same tie rule as `topK`. */
export function bottomK(scores: Float32Array, k: number, rng: Random): Int32Array {
  const neg = new Float32Array(scores.length);
  for (let i = 0; i < neg.length; i++) neg[i] = -scores[i]!;
  return topK(neg, k, rng);
}

/**
 * The k-th largest value (1-based) of `a`, which is reordered in place. Quickselect with a
 * median-of-three pivot and a three-way partition, so runs of equal values (many zeros) cost one
 * pass. The result does not depend on pivot choices, so no randomness is needed.
 */
export function kthLargest(a: Float32Array, k: number): number {
  let lo = 0, hi = a.length - 1, want = k - 1; // index of the answer in descending order
  for (;;) {
    if (lo === hi) return a[lo]!;
    const mid = (lo + hi) >>> 1;
    const x = a[lo]!, y = a[mid]!, z = a[hi]!;
    const pivot = x > y ? (y > z ? y : x > z ? z : x) : x > z ? x : y > z ? z : y;
    // Dutch flag, descending: [lo, gt) > pivot, [gt, i) == pivot, (lt, hi] < pivot.
    let gt = lo, i = lo, lt = hi;
    while (i <= lt) {
      const w = a[i]!;
      if (w > pivot) { a[i] = a[gt]!; a[gt++] = w; i++; }
      else if (w < pivot) { a[i] = a[lt]!; a[lt--] = w; }
      else i++;
    }
    if (want < gt) hi = gt - 1;
    else if (want <= lt) return pivot;
    else lo = lt + 1;
  }
}

function identity(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}
