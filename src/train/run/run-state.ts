// The run's progress as ONE serialisable object: everything the loop accumulates besides the
// weights, the optimizer, the engine, the generators and the data position (which have their own
// state dicts). `last.ckpt` stores it inside TrainingState as it is, and resume takes it back as
// it is, so a new field needs no save/restore code.
import type { PlotDensity } from './plot.js';

export type Phase = 'sgd' | 'asgd' | 'adam';

/** Loss sums over a span of steps. */
export interface Accumulator {
  nllSum: number;
  tokens: number;
  steps: number;
  /** Steps whose pre-clip norm exceeded the clip (absent in checkpoints of older builds). */
  clipped?: number;
}

export interface EpochRecord {
  epoch: number;
  /** Global step count at the end of the epoch. */
  step: number;
  trainLoss: number;
  trainPpl: number;
  valLoss: number;
  valPpl: number;
  /** Whether this epoch's model became the best one. */
  best: boolean;
  /** Optimizer phase after the epoch (after a switch). */
  phase: Phase;
  /** True in the epoch the optimizer switched to (SNT-)ASGD. */
  switched: boolean;
  lr: number;
  /** Density of the sparse weights after the epoch's topology update. */
  density: number;
  /** Pooled density per gate name (LSTM i, f, g, o; RHN H, T; ON-LSTM master_i, master_f, o, g, i, f), or null. */
  gates: Record<string, number> | null;
  /** Death rate of the epoch's topology update, or null when there was none. */
  deathRate: number | null;
  removed: number | null;
  grown: number | null;
  /** Wall-clock seconds of the epoch (training + evaluation). */
  seconds: number;
  /** Fraction of the epoch's steps whose pre-clip gradient norm exceeded --clip. */
  clipFraction?: number;
}

export interface RunProgress {
  globalStep: number;
  bestValLoss: number | null;
  bestEpoch: number | null;
  lastValLoss: number | null;
  /** The current epoch's sums; `seconds` is its wall time before the current segment. */
  epochAcc: Accumulator & { seconds: number };
  /** Sums since the last 'step' log line. */
  intervalAcc: Accumulator;
  /** The last training batch (the dense-gradient pass reuses it). */
  lastSpan: { i: number; seqLen: number } | null;
  history: EpochRecord[];
  densityTrack: PlotDensity[];
  finished: boolean;
}

export function freshProgress(): RunProgress {
  return {
    globalStep: 0, bestValLoss: null, bestEpoch: null, lastValLoss: null,
    epochAcc: emptyEpochAcc(), intervalAcc: { nllSum: 0, tokens: 0, steps: 0, clipped: 0 },
    lastSpan: null, history: [], densityTrack: [], finished: false,
  };
}

export function emptyEpochAcc(): Accumulator & { seconds: number } {
  return { nllSum: 0, tokens: 0, steps: 0, clipped: 0, seconds: 0 };
}

/** A deep copy, so the live state never aliases a checkpoint's. */
export function copyProgress(p: RunProgress): RunProgress {
  return structuredClone(p);
}
