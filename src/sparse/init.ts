// Sparse initialisation: the density of each sparse tensor ('uniform' or 'ER') and the random
// choice of its initial nonzeros. The surviving weights keep the model's dense initial values,
// unscaled (as the official code: w ← w ⊙ m).
import type { Random } from '../random.js';
import { sampleBernoulli, sampleExactly } from './select.js';

export interface MatrixShape {
  rows: number;
  cols: number;
}

/** The ε of an Erdős–Rényi allocation and the density it gives each tensor. */
export interface ERAllocation {
  epsilon: number;
  densities: number[];
}

/**
 * Erdős–Rényi densities (SET; the official `ER` init): p_i = min(1, ε·(rows_i + cols_i) / (rows_i·cols_i)),
 * with ε found by the official multiplicative search (ε₀ = 10, step factor 0.5 shrinking ×0.95 per
 * iteration) until Σ_i p_i·numel_i is within ±5 weights of density·Σ_i numel_i.
 *
 * Two deliberate differences from the official code:
 *  - the probabilities are capped at 1, inside the search too (the official code caps neither, so a
 *    small or thin tensor can get p > 1, i.e. fewer weights overall than the budget says);
 *  - ε is the value that met the tolerance (the official loop multiplies ε once more after the
 *    check; at convergence that step is below 1e-6 relative).
 * The capped count Σ min(ε(r+c), rc) grows monotonically with ε, so if the search has not met the
 * tolerance after 10 000 iterations (its step has then vanished) the answer is found by bisection.
 */
export function erAllocation(shapes: readonly MatrixShape[], density: number): ERAllocation {
  const total = shapes.reduce((s, m) => s + m.rows * m.cols, 0);
  const target = density * total;
  const count = (eps: number) => shapes.reduce((s, m) => s + Math.min(eps * (m.rows + m.cols), m.rows * m.cols), 0);
  const tolerance = 5;
  let eps = 10, factor = 0.5, found = false;
  for (let it = 0; it < 10000; it++) {
    const c = count(eps);
    if (c + tolerance > target && c - tolerance < target) { found = true; break; }
    eps *= c > target ? 1 - factor : 1 + factor;
    factor *= 0.95;
  }
  if (!found) {
    let lo = 0, hi = shapes.reduce((mx, m) => Math.max(mx, (m.rows * m.cols) / Math.max(1, m.rows + m.cols)), 1);
    for (let it = 0; it < 200; it++) {
      const mid = (lo + hi) / 2;
      if (count(mid) < target) lo = mid;
      else hi = mid;
    }
    eps = hi;
  }
  const densities = shapes.map((m) => (m.rows * m.cols === 0 ? 0 : Math.min(1, (eps * (m.rows + m.cols)) / (m.rows * m.cols))));
  return { epsilon: eps, densities };
}

/** The per-tensor densities of a sparse initialisation. */
export function initialDensities(shapes: readonly MatrixShape[], density: number, mode: 'uniform' | 'ER'): number[] {
  if (mode === 'uniform') return shapes.map(() => density);
  if (mode === 'ER') return erAllocation(shapes, density).densities;
  throw new RangeError(`selfish-rnn: unknown sparse init '${String(mode)}' (expected 'uniform' or 'ER')`);
}

/** The number of nonzeros a tensor gets at density p with exact counts: round(p·numel). */
export function exactCount(shape: MatrixShape, p: number): number {
  return Math.min(shape.rows * shape.cols, Math.round(p * shape.rows * shape.cols));
}

/**
 * The initial nonzeros of one tensor, as ascending flat (row-major) positions: exactly
 * round(p·numel) positions chosen uniformly (exact), or each position independently with
 * probability p (the official `rand(shape) < p`).
 */
export function initialPositions(shape: MatrixShape, p: number, exact: boolean, rng: Random): Int32Array {
  const n = shape.rows * shape.cols;
  return exact ? sampleExactly(n, exactCount(shape, p), rng) : sampleBernoulli(n, p, rng);
}
