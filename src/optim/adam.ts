// Adam with PyTorch's semantics (torch.optim.Adam, amsgrad off), L2 weight decay added to the
// gradient (not AdamW's decoupled decay). Per parameter, with its own step counter t:
//   g ← grad + wd·w
//   m ← β1·m + (1 − β1)·g                  ('exp_avg')
//   v ← β2·v + (1 − β2)·g²                 ('exp_avg_sq')
//   w ← w − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)
// Defaults are PyTorch's (lr 1e-3, β = (0.9, 0.999), ε = 1e-8). The official Selfish-RNN Adam
// ablation uses betas (0, 0.999), eps 1e-9, weight decay 1.2e-6.
//
// Topology changes: a surviving entry keeps m and v; a new entry starts from m = v = 0. For the
// values of sparse weights (option `sparse`) the step count t is kept PER ENTRY ('entry_step', as
// SNT-ASGD's per-weight counters), so a regrown weight starts at t = 1 with the full bias
// correction, exactly like a fresh Adam parameter. (With a per-tensor t, a weight regrown at
// t = 1000 would take its first step with m/(√v) = ±1 and no correction: up to ~1/(1 − β1ᵗ)
// too large early on, and with β1 = 0, √(1 − β2ᵗ) mismatched — the issue measured up to ~30× lr.)
// (The official code keeps dense moments and never masks them, so a regrown weight there inherits
// whatever its absent position accumulated from dense gradients; with CSR values there is no such
// history, and a fresh start is the only state a new entry can have.)
//
// The element loop is plain TypeScript over the wasm views (no sqrt/div kernel exists); the
// arithmetic is in f64 per element, each stored state value rounded to f32.
import type { Tensor } from '../tensor.js';
import { checkOptions } from '../config/options.js';
import { Optimizer, type HyperValue, type StateLayout } from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
  /** Parameters that are sparse weights' values: step counts per entry (see above). */
  sparse?: Iterable<Tensor>;
}

export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;

  constructor(params: Iterable<Tensor>, opts: AdamOptions = {}) {
    checkOptions('Adam', opts, ['lr', 'betas', 'eps', 'weightDecay', 'sparse']);
    super('Adam', params, opts.lr ?? 1e-3);
    const { betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0 } = opts;
    for (const [k, b] of betas.entries()) {
      if (!(b >= 0 && b < 1)) throw new RangeError(`selfish-rnn: Adam beta${k + 1} must be in [0, 1), got ${b}`);
    }
    if (!(eps >= 0)) throw new RangeError(`selfish-rnn: Adam eps must be ≥ 0, got ${eps}`);
    if (!(weightDecay >= 0)) throw new RangeError(`selfish-rnn: Adam weight decay must be ≥ 0, got ${weightDecay}`);
    [this.beta1, this.beta2] = betas;
    this.eps = eps;
    this.weightDecay = weightDecay;
    this.sparseFlags = this.params.map(() => false);
    for (const t of opts.sparse ?? []) {
      const i = this.params.indexOf(t);
      if (i < 0) throw new RangeError(`selfish-rnn: Adam: a sparse tensor${t.name ? ` '${t.name}'` : ''} is not among the parameters`);
      this.sparseFlags[i] = true;
    }
  }

  /** Whether params[i] counts steps per entry (kept by index, so it follows remapParam). */
  private readonly sparseFlags: boolean[];

  step(): void {
    this.checkParams();
    const { beta1: b1, beta2: b2, eps, weightDecay: wd } = this;
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i]!, g = this.gradOf(p);
      if (g === null) continue;
      if (this.sparseFlags[i]) { this.sparseStep(i, p, g); continue; }
      const st = (this.state[i] ??= this.newState(p, { step: 0 }, ['exp_avg', 'exp_avg_sq'], []));
      const t = (st.scalars.step! += 1);
      const stepSize = this.lr / (1 - b1 ** t);
      const sqrtBc2 = Math.sqrt(1 - b2 ** t);
      const w = p.data, gr = g.data, m = st.floats.exp_avg!.data, v = st.floats.exp_avg_sq!.data;
      for (let j = 0; j < w.length; j++) {
        const gj = Math.fround(gr[j]! + wd * w[j]!);
        m[j] = b1 * m[j]! + (1 - b1) * gj;
        v[j] = b2 * v[j]! + (1 - b2) * gj * gj;
        w[j] = w[j]! - (stepSize * m[j]!) / (Math.sqrt(v[j]!) / sqrtBc2 + eps);
      }
    }
  }

  /** The same update with t per entry; the corrections are recomputed only when t changes along the slots. */
  private sparseStep(i: number, p: Tensor, g: Tensor): void {
    const { beta1: b1, beta2: b2, eps, weightDecay: wd } = this;
    const st = (this.state[i] ??= this.newState(p, {}, ['exp_avg', 'exp_avg_sq'], ['entry_step']));
    const steps = st.counters.entry_step!;
    steps.incrementAll();
    const { cohorts, counts } = steps.view();
    const w = p.data, gr = g.data, m = st.floats.exp_avg!.data, v = st.floats.exp_avg_sq!.data;
    let lastT = -1, stepSize = 0, sqrtBc2 = 1;
    for (let j = 0; j < w.length; j++) {
      const t = counts[cohorts[j]!]!;
      if (t !== lastT) { lastT = t; stepSize = this.lr / (1 - b1 ** t); sqrtBc2 = Math.sqrt(1 - b2 ** t); }
      const gj = Math.fround(gr[j]! + wd * w[j]!);
      m[j] = b1 * m[j]! + (1 - b1) * gj;
      v[j] = b2 * v[j]! + (1 - b2) * gj * gj;
      w[j] = w[j]! - (stepSize * m[j]!) / (Math.sqrt(v[j]!) / sqrtBc2 + eps);
    }
  }

  protected hyperParams(): Record<string, HyperValue> {
    const sparse: number[] = [];
    this.sparseFlags.forEach((f, i) => f && sparse.push(i));
    // `sparse` only when there is one, so state dicts of dense Adam read as before.
    return { betas: [this.beta1, this.beta2], eps: this.eps, weightDecay: this.weightDecay, ...(sparse.length > 0 ? { sparse } : {}) };
  }

  protected stateLayout(index: number): StateLayout {
    if (this.sparseFlags[index]) return { scalars: [], floats: ['exp_avg', 'exp_avg_sq'], counters: ['entry_step'] };
    return this.denseStateLayout(index);
  }

  protected override denseStateLayout(_index: number): StateLayout {
    return { scalars: ['step'], floats: ['exp_avg', 'exp_avg_sq'], counters: [] };
  }
}
