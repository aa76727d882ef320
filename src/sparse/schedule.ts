// Schedules of the topology engine: how many weights an update prunes (the death rate of the
// dynamic methods) and how dense gradual magnitude pruning (gmp) is at a given step.

/** The death-rate floor of the official code (CosineAnnealingLR eta_min). */
export const MIN_DEATH_RATE = 0.005;

/**
 * Selfish-RNN's death rate: PyTorch's CosineAnnealingLR from p0 to 0.005 over T = totalSteps,
 * stepped once per training step:  p_t = 0.005 + ½ (p0 − 0.005)(1 + cos(π t / T)).
 * t is clamped to [0, T]: past T PyTorch's cosine rises again (which the official AWD-style
 * scripts hit when their random BPTT makes more steps than planned); here it stays at 0.005.
 */
export function cosineDeathRate(p0: number, step: number, totalSteps: number, min = MIN_DEATH_RATE): number {
  const t = Math.min(Math.max(step, 0), totalSteps);
  return min + 0.5 * (p0 - min) * (1 + Math.cos((Math.PI * t) / totalSteps));
}

export interface GmpSchedule {
  /** Final density d_f (sparsity s_f = 1 − d_f). */
  finalDensity: number;
  /** First pruning step t0. */
  start: number;
  /** Step T_end at which the final density is reached. */
  end: number;
}

/**
 * Zhu & Gupta (2017) gradual pruning with initial sparsity 0: the sparsity at step t is
 *   s_t = s_f · (1 − (1 − (t − t0)/(T_end − t0))³)   for t0 ≤ t ≤ T_end,
 * 0 before t0 and s_f after T_end. Returns the density 1 − s_t.
 */
export function gmpDensity(step: number, s: GmpSchedule): number {
  const sf = 1 - s.finalDensity;
  if (step < s.start) return 1;
  if (step >= s.end) return s.finalDensity;
  const frac = (step - s.start) / (s.end - s.start);
  return 1 - sf * (1 - (1 - frac) ** 3);
}
