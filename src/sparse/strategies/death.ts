// Death (prune) criteria. Each returns the slots to remove, ascending.
//
//  magnitude  the k smallest |w| over the WHOLE tensor: for an LSTM matrix all four gate blocks
//             compete together (this is where Selfish-RNN's cell-gate redistribution comes from).
//             Exactly k; ties at the k-th value are broken uniformly at random (the official code
//             removes every weight tied with the threshold).
//  SET        SET's rule: ⌈k/2⌉ of the positive weights closest to zero and the other ⌊k/2⌋ of the
//             negative weights closest to zero (i.e. the smallest positives and the LARGEST
//             negatives). The official `magnitude_and_negativity_death` sorts the negatives
//             ascending and so removes the most negative ones: that sign bug is not reproduced.
//             Weights that are exactly 0 count as positive (the closest of all to zero). If one
//             sign has too few weights the other supplies the rest, so exactly k are removed.
//  threshold  every weight with |w| < threshold (sparse_learning's default threshold 0.001); the
//             count is decided by the data, not by the death rate.
import { bottomK, topK } from '../select.js';
import type { DeathStrategy } from './types.js';

export const magnitudeDeath: DeathStrategy = (t, k, { rng }) => {
  const negMag = new Float32Array(t.values.length); // the k smallest |w| are the k largest −|w|
  for (let s = 0; s < negMag.length; s++) negMag[s] = -Math.abs(t.values[s]!);
  return topK(negMag, Math.min(k, negMag.length), rng);
};

export const setDeath: DeathStrategy = (t, k, { rng }) => {
  const n = t.values.length;
  let nPos = 0;
  for (let s = 0; s < n; s++) if (t.values[s]! >= 0) nPos++;
  const pos = new Int32Array(nPos), neg = new Int32Array(n - nPos);
  const posVals = new Float32Array(nPos), negVals = new Float32Array(n - nPos);
  for (let s = 0, p = 0, q = 0; s < n; s++) {
    const v = t.values[s]!;
    if (v >= 0) { pos[p] = s; posVals[p++] = v; }
    else { neg[q] = s; negVals[q++] = v; }
  }
  k = Math.min(k, n);
  let kPos = Math.ceil(k / 2), kNeg = k - kPos;
  if (kPos > pos.length) { kNeg += kPos - pos.length; kPos = pos.length; }
  if (kNeg > neg.length) { kPos += kNeg - neg.length; kNeg = neg.length; }
  // Positives: the smallest values. Negatives: the largest values (closest to zero).
  const fromPos = bottomK(posVals, kPos, rng), fromNeg = topK(negVals, kNeg, rng);
  const out = new Int32Array(k);
  for (let i = 0; i < fromPos.length; i++) out[i] = pos[fromPos[i]!]!;
  for (let i = 0; i < fromNeg.length; i++) out[fromPos.length + i] = neg[fromNeg[i]!]!;
  return out.sort();
};

export const thresholdDeath: DeathStrategy = (t, _k, { threshold }) => {
  const out: number[] = [];
  for (let s = 0; s < t.values.length; s++) if (Math.abs(t.values[s]!) < threshold) out.push(s);
  return Int32Array.from(out);
};

export const DEATH = { magnitude: magnitudeDeath, SET: setDeath, threshold: thresholdDeath } as const;
