// A lower bound on the WebAssembly memory a training run needs, from its configuration alone, so
// a model that cannot fit is refused at once with the numbers, instead of after minutes of
// allocation (or with an engine error). The sizes come from the family's `weightShapes`. It counts only what must exist at the same time in the
// wasm heap during a step, in float32: the weights and their gradients (sparse LSTM matrices at
// their density), three temporaries the size of the embedding or output matrix (measured), the
// output logits of one batch and their gradient, and the recurrent activations kept for the
// backward pass. The sizes come from the family's `weightShapes` (closed form: every size field
// enters through them: widths, layers, recurrence depth, chunks, experts), the rest from the
// batch sizes and bptt. Optimizer state, index arrays and temporaries come on top, so anything
// refused here could never have run.
import { modelFamily, type AnyModelConfig } from '../../models/index.js';
import type { TrainConfig } from '../config.js';

/** The kernels' memory is a wasm32 memory: at most 65,536 pages of 64 KiB (asconfig.json maximumMemory). */
export const WASM_MEMORY_LIMIT_BYTES = 65536 * 65536;

export interface MemoryEstimate {
  /** Weights of the model (dense count: every weight, whatever the density). */
  parameters: number;
  /** Lower bound on the bytes a training step needs (see the header). */
  bytes: number;
}

/**
 * Activations kept for the backward pass per time step and batch row, per row of the recurrent
 * matrices: an LSTM layer's 8H rows → 3H (at least the state and two gates), an RHN block's 2H
 * rows → 0.75H.
 */
const ACTIVATIONS_PER_RECURRENT_ROW = 3 / 8;

/** The weight shapes of a configuration by role: dense counts, tied matrices counted once (`outputCompute` counts them again: they multiply per token). */
export function weightCounts(lm: AnyModelConfig, vocab: number): { embedding: number; recurrent: number; output: number; outputCompute: number; outputRows: number; recurrentRows: number } | null {
  const shapes = modelFamily(lm.kind).weightShapes?.({ ...lm, vocab } as never);
  if (shapes === undefined) return null;
  const out = { embedding: 0, recurrent: 0, output: 0, outputCompute: 0, outputRows: 0, recurrentRows: 0 };
  for (const s of shapes) {
    const n = s.count ?? 1, size = s.rows * s.cols * n;
    if (s.role === 'output') { out.outputRows += s.rows * n; out.outputCompute += size; }
    if (s.role === 'recurrent') out.recurrentRows += s.rows * n;
    if (s.tied) continue;
    out[s.role] += size;
  }
  return out;
}

/**
 * The estimate for `config` with a vocabulary of `vocab` words, or null when the model's family
 * declares no weight shapes. Plain float arithmetic in closed form: absurd sizes give huge (or
 * infinite) numbers, never an exception, and nothing is allocated.
 */
export function estimateTrainingMemory(
  config: Pick<TrainConfig, 'batchSize' | 'bptt' | 'evalBatchSize' | 'testBatchSize' | 'density' | 'lm'>,
  vocab: number,
): MemoryEstimate | null {
  const w = weightCounts(config.lm, Math.max(vocab, 1));
  if (w === null) return null;
  const parameters = w.embedding + w.recurrent + w.output;
  const T = config.bptt, B = Math.max(config.batchSize, config.evalBatchSize, config.testBatchSize);
  // Weights + gradients: embedding and output dense, recurrent matrices at the density.
  // Measured: a step holds about three more copies of the embedding (or decoder) matrix: its dense
  // gradient before accumulation and the optimizer update's temporaries.
  const weights = 2 * (w.embedding + w.output + config.density * w.recurrent) + 3 * Math.max(w.embedding, w.output);
  // Output activations of one batch and their gradient (the logits; MoS: one softmax per expert).
  const logits = 2 * T * B * w.outputRows;
  // Per layer, time step and block, kept for backward; the backward pass holds the gradient of at
  // least one step's activations at once.
  const activations = (T + 1) * B * ACTIVATIONS_PER_RECURRENT_ROW * w.recurrentRows;
  return { parameters, bytes: 4 * (weights + logits + activations) };
}

/** Throws a RangeError with the numbers when the estimate is over `limit` bytes (no estimate: no refusal). */
export function checkTrainingMemory(config: Parameters<typeof estimateTrainingMemory>[0], vocab: number, limit = WASM_MEMORY_LIMIT_BYTES): MemoryEstimate | null {
  const e = estimateTrainingMemory(config, vocab);
  if (e !== null && !(e.bytes <= limit)) {
    const gib = (n: number) => (Number.isFinite(n) ? `${(n / 2 ** 30).toPrecision(3)} GiB` : 'an unbounded amount');
    throw new RangeError(
      `selfish-rnn: this model cannot fit: training it needs at least ${gib(e.bytes)} of WebAssembly memory, which holds at most ${gib(limit)} ` +
      `(${e.parameters.toExponential(2)} weights: ${modelFamily(config.lm.kind).describe(config.lm as never)}, vocabulary ${vocab}; ` +
      `batches ${config.batchSize}×${config.bptt}). Give smaller sizes.`,
    );
  }
  return e;
}
