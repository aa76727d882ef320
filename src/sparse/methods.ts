// Training methods by name. Each is one row of strategies for the one engine
// (src/sparse/engine.ts): how it starts, which death, growth and redistribution criteria an
// update runs, and the schedule that says when updates happen and how much they prune. A new
// method is a new row; the method names, the `SparseMethod` type, the CLI choices and the config
// checks all come from this table.
import type { DeathName, GrowthName, RedistributionName } from './strategies/names.js';

/**
 * When updates happen and what they prune:
 *   epoch    prune-and-regrow at the end of every epoch (or every `updateEvery` steps); the
 *            death rate follows the cosine schedule, each tensor regrows to its budget
 *   gradual  Zhu & Gupta's cubic schedule: prune by magnitude to d_t (from dense at the start) at
 *            the same times, per layer or under one global threshold (`gradualScope`); with a
 *            growth criterion, then also prune-and-regrow at the death rate within the new
 *            budget (GraNet)
 *   never    the topology never changes
 */
export type ScheduleName = 'epoch' | 'gradual' | 'never';

export interface MethodRow {
  /** sparse: at the density from the start; dense: every selected weight as CSR at density 1; none: nothing converted. */
  init: 'sparse' | 'dense' | 'none';
  /**
   * gradual schedule only: how d_t is met. 'layer' (default): every tensor is pruned to
   * round(d_t·numel) by its own magnitude threshold (Zhu & Gupta); 'global': one magnitude
   * threshold over all sparse tensors together, so the total is round(d_t·Σ numel) and tensors of
   * small weights lose more (GraNet's `pruning`).
   */
  gradualScope?: 'layer' | 'global';
  death: DeathName;
  /** 'none': updates only prune. */
  growth: GrowthName | 'none';
  redistribution: RedistributionName;
  schedule: ScheduleName;
  /** The paper the row follows (shown in --help and the docs). */
  source: string;
}

export const METHODS = {
  // Selfish-RNN: magnitude death over whole matrices, uniform random growth, no redistribution
  // (its optimizer, SNT-ASGD, is the trainer's business).
  selfish: { init: 'sparse', death: 'magnitude', growth: 'random', redistribution: 'none', schedule: 'epoch', source: 'Liu et al. 2021 (Selfish-RNN)' },
  // SET: closest-to-zero weights of each sign, random growth.
  set: { init: 'sparse', death: 'SET', growth: 'random', redistribution: 'none', schedule: 'epoch', source: 'Mocanu et al. 2018 (SET)' },
  // Sparse Momentum: momentum growth and redistribution (needs the dense gradient at every step).
  snfs: { init: 'sparse', death: 'magnitude', growth: 'momentum', redistribution: 'momentum', schedule: 'epoch', source: 'Dettmers & Zettlemoyer 2019 (SNFS)' },
  // RigL: gradient growth, each tensor keeps its budget.
  rigl: { init: 'sparse', death: 'magnitude', growth: 'gradient', redistribution: 'none', schedule: 'epoch', source: 'Evci et al. 2020 (RigL)' },
  static: { init: 'sparse', death: 'magnitude', growth: 'none', redistribution: 'none', schedule: 'never', source: 'static random sparse mask' },
  // Gradual magnitude pruning from dense, every layer to the scheduled density (Zhu & Gupta's rule;
  // GraNet's code calls this GMP_uniform, its `GMP` prunes globally).
  gmp: { init: 'dense', death: 'magnitude', growth: 'none', redistribution: 'none', schedule: 'gradual', gradualScope: 'layer', source: 'Zhu & Gupta 2017 (gradual magnitude pruning)' },
  // GraNet: gradual pruning under one global magnitude threshold (its `--method GraNet`), with
  // zero-cost neuroregeneration (gradient growth) within each layer's new budget at every update.
  granet: { init: 'dense', death: 'magnitude', growth: 'gradient', redistribution: 'none', schedule: 'gradual', gradualScope: 'global', source: 'Liu et al. 2021 (GraNet, gradual pruning with regrowth)' },
  dense: { init: 'none', death: 'magnitude', growth: 'none', redistribution: 'none', schedule: 'never', source: 'dense training' },
} as const satisfies Record<string, MethodRow>;

/** Training methods available by name. */
export type SparseMethod = keyof typeof METHODS;

/** Every method name `createSparsity` accepts, in table order. */
export const SPARSE_METHODS = Object.keys(METHODS) as SparseMethod[];

/** A coarse label of a row, for reports: dynamic (prune-and-regrow), static, gradual pruning, dense. */
export type MethodKind = 'dynamic' | 'static' | 'gradual' | 'dense';

export function methodKind(row: MethodRow): MethodKind {
  if (row.init === 'none') return 'dense';
  if (row.schedule === 'never') return 'static';
  if (row.schedule === 'gradual') return 'gradual';
  return 'dynamic';
}
