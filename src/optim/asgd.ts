// Averaged SGD with the semantics of PyTorch's torch.optim.ASGD (1.x; 2.x computes the same),
// as AWD-LSTM's NT-ASGD uses it: ASGD(params, lr, t0=0, lambd=0, weight_decay=wd).
//
// State per parameter: step k (0), eta (lr at its first step), mu (1), 'ax' (zeros). One step:
//   k ← k + 1
//   g ← grad + wd·w
//   w ← w·(1 − lambd·eta)                       (skipped when lambd = 0)
//   w ← w − eta·g
//   ax ← (mu = 1) ? w : ax + mu·(w − ax)
//   eta ← lr / (1 + lambd·lr·k)^alpha            (lr = the current learning rate)
//   mu  ← 1 / max(1, k − t0)
// So the update at step k uses the eta computed after step k−1: a learning rate set before step k
// takes effect at step k+1 (PyTorch's one-step lag; with a constant lr and lambd = 0, eta = lr).
// With t0 = 0: mu is 1 at steps 1 and 2 and 1/(k−1) at step k ≥ 3, hence
//   ax_1 = w_1,   ax_k = (w_2 + … + w_k)/(k − 1) for k ≥ 2:
// averaging effectively starts from the 2nd iterate, not the first. In general ax_k is the mean
// of w_{t0+2}, …, w_k once k ≥ t0 + 2 (integer t0), and w_k before.
//
// Defaults are AWD-LSTM's (lambd 0, alpha 0.75, t0 0); torch.optim.ASGD's are lambd 1e-4, t0 1e6.
//
// Evaluation uses the averages: swapAveraged() puts ax into the parameters (and keeps the raw
// weights in ax's place), swapBack() restores them exactly; withAveraged(fn) does both around fn.
// A parameter that has not taken a step yet has no average and keeps its raw weights.
// Topology changes: a surviving entry keeps its average; a new entry's starts at 0, with the
// tensor's step counter (i.e. as if the entry had been 0 during all earlier steps). SNTASGD
// instead restarts a new entry's average (snt-asgd.ts).
import { kernels } from '../backend/wasm.js';
import type { Tensor } from '../tensor.js';
import { checkOptions } from '../config/options.js';
import { Optimizer, type HyperValue, type ParamState, type StateLayout } from './optimizer.js';

export interface ASGDOptions {
  lr: number;
  /** Decay term; 0 (AWD-LSTM) means eta = lr. */
  lambd?: number;
  /** Power of the eta schedule. */
  alpha?: number;
  /** Step after which averaging starts (see above). */
  t0?: number;
  weightDecay?: number;
}

/** The option names ASGDOptions accepts. */
export const ASGD_OPTIONS = ['lr', 'lambd', 'alpha', 't0', 'weightDecay'] as const;

export class ASGD extends Optimizer {
  readonly lambd: number;
  readonly alpha: number;
  readonly t0: number;
  readonly weightDecay: number;
  private swapped = false;

  /** `kind` is for subclasses (SNTASGD): it names the optimizer in errors and state dicts. */
  constructor(params: Iterable<Tensor>, opts: ASGDOptions, kind = 'ASGD') {
    checkOptions(kind, opts ?? null, ASGD_OPTIONS);
    super(kind, params, opts.lr);
    const { lambd = 0, alpha = 0.75, t0 = 0, weightDecay = 0 } = opts;
    if (!(lambd >= 0 && lambd < Infinity)) throw new RangeError(`selfish-rnn: ${kind} lambd must be a finite number ≥ 0, got ${lambd}`);
    if (!Number.isFinite(alpha)) throw new RangeError(`selfish-rnn: ${kind} alpha must be finite, got ${alpha}`);
    if (!(t0 >= 0 && t0 < Infinity)) throw new RangeError(`selfish-rnn: ${kind} t0 must be a finite number ≥ 0, got ${t0}`);
    if (!(weightDecay >= 0)) throw new RangeError(`selfish-rnn: ${kind} weight decay must be ≥ 0, got ${weightDecay}`);
    this.lambd = lambd;
    this.alpha = alpha;
    this.t0 = t0;
    this.weightDecay = weightDecay;
  }

  /** Whether the averaged weights are currently in the parameters. */
  get isSwapped(): boolean {
    return this.swapped;
  }

