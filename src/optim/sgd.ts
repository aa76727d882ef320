// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay,
// with PyTorch's semantics (torch.optim.SGD):
//   g ← grad + wd·w;  v ← μ·v + g (v ← g on the first step);  w ← w − lr·(nesterov ? g + μ·v : v)
// State (with momentum): 'momentum_buffer' v per entry. Across a topology change a surviving
// entry keeps its v and a new entry starts from v = 0 (the official code masks the buffer, which
// zeroes it for absent weights, so a regrown weight also restarts from 0).
import { kernels } from '../backend/wasm.js';
import type { Tensor } from '../tensor.js';
import { checkOptions } from '../config/options.js';
import { Optimizer, type HyperValue, type StateLayout } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  momentum?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly momentum: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;

  constructor(params: Iterable<Tensor>, opts: SGDOptions) {
    checkOptions('SGD', opts ?? null, ['lr', 'momentum', 'weightDecay', 'nesterov']);
    super('SGD', params, opts.lr);
    const { momentum = 0, weightDecay = 0, nesterov = false } = opts;
    if (!(momentum >= 0)) throw new RangeError(`selfish-rnn: SGD momentum must be ≥ 0, got ${momentum}`);
    if (!(weightDecay >= 0)) throw new RangeError(`selfish-rnn: SGD weight decay must be ≥ 0, got ${weightDecay}`);
    if (nesterov && momentum === 0) throw new RangeError('selfish-rnn: Nesterov momentum needs momentum > 0');
    this.momentum = momentum;
    this.weightDecay = weightDecay;
    this.nesterov = nesterov;
  }

  step(): void {
    this.checkParams();
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i]!, g = this.gradOf(p);
      if (g === null) continue;
      let d = g;
      if (this.weightDecay !== 0 || this.momentum !== 0) {
        d = this.scratch(p.size);
        kernels.scale(d.ptr, g.ptr, 1, p.size);
        if (this.weightDecay !== 0) kernels.axpy(d.ptr, p.ptr, this.weightDecay, p.size);
      }
      if (this.momentum !== 0) {
        let st = this.state[i] ?? null;
        if (st === null) {
          st = this.state[i] = this.newState(p, {}, ['momentum_buffer'], []);
          kernels.scale(st.floats.momentum_buffer!.ptr, d.ptr, 1, p.size); // d may be the (larger) scratch buffer
        } else {
          const v = st.floats.momentum_buffer!;
          kernels.scale(v.ptr, v.ptr, this.momentum, p.size);
          kernels.axpy(v.ptr, d.ptr, 1, p.size);
        }
        const v = st.floats.momentum_buffer!;
        if (this.nesterov) kernels.axpy(d.ptr, v.ptr, this.momentum, p.size);
        else d = v;
      }
      kernels.axpy(p.ptr, d.ptr, -this.lr, p.size);
    }
  }

  protected hyperParams(): Record<string, HyperValue> {
    return { momentum: this.momentum, weightDecay: this.weightDecay, nesterov: this.nesterov };
  }

  protected stateLayout(): StateLayout {
    return { scalars: [], floats: this.momentum !== 0 ? ['momentum_buffer'] : [], counters: [] };
  }
}
