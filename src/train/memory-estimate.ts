// A lower bound on the WebAssembly memory a training run needs, from its configuration alone, so
// a model that cannot fit is refused at once with the numbers, instead of after minutes of
// allocation (or with an engine error). It counts only what must exist at the same time in the
// wasm heap during a step, in float32: the weights and their gradients (sparse LSTM matrices at
// their density), three temporaries the size of the embedding or output matrix (measured), the
// output logits of one batch and their gradient, and the recurrent activations kept for the
// backward pass (per layer, time step and recurrence block). Every size flag enters: emsize, nhid,
// nhidlast, nlayers, depth, chunk size, experts, batch sizes and bptt. Optimizer state, index
// arrays and temporaries come on top, so anything refused here could never have run.
import type { TrainConfig } from './config.js';

/** The kernels' memory is a wasm32 memory: at most 65,536 pages of 64 KiB (asconfig.json maximumMemory). */
export const WASM_MEMORY_LIMIT_BYTES = 65536 * 65536;

export interface MemoryEstimate {
  /** Weights of the model (dense count: every weight, whatever the density). */
  parameters: number;
  /** Lower bound on the bytes a training step needs (see the header). */
  bytes: number;
}

type Shape = Pick<TrainConfig['lm'], 'emsize' | 'nhid' | 'nhidlast' | 'nlayers' | 'nExperts' | 'tied' | 'depth' | 'chunkSize'>;

/**
 * Recurrent weights of one layer (input width `inp`, `h` units, `depth` recurrence blocks per
 * step, master gates of `h / chunk` units): a bound every model family meets (at least two gate
 * matrices per block, 2h × inp for the input and 2h × h per block for the recurrence; LSTMs have
 * four gates, RHN blocks two, ON-LSTM adds two master gates of h / chunk rows). Families are not
 * named outside their own files (src/models/registry.ts), so the bound stays generic.
 */
const layerWeights = (inp: number, h: number, depth: number, chunk: number): number =>
  2 * h * (inp + depth * h) + (chunk > 0 ? 2 * (h / chunk) * (inp + h) : 0);
/**
 * Activations per unit, time step and recurrence block kept for the backward pass: at least the
 * state and two gates (an RHN block keeps its state, transform and gate; LSTM cells keep more).
 */
const ACTIVATIONS_PER_UNIT = 3;

/**
 * The estimate for `config` with a vocabulary of `vocab` words. Plain float arithmetic: absurd
 * sizes give huge (or infinite) numbers, never an exception, and nothing is allocated.
 */
export function estimateTrainingMemory(
  config: Pick<TrainConfig, 'batchSize' | 'bptt' | 'evalBatchSize' | 'testBatchSize' | 'density' | 'maxSeqLenDelta' | 'randomBptt'> & { lm: Shape },
  vocab: number,
): MemoryEstimate {
  const lm = config.lm, V = Math.max(vocab, 1), E = lm.emsize, L = lm.nlayers;
  const D = Math.max(1, lm.depth ?? 1), C = lm.chunkSize ?? 0;
  const layer = (inp: number, h: number) => layerWeights(inp, h, D, C);
  let lstm = 0, hiddenSum = 0;
  // Per-layer sizes; computed in closed form so nlayers = 10^8 costs nothing.
  const hid = lm.nhid;
  const last = Math.min(lm.nhid, lm.nhidlast > 0 ? lm.nhidlast : lm.nhid);
  if (L >= 1) {
    if (L === 1) {
      lstm = layer(E, last);
      hiddenSum = last;
    } else {
      lstm = layer(E, hid) + (L - 2) * layer(hid, hid) + layer(hid, last);
      hiddenSum = (L - 1) * hid + last;
    }
  }
  const embedding = V * E;
  // Output layer: V biases, and V × last weights unless tied; a mixture of K softmaxes adds its
  // K × E latent projection.
  const K = Math.max(1, lm.nExperts);
  const decoder = (lm.tied ? 0 : last * V) + V + (K > 1 ? last * K * E : 0);
  const parameters = embedding + lstm + decoder;
  const T = config.bptt, B = Math.max(config.batchSize, config.evalBatchSize, config.testBatchSize);
  // Weights + gradients: embedding and decoder dense, LSTM matrices at the density.
  // Measured: a step holds about three more copies of the embedding (or decoder) matrix: its dense
  // gradient before accumulation and the optimizer update's temporaries.
  const weights = 2 * (embedding + decoder + config.density * lstm) + 3 * Math.max(embedding, decoder);
  // Logits of one batch and their gradient (MoS: one softmax per expert).
  const logits = 2 * T * B * K * V;
  // Per layer, time step and block, kept for backward; the backward pass holds the gradient of at
  // least one step's activations at once; every layer carries its state (h and c) between batches.
  const activations = (T + 1) * B * ACTIVATIONS_PER_UNIT * hiddenSum * D + 2 * B * hiddenSum;
  return { parameters, bytes: 4 * (weights + logits + activations) };
}

/** Throws a RangeError with the numbers when the estimate is over `limit` bytes. */
export function checkTrainingMemory(config: Parameters<typeof estimateTrainingMemory>[0], vocab: number, limit = WASM_MEMORY_LIMIT_BYTES): MemoryEstimate {
  const e = estimateTrainingMemory(config, vocab);
  if (!(e.bytes <= limit)) {
    const gib = (n: number) => (Number.isFinite(n) ? `${(n / 2 ** 30).toPrecision(3)} GiB` : 'an unbounded amount');
    const lm = config.lm;
    throw new RangeError(
      `selfish-rnn: this model cannot fit: training it needs at least ${gib(e.bytes)} of WebAssembly memory, which holds at most ${gib(limit)} ` +
      `(${e.parameters.toExponential(2)} weights: emsize ${lm.emsize}, nhid ${lm.nhid}, nlayers ${lm.nlayers}${lm.depth !== undefined ? `, depth ${lm.depth}` : ''}, vocabulary ${vocab}; ` +
      `batches ${config.batchSize}×${config.bptt}). Give smaller sizes.`,
    );
  }
  return e;
}
