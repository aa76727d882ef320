// Evaluation as the reference code does it (pytorch/examples and Selfish-RNN main.py,
// awd-lstm-lm evaluate()): the split is batchified with the evaluation batch size, walked in
// fixed bptt chunks with the hidden state carried from chunk to chunk (starting from zeros), and
//   loss = Σ_chunks len(chunk)·CE(chunk) / (rows − 1),  ppl = exp(loss)
// where CE is the mean NLL of the chunk's len·B tokens, i.e. the loss is the mean NLL per token
// over the (rows − 1)·B predicted tokens. Dropout is off and no graph is recorded.
import { noGrad } from '../autograd/engine.js';
import { batchify, getBatch } from '../data/batching.js';
import { createStepper, disposeState, keepState, type LanguageModel, type LMState, type StepperOptions } from '../models/index.js';
import { tidy } from '../tensor.js';

export interface EvalResult {
  /** Mean NLL per token (nats). */
  loss: number;
  ppl: number;
  /** Predicted tokens. */
  tokens: number;
}

export interface EvalOptions {
  batchSize: number;
  bptt: number;
  /**
   * Called with done = 0 at the start, every `yieldEvery` chunks (default 25) and with done =
   * total at the end, and awaited: lets a CLI show progress, redraw or handle signals.
   */
  onProgress?: (done: number, total: number) => void | Promise<void>;
  yieldEvery?: number;
}

/** Evaluates `model` on a token stream (see the header). Restores the model's training mode. */
export async function evaluate(model: LanguageModel, ids: ArrayLike<number>, opts: EvalOptions): Promise<EvalResult> {
  const data = batchify(ids, opts.batchSize);
  const wasTraining = model.training;
  model.eval();
  let state: LMState = model.initState(opts.batchSize);
  let nllSum = 0, tokens = 0;
  const chunks = Math.ceil((data.rows - 1) / opts.bptt);
  const every = opts.yieldEvery ?? 25;
  try {
    await opts.onProgress?.(0, chunks);
    for (let c = 0, i = 0; i < data.rows - 1; c++, i += opts.bptt) {
      const r = tidy(() => noGrad(() => {
        const { input, target } = getBatch(data, i, opts.bptt);
        const out = model.forward(input, target, state);
        return { nll: out.nll.item(), n: input.size, state: out.state };
      }));
      disposeState(state);
      state = keepState(r.state);
      nllSum += r.nll * r.n;
      tokens += r.n;
      if (opts.onProgress && (c + 1) % every === 0 && c + 1 < chunks) await opts.onProgress(c + 1, chunks);
    }
    await opts.onProgress?.(chunks, chunks);
  } finally {
    disposeState(state);
    model.train(wasTraining);
  }
  const loss = nllSum / tokens;
  return { loss, ppl: Math.exp(loss), tokens };
}

export interface ScoreOptions extends Omit<StepperOptions, 'batch'> {
  /** Called with done = 0 at the start, every `yieldEvery` tokens (default 2,000) and with done = total at the end, and awaited. */
  onProgress?: (done: number, total: number) => void | Promise<void>;
  yieldEvery?: number;
}

/**
 * Evaluates `model` on a token stream one token at a time through its stepper (batch 1, state
 * carried from the first token): the mean NLL of ids[1..] given the tokens before each. The same
 * quantity as `evaluate` with batch size 1 (any bptt), up to float rounding; no tape, no tensor
 * allocated per token.
 */
export async function scoreStream(model: LanguageModel, ids: ArrayLike<number>, opts: ScoreOptions = {}): Promise<EvalResult> {
  if (ids.length < 2) throw new RangeError(`selfish-rnn: scoreStream needs at least 2 tokens, got ${ids.length}`);
  const { onProgress, yieldEvery = 2000, ...stepOpts } = opts;
  const stepper = createStepper(model, { ...stepOpts, batch: 1 });
  const total = ids.length - 1;
  let nllSum = 0;
  const one = [0];
  try {
    await onProgress?.(0, total);
    for (let t = 0; t < total; t++) {
      one[0] = ids[t]!;
      const logp = stepper.step(one);
      nllSum -= logp[ids[t + 1]!]!;
      if (onProgress && (t + 1) % yieldEvery === 0 && t + 1 < total) await onProgress(t + 1, total);
    }
    await onProgress?.(total, total);
  } finally {
    stepper.dispose();
  }
  const loss = nllSum / total;
  return { loss, ppl: Math.exp(loss), tokens: total };
}

/** Frees every tensor of a carried state (any family's). */
export { disposeState };
