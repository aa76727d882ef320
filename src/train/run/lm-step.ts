// One training step of a language model: forward and backward on a batch from the carried state,
// the dense-gradient probe (the official clip norm counts absent positions; SNFS takes the step's
// own dense gradient), the finite checks, the clip, the optimizer step (at the batch's lr scale),
// the sparse engine's hook, and zeroed gradients. The trainer, the `bench` command and the
// benchmarks all run this one function, so what is measured is what trains.
import { beginDenseGradNorm, type DenseGradNormResult } from '../../ops/dense-grad-norm.js';
import { disposeState, keepState, type LanguageModel, type LMState } from '../../models/index.js';
import { clipCoefficient, clipGradNorm } from '../../optim/clip-grad-norm.js';
import type { Optimizer } from '../../optim/optimizer.js';
import type { SparseEngineLike, UpdateReport } from '../../sparse/engine-api.js';
import { tidy, type IntTensor } from '../../tensor.js';
import type { ClipNorm } from '../config.js';
import { sparseValues } from '../weights.js';

export interface LMStepOptions {
  optimizer: Optimizer;
  /** Global gradient-norm clip; 0 disables it. */
  clip: number;
  /** Which norm the clip measures (see CLIP_NORMS); default 'active'. */
  clipNorm?: ClipNorm;
  /** The sparse engine whose hook follows the optimizer step. */
  engine?: SparseEngineLike | null;
  /** The optimizer step's lr is lr × lrScale (AWD random BPTT: seq_len / bptt). */
  lrScale?: number;
  /** This step's number (the engine's schedule; the probe's sample seed with `seed`). */
  step: number;
  /** 1-based epoch of the step (the engine's hook). */
  epoch: number;
  seed?: number;
  /** One forward/backward on a training batch, for strategies that need a dense gradient at an update. */
  denseGradient?: () => void;
  /**
   * Called with a non-finite loss or gradient norm before anything is applied; it throws (the
   * trainer's divergence error). Without it, a non-finite value throws a plain Error.
   */
  onNonFinite?: (what: 'the loss' | 'the gradient norm', value: number) => never;
}

export interface LMStepResult {
  loss: number;
  nll: number;
  tokens: number;
  /** The state after the batch (kept: the caller disposes the state it passed in, and this one later). */
  state: LMState;
  /** Pre-clip gradient norm (dense, absent positions included, unless clipNorm 'active'). */
  gradNorm: number;
  clipped: boolean;
  /** The absent positions' part of the squared norm (0 when the clip measures the active weights). */
  absentSquares: number;
  /** What the sparse engine's hook did, when it changed the topology. */
  report: UpdateReport | null;
}

/** Runs one step (see the header). `state` may be undefined (a zero state). */
export function lmStep(model: LanguageModel, input: IntTensor, target: IntTensor, state: LMState | undefined, o: LMStepOptions): LMStepResult {
  const mode = o.clipNorm ?? 'active';
  const capture = o.engine?.needsStepGradients === true;
  const probe = (mode !== 'active' || capture) && sparseValues(model).length > 0
    ? beginDenseGradNorm({ mode: mode === 'dense-exact' ? 'exact' : 'sampled', seed: (Math.imul(o.seed ?? 0, 0x9e3779b1) ^ o.step) >>> 0, capture })
    : null;
  let measured: DenseGradNormResult | null = null;
  let r: { loss: number; nll: number; tokens: number; state: LMState };
  try {
    r = tidy(() => {
      const out = model.forward(input, target, state);
      out.loss.backward();
      return { loss: out.loss.item(), nll: out.nll.item(), tokens: input.size, state: out.state };
    });
    r.state = keepState(r.state);
    if (probe) measured = probe.finish();
  } finally {
    probe?.dispose();
  }
  const fail = o.onNonFinite ?? ((what: string, value: number): never => { throw new Error(`selfish-rnn: ${what} is ${value}`); });
  if (!Number.isFinite(r.loss) || !Number.isFinite(r.nll)) {
    disposeState(r.state);
    for (const p of model.parameters()) p.zeroGrad();
    fail('the loss', Number.isFinite(r.loss) ? r.nll : r.loss);
  }
  // The probe may run for SNFS's captured gradient alone: its squares count only for a dense clip norm.
  const absentSquares = mode !== 'active' ? (measured?.absentSquares ?? 0) : 0;
  const limit = o.clip > 0 ? o.clip : Infinity;
  const norm = clipGradNorm(model.parameters(), limit, absentSquares);
  if (!Number.isFinite(norm)) {
    disposeState(r.state);
    for (const p of model.parameters()) p.zeroGrad();
    fail('the gradient norm', norm);
  }
  const opt = o.optimizer, base = opt.lr;
  if ((o.lrScale ?? 1) !== 1) opt.lr = base * o.lrScale!;
  try {
    opt.step();
  } finally {
    opt.lr = base;
  }
  // SNFS: this step's dense gradient, scaled as the clip scaled the stored weights' gradients.
  const stepGradients = measured?.absentGradients ? { absent: measured.absentGradients, scale: clipCoefficient(norm, limit) } : undefined;
  const report = o.engine?.onStep({ step: o.step, epoch: o.epoch, denseGradient: o.denseGradient, stepGradients }) ?? null;
  for (const p of model.parameters()) p.zeroGrad();
  return { ...r, gradNorm: norm, clipped: o.clip > 0 && norm > o.clip, absentSquares, report };
}
