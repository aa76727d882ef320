// Embedding: a [V, E] lookup table (dense or sparse), initialised U(±initRange) as the
// reference language models do (pytorch/examples, AWD-LSTM, MoS all use 0.1).
import { globalRandom, type Random } from '../random.js';
import { IntTensor, Tensor } from '../tensor.js';
import { uniformParam } from './init.js';
import { Module, type Weight } from './module.js';
import { lookup } from './sparse-weight.js';

export class Embedding extends Module {
  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, opts: { initRange?: number; rng?: Random } = {}) {
    super();
    this.registerWeight('weight', uniformParam([numEmbeddings, embeddingDim], opts.initRange ?? 0.1, opts.rng ?? globalRandom));
  }

  get weight(): Weight {
    return this.getWeight('weight');
  }

  /** ids [...] → [..., E]. */
  forward(ids: IntTensor): Tensor {
    return lookup(this.weight, ids);
  }
}
