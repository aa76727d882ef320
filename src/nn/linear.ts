// Linear: y = x·Wᵀ + b with PyTorch's layout (W is [out, in]) and initialisation U(±1/√in).
import { globalRandom, type Random } from '../random.js';
import { Tensor, shapeString, type IntTensor } from '../tensor.js';
import { linearCrossEntropy } from '../ops/index.js';
import { uniformParam } from './init.js';
import { Module, type Weight } from './module.js';
import { linear } from './sparse-weight.js';

export interface LinearOptions {
  bias?: boolean;
  rng?: Random;
}

export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly hasBias: boolean;

  constructor(inFeatures: number, outFeatures: number, opts: LinearOptions = {}) {
    super();
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.hasBias = opts.bias ?? true;
    const bound = 1 / Math.sqrt(inFeatures);
    const rng = opts.rng ?? globalRandom;
    this.registerWeight('weight', uniformParam([outFeatures, inFeatures], bound, rng));
    if (this.hasBias) this.registerWeight('bias', uniformParam([outFeatures], bound, rng));
  }

  get weight(): Weight {
    return this.getWeight('weight');
  }

  get bias(): Tensor | null {
    return this.hasBias ? (this.getWeight('bias') as Tensor) : null;
  }

  /** x: [N, in] → [N, out]. */
  forward(x: Tensor): Tensor {
    if (x.rank !== 2 || x.shape[1] !== this.inFeatures) {
      throw new RangeError(`selfish-rnn: Linear(${this.inFeatures}→${this.outFeatures}) expects input [N, ${this.inFeatures}], got ${shapeString(x.shape)}`);
    }
    return linear(x, this.weight, this.bias);
  }

  /** Mean cross-entropy of forward(x) against targets, fused (no logits layout copies for a CSR weight). */
  crossEntropy(x: Tensor, targets: IntTensor): Tensor {
    if (x.rank !== 2 || x.shape[1] !== this.inFeatures) {
      throw new RangeError(`selfish-rnn: Linear(${this.inFeatures}→${this.outFeatures}) expects input [N, ${this.inFeatures}], got ${shapeString(x.shape)}`);
    }
    return linearCrossEntropy(x, this.weight, this.bias, targets);
  }
}
