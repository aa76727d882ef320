// Growth criteria: where the regrown weights go. Candidates are the positions empty AFTER
// pruning, so a weight pruned in this same update may be chosen again; the engine then keeps it
// as it was (value and optimizer state), as the official code does (it re-masks only after
// growth). Each returns distinct empty flat positions, ascending.
//
//  random    uniform over the empty positions: exactly r of them (default), or each with
//            probability r / #empty (the official Bernoulli growth, `exactCounts: false`).
//  gradient  RigL: the r empty positions with the largest |dense gradient|. Only empty positions
//            are candidates, so exactly r are grown even when fewer than r have a nonzero gradient
//            (the official code sorts |g ⊙ (1 − M)| over ALL positions and then "grows" already
//            active ones, i.e. under-grows; sparse_learning issue #22). Ties (typically the zero
//            gradients of embedding rows of words absent from the batch) are broken at random.
//  momentum  SNFS: the same with |dense momentum| (see the engine for how that is kept).
import { sampleBernoulli, sampleExactly, topK } from '../select.js';
import type { GrowthContext, GrowthStrategy, TensorTopology } from './types.js';

/** Flat positions of the empty candidates with the given ranks (ascending ranks among empties). */
function emptyPositions(occupied: Uint8Array, ranks: Int32Array): Int32Array {
  const out = new Int32Array(ranks.length);
  let rank = 0, o = 0;
  for (let p = 0; p < occupied.length && o < ranks.length; p++) {
    if (occupied[p]) continue;
    if (ranks[o] === rank) out[o++] = p;
    rank++;
  }
  return out;
}

export const randomGrowth: GrowthStrategy = {
  needs: 'none',
  grow(_t: TensorTopology, r: number, { rng, exact, occupied, emptyCount }: GrowthContext): Int32Array {
    const m = emptyCount;
    const n = Math.min(Math.max(r, 0), m);
    const ranks = exact ? sampleExactly(m, n, rng) : sampleBernoulli(m, m === 0 ? 0 : n / m, rng);
    return emptyPositions(occupied, ranks);
  },
};

/** Top-r |score| among the empty positions. */
function scoreGrowth(needs: 'gradient' | 'momentum'): GrowthStrategy {
  return {
    needs,
    grow(t: TensorTopology, r: number, { rng, occupied, emptyCount, score }: GrowthContext): Int32Array {
      if (score === null) throw new Error(`selfish-rnn: ${needs} growth of '${t.name}' needs a dense ${needs} (none was supplied)`);
      const cand = new Int32Array(emptyCount), s = new Float32Array(emptyCount);
      let m = 0;
      for (let p = 0; p < occupied.length; p++) {
        if (occupied[p]) continue;
        cand[m] = p;
        s[m++] = Math.abs(score[p]!);
      }
      const picked = topK(s, Math.min(Math.max(r, 0), m), rng);
      for (let i = 0; i < picked.length; i++) picked[i] = cand[picked[i]!]!;
      return picked;
    },
  };
}

export const gradientGrowth = scoreGrowth('gradient');
export const momentumGrowth = scoreGrowth('momentum');

export const GROWTH = { random: randomGrowth, gradient: gradientGrowth, momentum: momentumGrowth } as const;
