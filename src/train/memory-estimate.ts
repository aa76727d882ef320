// A lower bound on the WebAssembly memory a training run needs, from its configuration alone, so
// a model that cannot fit is refused at once with the numbers, instead of after minutes of
// allocation (or with an engine error). It counts only what must exist at the same time in the
// wasm heap during a step, in float32: the weights and their gradients (sparse LSTM matrices at
// their density), three temporaries the size of the embedding or output matrix (measured), the output logits of one batch and their gradient, and the LSTM activations
// kept for the backward pass. Optimizer state, index arrays and temporaries come on top, so anything
// refused here could never have run.
import type { TrainConfig } from './config.js';

/** The kernels' memory is a wasm32 memory: at most 65,536 pages of 64 KiB (asconfig.json maximumMemory). */
export const WASM_MEMORY_LIMIT_BYTES = 65536 * 65536;

export interface MemoryEstimate {
  /** Weights of the model (dense count: every weight, whatever the density). */
  parameters: number;
  /** Lower bound on the bytes a training step needs (see the header). */
  bytes: number;
}

type Shape = Pick<TrainConfig['lm'], 'kind' | 'emsize' | 'nhid' | 'nhidlast' | 'nlayers' | 'nExperts' | 'tied' | 'depth'>;

/**
 * Recurrent weights of one layer (input width `inp`, `h` units) and the activations per unit and
 * time step a backward pass keeps, by model family. Families not listed get a bound every gated
 * recurrent layer meets (one h × (inp + h) matrix).
 */
function layerCost(lm: Shape): { weights: (inp: number, h: number) => number; activations: number } {
  switch (lm.kind) {
    case 'stacked':
    case 'awd-mos':
    case 'onlstm': // 4 gates plus the master gates: at least the LSTM's
      return { weights: (inp, h) => 4 * h * (inp + h), activations: 6 };
    case 'rhn': {
      const depth = lm.depth ?? 1;
      return { weights: (inp, h) => 2 * h * inp + depth * 2 * h * h, activations: 2 * depth };
    }
    default:
      return { weights: (inp, h) => h * (inp + h), activations: 2 };
  }
}

/**
 * The estimate for `config` with a vocabulary of `vocab` words. Plain float arithmetic: absurd
 * sizes give huge (or infinite) numbers, never an exception, and nothing is allocated.
 */
export function estimateTrainingMemory(
  config: Pick<TrainConfig, 'batchSize' | 'bptt' | 'evalBatchSize' | 'testBatchSize' | 'density' | 'maxSeqLenDelta' | 'randomBptt'> & { lm: Shape },
  vocab: number,
): MemoryEstimate {
  const lm = config.lm, V = Math.max(vocab, 1), E = lm.emsize, L = lm.nlayers;
  const mos = lm.kind === 'awd-mos';
  let lstm = 0, hiddenSum = 0;
  // Per-layer sizes; computed in closed form so nlayers = 10^8 costs nothing.
  const hid = lm.nhid;
  const last = lm.kind === 'awd-mos' || lm.kind === 'onlstm' ? lm.nhidlast : lm.kind === 'stacked' || lm.kind === 'rhn' ? lm.nhid : Math.min(lm.nhid, lm.nhidlast || lm.nhid);
  const cost = layerCost(lm);
  if (L >= 1) {
    if (L === 1) {
      lstm = cost.weights(E, last);
      hiddenSum = last;
    } else {
      lstm = cost.weights(E, hid) + (L - 2) * cost.weights(hid, hid) + cost.weights(hid, last);
      hiddenSum = (L - 1) * hid + last;
    }
  }
  const embedding = V * E;
  const decoder = mos ? V + last * lm.nExperts + last * lm.nExperts * E + lm.nExperts * E : (lm.tied ? 0 : last * V) + V;
  const parameters = embedding + lstm + decoder;
  const T = config.bptt, B = Math.max(config.batchSize, config.evalBatchSize, config.testBatchSize);
  const K = mos ? lm.nExperts : 1;
  // Weights + gradients: embedding and decoder dense, LSTM matrices at the density.
  // Measured: a step holds about three more copies of the embedding (or decoder) matrix: its dense
  // gradient before accumulation and the optimizer update's temporaries.
  const weights = 2 * (embedding + decoder + config.density * lstm) + 3 * Math.max(embedding, decoder);
  // Logits of one batch and their gradient (MoS: one softmax per expert).
  const logits = 2 * T * B * K * V;
  // Per layer and time step: gates, cell and hidden state (LSTM), kept for backward.
  const activations = T * B * cost.activations * hiddenSum;
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
      `(${e.parameters.toExponential(2)} weights: emsize ${lm.emsize}, nhid ${lm.nhid}, nlayers ${lm.nlayers}, vocabulary ${vocab}; ` +
      `batches ${config.batchSize}×${config.bptt}). Give smaller sizes.`,
    );
  }
  return e;
}
