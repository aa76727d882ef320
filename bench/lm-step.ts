// One language-model training step as the benchmarks time it (models and threads suites): the
// library's own training step (src/train/run/lm-step.ts: forward, cross-entropy, backward, clip 0.25 on
// the active weights' norm, SGD) on fixed random tokens, with every weight matrix CSR at
// `density` < 1 (static topology, uniformly placed nonzeros). bench/pytorch/lm_step.py times the
// same step in PyTorch.
import {
  createModel, createSparsity, disposeState, IntTensor, lmStep, modelConfig, modelRecipe, Random, SGD, type LanguageModel, type LMState,
} from '../src/index.js';

export interface LMStep {
  step: () => void;
  /** Tokens per step (T·B). */
  tokens: number;
  params: number;
  dispose: () => void;
}

export function benchStep(name: string, density: number, vocab = 10_000): LMStep {
  const cfg = modelConfig(name, { vocab });
  const recipe = modelRecipe(name);
  const T = Number(recipe.bptt ?? 35), B = Number(recipe.batchSize ?? 20);
  const rng = new Random(1);
  const model: LanguageModel = createModel(cfg, {}, rng);
  if (density < 1) createSparsity(model, { method: 'static', density, totalSteps: 1, seed: 1 });
  const opt = new SGD(model.parameters(), { lr: 1, weightDecay: 1.2e-6 });
  const input = new IntTensor(Array.from({ length: T * B }, () => rng.int(vocab)), [T, B], { persistent: true });
  const target = new IntTensor(Array.from({ length: T * B }, () => rng.int(vocab)), [T * B], { persistent: true });
  let state: LMState = model.initState(B);
  let k = 0;
  const step = () => {
    const r = lmStep(model, input, target, state, { optimizer: opt, clip: 0.25, step: ++k, epoch: 1 });
    disposeState(state);
    state = r.state;
  };
  const dispose = () => {
    disposeState(state);
    input.dispose();
    target.dispose();
    opt.dispose();
    model.dispose();
  };
  return { step, tokens: T * B, params: model.numParameters(), dispose };
}

/** The thread count for a suite: THREADS=n, else every core. */
export function threadsFromEnv(fallback: number): number {
  const v = process.env.THREADS;
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`THREADS must be a positive integer, got ${v}`);
  return n;
}
