// What a training run takes and gives: its options and events, its result, the training state a
// 'last' checkpoint keeps, and the errors that stop a run (./trainer.ts runs it).
import type { BpttPosition } from '../../data/batching.js';
import type { Corpus } from '../../data/corpus.js';
import type { Random } from '../../random.js';
import type { UpdateReport } from '../../sparse/engine-api.js';
import type { LMCheckpoint } from '../checkpoint/checkpoint.js';
import type { TrainConfig } from '../config.js';
import type { OptimizerPhasesState } from './optimizer-phases.js';
import type { EpochRecord, Phase, RunProgress } from './run-state.js';
import type { RunStore } from '../checkpoint/run-store.js';
import type { SparsityProvider } from './sparsity-factory.js';

export interface StartInfo {
  resumed: boolean;
  epoch: number;
  step: number;
  epochs: number;
  batchesPerEpoch: number;
  totalSteps: number;
  parameters: number;
  density: number;
  engine: string | null;
  phase: Phase;
  config: TrainConfig;
}

export interface StepInfo {
  epoch: number;
  /** 1-based batch index within the epoch, and the batches per epoch (estimated for random lengths). */
  batch: number;
  batches: number;
  step: number;
  loss: number;
  nll: number;
  ppl: number;
  lr: number;
  gradNorm: number;
  tokensPerSecond: number;
  /** Estimated seconds to the end of the epoch. */
  etaSeconds: number;
  phase: Phase;
}

export interface TrainEvents {
  onStart?(info: StartInfo): void;
  onStep?(info: StepInfo): void;
  onEpoch?(record: EpochRecord): void;
  onUpdate?(report: UpdateReport): void;
  /**
   * Progress of an evaluation ('valid' at the end of each epoch, 'test' at the end): called with
   * done = 0 when it starts, every few chunks, and with done = total when it ends.
   */
  onEval?(split: 'valid' | 'test', done: number, total: number): void;
  /** Every line written to the JSON-lines log. */
  onLog?(entry: Record<string, unknown>): void;
}

export type TrainStatus = 'completed' | 'max-steps' | 'interrupted';

export interface TrainResult {
  status: TrainStatus;
  epochs: number;
  steps: number;
  bestEpoch: number | null;
  /**
   * Validation and test of the best model (or of the current one when none was saved yet); null
   * when interrupted. The test values are null also when the test split was not evaluated
   * (TrainerOptions.test: by default a run stopped by maxSteps skips it).
   */
  valLoss: number | null;
  valPpl: number | null;
  testLoss: number | null;
  testPpl: number | null;
  history: EpochRecord[];
  /** Where the run's files are (store.describe). */
  files: { last: string; best: string | null; log: string; plot: string };
}

export interface TrainerOptions {
  /** The resolved configuration (ignored when resuming: the checkpoint's is used). */
  config?: TrainConfig;
  corpus: Corpus;
  /** Where checkpoints, log and plot go (default: in memory). */
  store?: RunStore;
  /** Which sparse engine to use (default: defaultSparsity()). */
  sparsity?: SparsityProvider;
  events?: TrainEvents;
  /** Stop (with a resumable checkpoint) once this many steps have been taken in total. */
  maxSteps?: number;
  /**
   * Whether the run ends with a pass over the test split: true always, false never; by default
   * (undefined) only when the run completed its epochs, so a quick check stopped by `maxSteps`
   * ends after its validation (on a large corpus the test pass takes as long as a validation).
   */
  test?: boolean;
  /** Steps between 'step' log lines (default 200). */
  logInterval?: number;
  /** A 'last' checkpoint to continue from. */
  resume?: LMCheckpoint;
  /** Finetuning (config.finetune): the checkpoint whose weights to start from (normally best.ckpt). */
  initFrom?: LMCheckpoint;
}

/**
 * The training state kept in a 'last' checkpoint's meta.training: the run's progress (one
 * object, run-state.ts) and, beside it, the parts that have their own state: the data position,
 * the optimizer phases, the generators, the engine, the carried hidden state's layer count.
 */
export type TrainingState = RunProgress & OptimizerPhasesState & {
  position: BpttPosition;
  rng: { model: RngState; data: RngState; global: RngState };
  engine: { name: string; meta: unknown } | null;
  hiddenLayers: number;
  elapsedSeconds: number;
};

type RngState = ReturnType<Random['getState']>;

/** A training run stopped because the loss or the gradient norm stopped being finite. */
export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
  constructor(message: string, readonly step: number, readonly epoch: number, readonly lastCheckpoint: string | null) {
    super(message);
  }
}

/**
 * A run stopped because its log or plot could not be written (full disk; run directory deleted,
 * renamed, replaced by a file, read-only). The message names the file and the cause, and says
 * whether the checkpoint at the stop could still be saved.
 */
export class RunFilesError extends Error {
  override name = 'RunFilesError';
  constructor(message: string, readonly step: number, readonly savedCheckpoint: string | null) {
    super(message);
  }
}
