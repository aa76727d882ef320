// The contract between the dynamic-sparse-training engine (src/sparse/engine.ts) and its users
// (the trainer, the CLI, checkpoints). Kept in its own file so both sides build against it.
import type { CSRMatrix } from '../csr.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { SparseMethod } from './methods.js';
import type { DeathName, GrowthName, RedistributionName } from './strategies/names.js';

export type { SparseMethod } from './methods.js';

export interface SparsityOptions {
  method: SparseMethod;
  /** Global density in (0, 1]: fraction of the weights of the sparse tensors that exist. */
  density: number;
  /** Sparse initialisation: 'uniform' (every tensor at the global density) or 'ER' (Erdős–Rényi). */
  sparseInit?: 'uniform' | 'ER';
  /** Prune criterion (defaults per method). */
  death?: DeathName;
  /** Growth criterion (defaults per method; 'none' makes updates prune only). */
  growth?: GrowthName | 'none';
  /** Redistribution of the regrown budget across tensors. */
  redistribution?: RedistributionName;
  /** Initial death (prune) rate p0; cosine-decayed to 0.005 over `totalSteps`. */
  deathRate?: number;
  /** Planned number of training steps (for the cosine schedule and gmp). */
  totalSteps: number;
  /** Topology update every k steps instead of once per epoch (0/undefined = per epoch). */
  updateEvery?: number;
  /** Which weights are sparse: by default every weight matrix (names not containing "bias"). */
  include?: (name: string) => boolean;
  /** Exact nonzero counts (default true) or the official code's Bernoulli growth. */
  exactCounts?: boolean;
  /** Seed for the engine's own generator (topology sampling). */
  seed?: number;
}

/** Per-gate counts of one LSTM weight matrix (gate order i, f, g, o). */
export interface GateStats {
  /** The weight's parameter name. */
  name: string;
  /** Gate names in row order (LSTM: i, f, g, o; RHN: H, T; ON-LSTM: master_i, master_f, o, g, i, f). */
  gates: string[];
  /** Structural nonzeros per gate. */
  nnz: number[];
  /** nnz / (gate rows · cols) per gate. */
  density: number[];
}

/** What one topology update did, for logs and plots. */
export interface UpdateReport {
  step: number;
  epoch: number;
  deathRate: number;
  /** Per tensor: removed and regrown counts, the regrown positions that were pruned in this same
   *  update (revived in place: value and optimizer state untouched, so not really replaced), and
   *  the nnz after the update. */
  tensors: { name: string; removed: number; grown: number; revived: number; nnz: number }[];
  density: number;
  gates: GateStats[];
}

/**
 * This step's dense gradient at the positions without a weight, measured during the step's own
 * backward (`beginDenseGradNorm({ capture: true })`, src/ops/dense-grad-norm.ts). The stored
 * weights' part is their values' `.grad`, which the engine reads itself.
 */
export interface StepGradients {
  /** Per sparse matrix the backward touched: rows × cols row-major, 0 at the stored positions. */
  absent: ReadonlyMap<CSRMatrix, Float32Array>;
  /** The factor the step applied to every gradient before the update (the clip coefficient, ≤ 1). */
  scale: number;
}

/** What the trainer tells the engine at each step and at each epoch end. */
export interface StepEvent {
  /** Optimizer steps taken so far (the schedule's t). */
  step: number;
  /** 1-based epoch the step belongs to (at an epoch end: the epoch just completed). */
  epoch: number;
  epochEnd?: boolean;
  skip?: boolean;
  /** One forward/backward on a training batch, for a dense gradient at an update (gradient growth). */
  denseGradient?: () => void;
  /** After a step: the step's dense gradient, when the engine asks for it (`needsStepGradients`). */
  stepGradients?: StepGradients;
}

/** Hooks the trainer calls; the engine owns the sparse weights of the model it was created on. */
export interface SparseEngineLike {
  readonly options: Readonly<SparsityOptions>;
  /** Current global density over the sparse tensors. */
  density(): number;
  /** Per-gate counts of every LSTM weight matrix. */
  gateStats(): GateStats[];
  /** The optimizer whose state must follow topology changes (call again after switching to SNT-ASGD). */
  attachOptimizer(opt: Optimizer): void;
  /**
   * Whether every step's event should carry `stepGradients` (SNFS's dense momentum): the caller
   * then captures the dense gradient during the step's backward (one dense weight-gradient
   * product per sparse matrix).
   */
  readonly needsStepGradients: boolean;
  /**
   * The one hook: called after every optimizer step (`epochEnd` false) and once at the end of
   * every epoch after validation (`epochEnd` true; `skip` in the epoch the optimizer switches to
   * SNT-ASGD, as the reference code). Returns a report when it changed the topology. The method's
   * schedule decides whether this event is an update. `denseGradient`, given by the trainer on
   * every call, runs one forward/backward on a training batch; the engine calls it (with dense
   * weights swapped in) only at an update whose strategy needs a dense gradient (gradient growth).
   * `stepGradients` feed SNFS's momentum at every step (see src/sparse/README.md for the cost).
   */
  onStep(event: StepEvent): UpdateReport | null;
  /** Serialisable state (schedule position, engine RNG, baselines): JSON meta + typed arrays. */
  stateDict(): { meta: unknown; arrays: Record<string, Float32Array | Int32Array | Uint8Array> };
  loadStateDict(state: { meta: unknown; arrays: Record<string, Float32Array | Int32Array | Uint8Array> }): void;
}