  step(): void {
    this.assertRaw('step');
    this.checkParams();
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i]!, g = this.gradOf(p);
      if (g === null) continue;
      const st = (this.state[i] ??= this.initialState(i, p));
      const k = (st.scalars.step! += 1);
      this.descend(p, g, st.scalars.eta!);
      this.average(i, p, st);
      st.scalars.eta = this.lr / Math.pow(1 + this.lambd * this.lr * k, this.alpha);
    }
  }

  /** Puts the averaged weights into the parameters (for evaluation or saving the model). */
  swapAveraged(): void {
    if (this.swapped) throw new Error(`selfish-rnn: ${this.kind}.swapAveraged: the averaged weights are already swapped in`);
    this.swapAll('swapAveraged');
    this.swapped = true;
  }

  /** Restores the raw (training) weights after swapAveraged(), bit for bit. */
  swapBack(): void {
    if (!this.swapped) throw new Error(`selfish-rnn: ${this.kind}.swapBack: the averaged weights are not swapped in`);
    this.swapAll('swapBack');
    this.swapped = false;
  }

  /** Runs fn with the averaged weights in the parameters, then restores the raw ones. */
  withAveraged<T>(fn: () => T): T {
    this.swapAveraged();
    try {
      return fn();
    } finally {
      this.swapBack();
    }
  }

  override stateDict(): ReturnType<Optimizer['stateDict']> {
    this.assertRaw('stateDict');
    return super.stateDict();
  }

  override loadStateDict(dict: Parameters<Optimizer['loadStateDict']>[0]): void {
    this.assertRaw('loadStateDict');
    super.loadStateDict(dict);
  }

  override remapParam(oldParam: Tensor, newParam: Tensor, oldSlotOf: Int32Array | null): void {
    this.assertRaw('remapParam');
    super.remapParam(oldParam, newParam, oldSlotOf);
  }

  protected hyperParams(): Record<string, HyperValue> {
    return { lambd: this.lambd, alpha: this.alpha, t0: this.t0, weightDecay: this.weightDecay };
  }

  protected stateLayout(_index: number): StateLayout {
    return { scalars: ['step', 'eta', 'mu'], floats: ['ax'], counters: [] };
  }

  /** State of params[i] before its first step. */
  protected initialState(_index: number, p: Tensor): ParamState {
    return this.newState(p, { step: 0, eta: this.lr, mu: 1 }, ['ax'], []);
  }

  /** The averaging part of a step (after w has been updated); dense: one mu per tensor. */
  protected average(_index: number, p: Tensor, st: ParamState): void {
    const ax = st.floats.ax!, mu = st.scalars.mu!;
    if (mu !== 1) {
      const diff = this.scratch(p.size);
      kernels.sub(diff.ptr, p.ptr, ax.ptr, p.size);
      kernels.axpy(ax.ptr, diff.ptr, mu, p.size);
    } else {
      ax.copyFrom(p);
    }
    st.scalars.mu = 1 / Math.max(1, st.scalars.step! - this.t0);
  }

  /** The SGD part of a step: w ← w·(1 − lambd·eta) − eta·(grad + wd·w). */
  private descend(p: Tensor, g: Tensor, eta: number): void {
    let d = g;
    if (this.weightDecay !== 0) {
      d = this.scratch(p.size);
      kernels.scale(d.ptr, g.ptr, 1, p.size);
      kernels.axpy(d.ptr, p.ptr, this.weightDecay, p.size);
    }
    if (this.lambd !== 0) kernels.scale(p.ptr, p.ptr, 1 - this.lambd * eta, p.size);
    kernels.axpy(p.ptr, d.ptr, -eta, p.size);
  }

  private swapAll(what: string): void {
    this.checkParams(what);
    for (let i = 0; i < this.params.length; i++) {
      const st = this.state[i];
      if (st === null || st === undefined) continue;
      const w = this.params[i]!.data, ax = st.floats.ax!.data;
      for (let j = 0; j < w.length; j++) { const t = w[j]!; w[j] = ax[j]!; ax[j] = t; }
    }
  }

  private assertRaw(what: string): void {
    if (this.swapped) throw new Error(`selfish-rnn: ${this.kind}.${what}: the averaged weights are swapped in; call swapBack() first`);
  }
}
