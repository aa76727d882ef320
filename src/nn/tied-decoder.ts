// The output layer of a language model with tied weights (Press & Wolf 2016; Inan et al. 2016):
// its weight is the encoder's embedding table, so it owns only its bias (zero-initialised, as
// every reference `init_weights`). PyTorch lists the shared tensor under both names
// (`encoder.weight` and `decoder.weight`); here it is one parameter, owned by the encoder.
import { linear, linearCrossEntropy } from '../ops/index.js';
import type { IntTensor, Tensor } from '../tensor.js';
import type { Embedding } from './embedding.js';
import { constantParam } from './init.js';
import { Module, type Weight } from './module.js';

export class TiedDecoder extends Module {
  constructor(private readonly source: Embedding, vocab: number) {
    super();
    this.registerWeight('bias', constantParam([vocab], 0));
  }

  get weight(): Weight {
    return this.source.weight;
  }

  get bias(): Tensor {
    return this.getWeight('bias') as Tensor;
  }

  /** x [N, E] → logits [N, V]. */
  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }

  /** Mean cross-entropy of forward(x) against targets, fused (no logits layout copies for a CSR weight). */
  crossEntropy(x: Tensor, targets: IntTensor): Tensor {
    return linearCrossEntropy(x, this.weight, this.bias, targets);
  }
}
