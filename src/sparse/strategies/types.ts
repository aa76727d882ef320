// What the pluggable strategies of the topology engine see and return. A strategy is a plain
// function over copies of one tensor's CSR arrays: it never touches wasm memory, the module or
// the optimizer (the engine does that once, after all strategies have run).
import type { Random } from '../../random.js';

/** One sparse tensor at the start of an update: copies of its CSR arrays. */
export interface TensorTopology {
  name: string;
  rows: number;
  cols: number;
  /** rows + 1 slot offsets. */
  rowPtr: Int32Array;
  /** Column of each slot (ascending within a row). */
  colIdx: Int32Array;
  /** Value of each slot. */
  values: Float32Array;
  /** Row of each slot. */
  rowOf: Int32Array;
}

/** Flat row-major position of slot s. */
export function positionOf(t: TensorTopology, s: number): number {
  return t.rowOf[s]! * t.cols + t.colIdx[s]!;
}

export interface DeathContext {
  rng: Random;
  /** |w| below which the 'threshold' criterion removes a weight. */
  threshold: number;
}

/**
 * Chooses the slots to remove. `k` is the number the death rate asks for (criteria that decide
 * their own count, like 'threshold', may ignore it). Returns distinct slots in ascending order.
 */
export type DeathStrategy = (t: TensorTopology, k: number, ctx: DeathContext) => Int32Array;

export interface GrowthContext {
  rng: Random;
  /** Exactly r new weights (true) or each empty position with probability r / #empty (official). */
  exact: boolean;
  /** Per flat position after pruning: 1 = surviving weight, 0 = empty (including just-pruned ones). */
  occupied: Uint8Array;
  /** Number of zeros in `occupied`. */
  emptyCount: number;
  /** A score per flat position (|dense gradient| or |dense momentum|), when the strategy needs one. */
  score: Float32Array | null;
}

export interface GrowthStrategy {
  /** Which dense per-position signal the engine must supply as `score`. */
  needs: 'none' | 'gradient' | 'momentum';
  /** Returns r (or, with Bernoulli growth, about r) distinct EMPTY flat positions, ascending. */
  grow(t: TensorTopology, r: number, ctx: GrowthContext): Int32Array;
}

/** What redistribution knows of one tensor when it splits the regrowth budget. */
export interface RedistributionItem {
  name: string;
  numel: number;
  /** Active weights before this update's pruning. */
  nnzBefore: number;
  /** Active weights after pruning. */
  nnzAfterPrune: number;
  /** The tensor's own budget (its count at initialisation). */
  baseline: number;
  /** The redistribution score (mean |w|, #nonzeros, mean |momentum|); unused by 'none'. */
  score: number;
}

export interface RedistributionStrategy {
  needs: 'none' | 'momentum';
  /** The tensor's score, computed on the pre-pruning topology. */
  score(t: TensorTopology, momentum: Float32Array | null): number;
  /** How many weights each tensor regrows, given the total still to regrow. */
  allocate(items: readonly RedistributionItem[], total: number): Int32Array;
}
