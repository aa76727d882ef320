// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay,
// with PyTorch's semantics (torch.optim.SGD):
//   g ← grad + wd·w;  v ← μ·v + g (v ← g on the first step);  w ← w − lr·(nesterov ? g + μ·v : v)
import { kernels } from '../backend/wasm.js';
import { Tensor } from '../tensor.js';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export class SGD {
  readonly params: Tensor[];
  lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  private readonly velocity = new Map<Tensor, Tensor>();
  private scratch: Tensor | null = null;

  constructor(params: Iterable<Tensor>, opts: SGDOptions) {
    this.params = [...params];
    const { lr, momentum = 0, weightDecay = 0, nesterov = false } = opts;
    if (!(lr >= 0)) throw new RangeError(`selfish-rnn: SGD learning rate must be ≥ 0, got ${lr}`);
    if (!(momentum >= 0)) throw new RangeError(`selfish-rnn: SGD momentum must be ≥ 0, got ${momentum}`);
    if (!(weightDecay >= 0)) throw new RangeError(`selfish-rnn: SGD weight decay must be ≥ 0, got ${weightDecay}`);
    if (nesterov && momentum === 0) throw new RangeError('selfish-rnn: Nesterov momentum needs momentum > 0');
    for (const p of this.params) if (!p.requiresGrad) throw new TypeError(`selfish-rnn: SGD was given a tensor${p.name ? ` '${p.name}'` : ''} that does not require grad`);
    this.lr = lr;
    this.momentum = momentum;
    this.weightDecay = weightDecay;
    this.nesterov = nesterov;
  }

  /** Applies one update to every parameter that has a gradient. */
  step(): void {
    for (const p of this.params) {
      const g = p.grad;
      if (g === null || g.isDisposed) continue;
      let d = g;
      if (this.weightDecay !== 0 || this.momentum !== 0) {
        d = this.scratchFor(p.size);
        kernels.scale(d.ptr, g.ptr, 1, p.size);
        if (this.weightDecay !== 0) kernels.axpy(d.ptr, p.ptr, this.weightDecay, p.size);
      }
      if (this.momentum !== 0) {
        let v = this.velocity.get(p);
        if (v === undefined) {
          v = new Tensor(p.shape, { persistent: true });
          kernels.scale(v.ptr, d.ptr, 1, p.size); // d may be the (larger) scratch buffer
          this.velocity.set(p, v);
        } else {
          kernels.scale(v.ptr, v.ptr, this.momentum, p.size);
          kernels.axpy(v.ptr, d.ptr, 1, p.size);
        }
        if (this.nesterov) kernels.axpy(d.ptr, v.ptr, this.momentum, p.size);
        else d = v;
      }
      kernels.axpy(p.ptr, d.ptr, -this.lr, p.size);
    }
  }

  /** Zeroes every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  /** Frees the optimizer's state buffers. */
  dispose(): void {
    for (const v of this.velocity.values()) v.dispose();
    this.velocity.clear();
    this.scratch?.dispose();
    this.scratch = null;
  }

  private scratchFor(size: number): Tensor {
    if (this.scratch === null || this.scratch.size < size) {
      this.scratch?.dispose();
      this.scratch = new Tensor([size], { persistent: true });
    }
    return this.scratch;
  }
}
