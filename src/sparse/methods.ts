// Training methods by name. Each is a configuration of the one engine (src/sparse/engine.ts):
// which prune, grow and redistribute strategies run at an update, and whether updates happen.
import type { SparseMethod, SparsityOptions } from './engine-api.js';

/** Every method name `createSparsity` accepts. */
export const SPARSE_METHODS: readonly SparseMethod[] = ['selfish', 'set', 'snfs', 'rigl', 'static', 'gmp', 'dense'];

/**
 * How a method uses the engine:
 *  dynamic  sparse from the start, prune-and-regrow at every update (selfish, set, snfs, rigl)
 *  static   sparse from the start, the topology never changes
 *  gmp      dense at the start (CSR at density 1), magnitude pruning on a cubic schedule, no growth
 *  dense    nothing is converted; every hook is a no-op
 */
export type MethodKind = 'dynamic' | 'static' | 'gmp' | 'dense';

export interface MethodConfig {
  kind: MethodKind;
  death: NonNullable<SparsityOptions['death']>;
  growth: NonNullable<SparsityOptions['growth']>;
  redistribution: NonNullable<SparsityOptions['redistribution']>;
}

export const METHODS: Record<SparseMethod, MethodConfig> = {
  // Selfish-RNN: magnitude death over whole matrices, uniform random growth, no redistribution
  // (its optimizer, SNT-ASGD, is the trainer's business).
  selfish: { kind: 'dynamic', death: 'magnitude', growth: 'random', redistribution: 'none' },
  // SET (Mocanu et al. 2018): closest-to-zero weights of each sign, random growth.
  set: { kind: 'dynamic', death: 'SET', growth: 'random', redistribution: 'none' },
  // Sparse Momentum (Dettmers & Zettlemoyer 2019): momentum growth and redistribution.
  snfs: { kind: 'dynamic', death: 'magnitude', growth: 'momentum', redistribution: 'momentum' },
  // RigL (Evci et al. 2020): gradient growth, each tensor keeps its budget.
  rigl: { kind: 'dynamic', death: 'magnitude', growth: 'gradient', redistribution: 'none' },
  static: { kind: 'static', death: 'magnitude', growth: 'random', redistribution: 'none' },
  gmp: { kind: 'gmp', death: 'magnitude', growth: 'random', redistribution: 'none' },
  dense: { kind: 'dense', death: 'magnitude', growth: 'random', redistribution: 'none' },
};
