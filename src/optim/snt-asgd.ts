// SNT-ASGD, the sparse variant of NT-ASGD's averaging (Selfish-RNN's Sparse_ASGD.py, spec §1.7).
//
// Dense parameters: exactly ASGD (asgd.ts): one step counter and one mu per tensor.
// Sparse parameters (listed in `sparse`; their tensor is a CSR weight's values, one entry per
// active weight): the same SGD update w ← w·(1 − lambd·eta) − eta·(grad + wd·w), then averaging
// with a step counter PER WEIGHT ('weight_step', s), counting the steps since the weight became
// active:
//   s ← s + 1
//   mu = 1 / max(1, s − 1 − t0)                  (t0 = 0: 1 for s ∈ {1, 2}, 1/(s − 1) for s ≥ 3)
//   ax ← (mu = 1) ? w : ax + mu·(w − ax)
// so each weight's average is the mean of its own iterates from its 2nd active step on, exactly
// like dense ASGD over the weight's active period. Across a topology change (remapParam) a
// surviving weight keeps s and ax, a new or regrown weight (old slot −1) starts from s = 0 and
// ax = 0: its average restarts instead of mixing in the zeros of its absent period. The official
// code does the same with masks: s[m = 0] = 0, and ax ← ax ⊙ m. A weight pruned and regrown in the
// same update stays active there; the topology engine expresses that by mapping it to its old slot.
//
// Learning rate. Here sparse tensors follow the same per-tensor eta schedule as dense ones
// (asgd.ts: eta ← lr after each step, so a step uses the lr set before the previous one, PyTorch's
// lag). Sparse_ASGD.py's sparse branch never updates eta: it keeps the lr of its first step. That
// matters whenever lr changes during the averaged phase, which the official AWD-style scripts
// (ON-LSTM; MoS has the same loop) do at every batch: they scale lr by seq_len/bptt for the random
// BPTT length, so there the sparse weights run the whole averaged phase at lr × (length of the first
// averaged batch)/bptt, one random draw (≈ 0.5 in one run of 20, when the draw takes the bptt/2
// mode), while the dense tensors of the same optimizer (biases) follow the per-batch lr. We take
// that for a bug (the sparse branch copies torch's ASGD step and drops its eta update line) and do
// not reproduce it: every tensor gets the per-batch scaled lr, as in a dense AWD-LSTM run; an lr
// schedule during averaging (--lr-decay with --asgd-epoch) reaches the sparse weights too. With a
// fixed BPTT length (stacked LSTM, RHN) and a constant lr the two agree exactly.
// The official sparse branch also ignores t0 (and lambd's effect on eta); here t0 offsets the
// per-weight counters as it offsets the dense one.
// The per-weight averaging rounds every operation to f32 like the dense kernels, so a sparse
// tensor whose topology never changes gets bit-identical averages to dense ASGD.
import type { Tensor } from '../tensor.js';
import { checkOptions } from '../config/options.js';
import { ASGD, ASGD_OPTIONS, type ASGDOptions } from './asgd.js';
import type { HyperValue, ParamState, StateLayout } from './optimizer.js';

export interface SNTASGDOptions extends ASGDOptions {
  /** The parameters that are sparse weights' values (per-weight counters); others are dense. */
  sparse?: Iterable<Tensor>;
}

const f32 = Math.fround;

export class SNTASGD extends ASGD {
  /** Whether params[i] is sparse (kept by index, so it follows remapParam). */
  private readonly sparseFlags: boolean[];

  constructor(params: Iterable<Tensor>, opts: SNTASGDOptions) {
    checkOptions('SNTASGD', opts ?? null, [...ASGD_OPTIONS, 'sparse']);
    const { sparse, ...asgd } = opts;
    super(params, asgd, 'SNTASGD');
    this.sparseFlags = this.params.map(() => false);
    for (const t of sparse ?? []) {
      const i = this.params.indexOf(t);
      if (i < 0) throw new RangeError(`selfish-rnn: SNTASGD: a sparse tensor${t.name ? ` '${t.name}'` : ''} is not among the parameters`);
      this.sparseFlags[i] = true;
    }
  }

  /** Whether the parameter has per-weight step counters. */
  isSparse(param: Tensor): boolean {
    const i = this.params.indexOf(param);
    if (i < 0) throw new RangeError('selfish-rnn: SNTASGD.isSparse: not a parameter of this optimizer');
    return this.sparseFlags[i]!;
  }

  protected override hyperParams(): Record<string, HyperValue> {
    const sparse: number[] = [];
    this.sparseFlags.forEach((s, i) => s && sparse.push(i));
    return { ...super.hyperParams(), sparse };
  }

  protected override stateLayout(index: number): StateLayout {
    if (!this.sparseFlags[index]) return super.stateLayout(index);
    return { scalars: ['step', 'eta'], floats: ['ax'], counters: ['weight_step'] };
  }

  /** A dense parameter is averaged as ASGD does: no per-weight counters. */
  protected override denseStateLayout(index: number): StateLayout {
    return super.stateLayout(index);
  }

  protected override initialState(index: number, p: Tensor): ParamState {
    if (!this.sparseFlags[index]) return super.initialState(index, p);
    return this.newState(p, { step: 0, eta: this.lr }, ['ax'], ['weight_step']);
  }

  protected override average(index: number, p: Tensor, st: ParamState): void {
    if (!this.sparseFlags[index]) return super.average(index, p, st);
    const w = p.data, ax = st.floats.ax!.data, s = st.counters.weight_step!, t0 = this.t0;
    s.incrementAll();
    const { cohorts, counts } = s.view();
    // Counters take few distinct values (one per topology change: entry-counters.ts), so mu is
    // recomputed only when the counter differs from the previous entry's. Each operation is an f32
    // one: the f64 result of an f32 sum, difference or product rounds once, on f32() or on the store.
    let lastK = -1, mu = 1, muF32 = 1;
    for (let j = 0; j < w.length; j++) {
      const k = counts[cohorts[j]!]!;
      if (k !== lastK) { lastK = k; mu = 1 / Math.max(1, k - 1 - t0); muF32 = f32(mu); }
      const x = w[j]!;
      if (mu === 1) ax[j] = x;
      else { const a = ax[j]!; ax[j] = a + f32(f32(x - a) * muF32); }
    }
  }
}
