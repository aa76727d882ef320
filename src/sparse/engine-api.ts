// The contract between the dynamic-sparse-training engine (src/sparse/engine.ts) and its users
// (the trainer, the CLI, checkpoints). Kept in its own file so both sides build against it.
import type { Optimizer } from '../optim/optimizer.js';

/** Training methods available by name; each is a configuration of the one engine. */
export type SparseMethod = 'selfish' | 'set' | 'snfs' | 'rigl' | 'static' | 'gmp' | 'dense';

export interface SparsityOptions {
  method: SparseMethod;
  /** Global density in (0, 1]: fraction of the weights of the sparse tensors that exist. */
  density: number;
  /** Sparse initialisation: 'uniform' (every tensor at the global density) or 'ER' (Erdős–Rényi). */
  sparseInit?: 'uniform' | 'ER';
  /** Prune criterion (defaults per method). */
  death?: 'magnitude' | 'SET' | 'threshold';
  /** Growth criterion (defaults per method). */
  growth?: 'random' | 'gradient' | 'momentum';
  /** Redistribution of the regrown budget across tensors. */
  redistribution?: 'none' | 'magnitude' | 'nonzeros' | 'momentum';
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
  /** Per tensor: removed and regrown counts and the nnz after the update. */
  tensors: { name: string; removed: number; grown: number; nnz: number }[];
  density: number;
  gates: GateStats[];
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
   * Called after every optimizer step; returns a report when it changed the topology.
   * Optional `denseGradient` (same meaning as in endOfEpoch; added by the engine helper): with
   * per-step updates (`updateEvery`) gradient growth needs it at the update step, and SNFS feeds
   * its dense momentum from it at every step it is given (see src/sparse/README.md for the cost).
   */
  afterStep(step: number, epoch: number, opts?: { denseGradient?: () => void }): UpdateReport | null;
  /**
   * Called at the end of every epoch (after validation). `skip` = true in the epoch the optimizer
   * switches to SNT-ASGD (as the reference code does). `denseGradient`, when given, runs one
   * forward/backward pass on a training batch: gradient-based growth (RigL) calls it with dense
   * weights swapped in to obtain the dense gradient once per update.
   */
  endOfEpoch(epoch: number, step: number, opts?: { skip?: boolean; denseGradient?: () => void }): UpdateReport | null;
  /** Serialisable state (schedule position, engine RNG, baselines): JSON meta + typed arrays. */
  stateDict(): { meta: unknown; arrays: Record<string, Float32Array | Int32Array | Uint8Array> };
  loadStateDict(state: { meta: unknown; arrays: Record<string, Float32Array | Int32Array | Uint8Array> }): void;
}
