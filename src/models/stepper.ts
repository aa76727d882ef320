// The inference path: a language model run one token at a time, its state carried inside.
//
//   const s = createStepper(model, { batch: 1 });
//   let logp = s.step([id]);          // [batch × V] log-probabilities of the next token
//   s.reset(); s.dispose();
//
// A family gives its model a `createStepper` (the stacked LSTM's runs the step products of
// src/ops/step-weight.ts on buffers allocated once: no tape, no tensor allocated per token); any
// other LanguageModel is stepped through `logProbs` with T = 1 under noGrad (LogProbsStepper), so a
// user's family works unchanged. Both compute what `logProbs` computes in evaluation mode.
import { noGrad } from '../autograd/engine.js';
import { heap } from '../backend/memory.js';
import { kernels } from '../backend/wasm.js';
import { StepWeight } from '../ops/step-weight.js';
import type { CSRMatrix } from '../csr.js';
import { IntTensor, Tensor, tidy } from '../tensor.js';
import { disposeState, keepState, type LanguageModel, type LMState } from './language-model.js';

export interface StepperOptions {
  /** Independent streams stepped together (one token each per step). Default 1. */
  batch?: number;
}

export interface Stepper {
  readonly batch: number;
  /** Vocabulary size: each row of a step's result has this many entries. */
  readonly vocab: number;
  /**
   * Feeds one token per batch row and returns the log-probabilities of the next token,
   * [batch × vocab] row-major. The array is a view that the next step overwrites (and that a
   * memory growth detaches): copy what must be kept.
   */
  step(ids: ArrayLike<number>): Float32Array;
  /** Back to the zero state. */
  reset(): void;
  /** Frees the buffers (the model's weights are not touched). */
  dispose(): void;
  /** Bytes of weights and sparse indices one step reads (undefined where not known). */
  readonly bytesPerStep?: number;
}

/** A stepper for `model`: its family's own, or the generic one through `logProbs`. */
export function createStepper(model: LanguageModel, opts: StepperOptions = {}): Stepper {
  const batch = opts.batch ?? 1;
  if (!(Number.isInteger(batch) && batch >= 1)) throw new RangeError(`selfish-rnn: createStepper: batch must be an integer ≥ 1, got ${String(opts.batch)}`);
  return model.createStepper?.({ ...opts, batch }) ?? new LogProbsStepper(model, batch);
}

/** Checks a step's ids: `batch` integers in [0, vocab). */
export function checkStepIds(ids: ArrayLike<number>, batch: number, vocab: number): void {
  if (ids.length !== batch) throw new RangeError(`selfish-rnn: step: expected ${batch} token id(s) (one per batch row), got ${ids.length}`);
  for (let b = 0; b < batch; b++) {
    const id = ids[b]!;
    if (!(Number.isInteger(id) && id >= 0 && id < vocab)) throw new RangeError(`selfish-rnn: step: token id ${id} (row ${b}) is outside [0, ${vocab})`);
  }
}

/** Any LanguageModel, one token at a time through logProbs (T = 1, evaluation mode, no tape). */
export class LogProbsStepper implements Stepper {
  private state: LMState;
  readonly vocab: number;

  constructor(private readonly model: LanguageModel, readonly batch: number) {
    this.vocab = model.config.vocab;
    this.state = model.initState(batch);
  }

  step(ids: ArrayLike<number>): Float32Array {
    checkStepIds(ids, this.batch, this.vocab);
    const m = this.model, wasTraining = m.training;
    m.eval();
    try {
      const r = tidy(() => noGrad(() => {
        const lp = m.logProbs(new IntTensor(Array.from(ids), [1, this.batch]), this.state);
        return { logp: lp.logProbs.toArray(), state: lp.state };
      }));
      disposeState(this.state);
      this.state = keepState(r.state);
      return r.logp;
    } finally {
      m.train(wasTraining);
    }
  }

  reset(): void {
    disposeState(this.state);
    this.state = this.model.initState(this.batch);
  }

  dispose(): void {
    disposeState(this.state);
    this.state = [];
  }
}

/**
 * The softmax read-out of a step: log softmax(W·h + b) for the [H × B] hidden vectors h of one
 * step (feature-major), into a [B × V] buffer. Used by the families whose decoder is one Linear.
 */
export class SoftmaxStepHead {
  readonly vocab: number;
  private readonly W: StepWeight;
  private readonly logits: Tensor;
  private readonly rows: Tensor | null;
  readonly out: Tensor;

  constructor(weight: Tensor | CSRMatrix, private readonly bias: Tensor | null, readonly batch: number) {
    this.W = new StepWeight(weight);
    this.vocab = this.W.rows;
    this.logits = new Tensor([this.vocab, batch], { persistent: true });
    this.rows = batch > 1 ? new Tensor([batch, this.vocab], { persistent: true }) : null;
    this.out = new Tensor([batch, this.vocab], { persistent: true });
  }

  /** Log-probabilities [B × V] of the hidden vectors at byte offset h ([H × B]); returns a view of `out`. */
  forward(h: number): Float32Array {
    const V = this.vocab, B = this.batch;
    this.W.forward(this.logits.ptr, h, B);
    let rows = this.logits;
    if (this.rows !== null) {
      kernels.transpose(this.rows.ptr, this.logits.ptr, V, B);
      rows = this.rows;
    }
    if (this.bias !== null) kernels.add_row_bcast(rows.ptr, rows.ptr, this.bias.ptr, B, V);
    kernels.log_softmax_rows(this.out.ptr, rows.ptr, B, V);
    const i = this.out.ptr >>> 2;
    return heap.f32().subarray(i, i + B * V);
  }

  get bytesPerStep(): number {
    return this.W.bytesPerProduct;
  }

  dispose(): void {
    this.logits.dispose();
    this.rows?.dispose();
    this.out.dispose();
  }
}

/** The embedding side of a step: ids → x [E × B] feature-major (a row gather, then a transpose when B > 1). */
export class EmbeddingStep {
  private readonly W: StepWeight;
  private readonly ids: IntTensor;
  private readonly rows: Tensor;
  private readonly cols: Tensor | null;

  constructor(weight: Tensor | CSRMatrix, readonly batch: number) {
    this.W = new StepWeight(weight);
    this.ids = new IntTensor(new Int32Array(batch), [batch], { persistent: true });
    this.rows = new Tensor([batch, this.W.cols], { persistent: true });
    this.cols = batch > 1 ? new Tensor([this.W.cols, batch], { persistent: true }) : null;
  }

  get vocab(): number {
    return this.W.rows;
  }

  /** Looks the ids up; returns the byte offset of x [E × B]. */
  forward(ids: ArrayLike<number>): number {
    heap.i32().set(ids, this.ids.ptr >>> 2);
    this.W.gatherRows(this.rows.ptr, this.ids.ptr, this.batch);
    if (this.cols === null) return this.rows.ptr;
    kernels.transpose(this.cols.ptr, this.rows.ptr, this.batch, this.W.cols);
    return this.cols.ptr;
  }

  dispose(): void {
    this.ids.dispose();
    this.rows.dispose();
    this.cols?.dispose();
  }
}
