// What every language model in this library offers the trainer, evaluation and generation.
import type { Module } from '../nn/module.js';
import { keep, type IntTensor, type Tensor } from '../tensor.js';
import type { AnyModelConfig } from './family.js';
import type { GateLayout } from './gate-layout.js';
import type { Stepper, StepperOptions } from './stepper.js';

/**
 * One layer's recurrent state, as named tensors: {h, c} for the LSTM and ON-LSTM, {s} for the
 * RHN. The names are the model family's (see its ModelSpec); code that only carries, saves or
 * frees the state treats every entry alike.
 */
export type LayerState = Record<string, Tensor>;

/** Recurrent state carried across batches: one LayerState per layer (detached). */
export type LMState = LayerState[];

export interface LMOutput {
  /** The training objective (mean NLL plus the model's regularisers), a scalar. */
  loss: Tensor;
  /** Mean negative log-likelihood per token (what perplexity is computed from), a scalar. */
  nll: Tensor;
  /** State after the last step, for the next batch. */
  state: LMState;
}

export interface LanguageModel extends Module {
  readonly config: AnyModelConfig;
  /** input, target: [T, B] token ids (target = input shifted by one). */
  forward(input: IntTensor, target: IntTensor, state?: LMState): LMOutput;
  /** Log-probabilities of the next token at every position, [T·B, V] (for sampling). */
  logProbs(input: IntTensor, state?: LMState): { logProbs: Tensor; state: LMState };
  /** Zero state for batch size B (persistent tensors; dispose them when done). */
  initState(batchSize: number): LMState;
  /** Which rows of the weight `paramName` (with `rows` rows) belong to which gate; null if it has no gates. */
  gateLayout(paramName: string, rows: number): GateLayout | null;
  /**
   * Optional: this model run one token at a time for inference (see ./stepper.ts; `batch` is
   * set). Without it, `createStepper` steps the model through `logProbs` with T = 1.
   */
  createStepper?(opts: StepperOptions & { batch: number }): Stepper;
}

/**
 * A layer state checked to hold exactly the named tensors a family expects (e.g. ['h', 'c']):
 * a state from another family (or a corrupted checkpoint) is refused with the names involved.
 */
export function expectState<K extends string>(state: LayerState, names: readonly K[], family: string): Record<K, Tensor> {
  const keys = Object.keys(state);
  const missing = names.filter((n) => state[n] === undefined);
  if (missing.length > 0 || keys.length !== names.length) {
    throw new TypeError(`selfish-rnn: the ${family} layer state must hold {${names.join(', ')}}, got {${keys.join(', ')}}`);
  }
  return state as Record<K, Tensor>;
}

/** Every tensor of a state, layer by layer, in name order within a layer. */
export function stateTensors(state: LMState): [name: string, tensor: Tensor][] {
  return state.flatMap((layer, l) => Object.keys(layer).sort().map((n): [string, Tensor] => [`${l}.${n}`, layer[n]!]));
}

/** The state with every tensor moved out of the enclosing `tidy` scopes (kept alive). */
export function keepState(state: LMState): LMState {
  return state.map((layer) => Object.fromEntries(Object.entries(layer).map(([n, t]) => [n, keep(t)])));
}

/** Frees every tensor of a state (null / undefined: nothing to do). */
export function disposeState(state: LMState | null | undefined): void {
  for (const layer of state ?? []) for (const t of Object.values(layer)) t.dispose();
}

/** The check every family's constructor makes: a vocabulary size. */
export function checkModelConfig(config: { vocab: number }): void {
  if (!(config.vocab > 0)) throw new RangeError('selfish-rnn: the model needs config.vocab > 0 (set it from the corpus vocabulary)');
}

/** Checks a forward call's arguments: ids [T, B] and, if given, one layer state per layer. Returns [T, B]. */
export function checkForwardArgs(input: IntTensor, state: LMState | undefined, nlayers: number): [number, number] {
  if (input.shape.length !== 2) throw new RangeError(`selfish-rnn: the model expects input ids [T, B], got [${input.shape.join(', ')}]`);
  if (state !== undefined && state.length !== nlayers) throw new RangeError(`selfish-rnn: ${state.length} states for ${nlayers} layers`);
  return input.shape as [number, number];
}
