// A small stand-in for the sparse-training engine (src/sparse/engine.ts, written separately),
// implementing the same contract (src/sparse/engine-api.ts) so the trainer, the CLI and
// checkpoints work before the engine lands. sparsity-factory.ts uses it only when
// src/sparse/engine.ts is absent, and says so in the run's output.
//
// What it does, deliberately simple:
//   init    every maskable weight (name without "bias") becomes a CSR matrix keeping each entry
//           with probability `density` ('uniform'), or with the Erdős–Rényi probability
//           ε·(rows+cols)/(rows·cols) ('ER', capped at 1); values are the dense init's, unscaled.
//   update  (dynamic methods, at the end of each epoch or every `updateEvery` steps) per tensor:
//           remove the k = ceil(p_t·nnz) smallest-magnitude weights (ties: lower slot first), then
//           regrow exactly baseline − survivors weights at uniformly random empty positions other
//           than the ones just removed, at value 0. p_t is the cosine schedule of the paper.
//           The optimizer's state follows through remapParam. 'static' never updates.
// Not implemented here: the methods set, snfs, rigl and gmp, gradient/momentum growth, SET's
// signed pruning, threshold pruning and redistribution. Asking for them is an error that says the
// real engine is needed, rather than a silent substitute.
import type { Module } from '../nn/module.js';
import { isSparse } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { Random } from '../random.js';
import { CSRMatrix } from '../sparse/csr.js';
import type { GateStats, SparseEngineLike, SparsityOptions, UpdateReport } from '../sparse/engine-api.js';
import type { Tensor } from '../tensor.js';
import { isMaskable, modelGateStats, replaceWeight } from './weights.js';

const ETA_MIN = 0.005;

interface InterimState {
  engine: 'interim';
  version: 1;
  rng: ReturnType<Random['getState']>;
  baseline: Record<string, number>;
  updates: number;
}

export class InterimSparsity implements SparseEngineLike {
  readonly options: Readonly<SparsityOptions>;
  private readonly rng: Random;
  private readonly names: string[] = [];
  private baseline: Record<string, number> = {};
  private optimizer: Optimizer | null = null;
  private updates = 0;

  constructor(private readonly model: Module, options: SparsityOptions) {
    if (!(options.density > 0 && options.density <= 1)) throw new RangeError(`selfish-rnn: density must be in (0, 1], got ${options.density}`);
    const unsupported = [
      !['selfish', 'static', 'dense'].includes(options.method) && `method '${options.method}'`,
      options.death !== undefined && options.death !== 'magnitude' && `death '${options.death}'`,
      options.growth !== undefined && options.growth !== 'random' && `growth '${options.growth}'`,
      options.redistribution !== undefined && options.redistribution !== 'none' && `redistribution '${options.redistribution}'`,
    ].filter(Boolean);
    if (unsupported.length > 0) {
      throw new RangeError(`selfish-rnn: ${unsupported.join(', ')} needs the sparse-training engine (src/sparse/engine.ts), which this build does not include; the interim engine offers methods selfish, static and dense with magnitude death, random growth and no redistribution`);
    }
    this.options = Object.freeze({ ...options });
    this.rng = new Random(options.seed ?? 0);
    if (options.method === 'dense') return;
    const include = options.include ?? isMaskable;
    const targets = model.namedWeights().filter(([name, w]) => include(name) && !isSparse(w) && w.rank === 2) as [string, Tensor][];
    const prob = keepProbabilities(targets.map(([, w]) => w.shape as [number, number]), options.density, options.sparseInit ?? 'uniform');
    targets.forEach(([name, w], k) => {
      const p = prob[k]!;
      const keep = new Uint8Array(w.size);
      for (let j = 0; j < keep.length; j++) keep[j] = this.rng.uniform() < p ? 1 : 0;
      const csr = CSRMatrix.fromDense(w, keep, { name });
      replaceWeight(model, name, csr);
      this.names.push(name);
      this.baseline[name] = csr.nnz;
    });
  }

  density(): number {
    let nnz = 0, size = 0;
    for (const m of this.matrices()) { nnz += m.nnz; size += m.rows * m.cols; }
    return size === 0 ? 1 : nnz / size;
  }

  gateStats(): GateStats[] {
    return modelGateStats(this.model);
  }

  attachOptimizer(opt: Optimizer): void {
    this.optimizer = opt;
  }

  afterStep(step: number, epoch: number): UpdateReport | null {
    const k = this.options.updateEvery ?? 0;
    if (k > 0 && this.dynamic && step % k === 0) return this.update(step, epoch);
    return null;
  }

  endOfEpoch(epoch: number, step: number, opts: { skip?: boolean; denseGradient?: () => void } = {}): UpdateReport | null {
    if (opts.skip || !this.dynamic || (this.options.updateEvery ?? 0) > 0) return null;
    return this.update(step, epoch);
  }

  /** The prune rate at a step: 0.005 + ½(p0 − 0.005)(1 + cos(π·t/T)). */
  deathRateAt(step: number): number {
    const p0 = this.options.deathRate ?? 0.5;
    const T = this.options.totalSteps;
    if (!(T > 0)) return p0;
    return ETA_MIN + 0.5 * (p0 - ETA_MIN) * (1 + Math.cos((Math.PI * Math.min(step, T)) / T));
  }

  stateDict(): { meta: unknown; arrays: Record<string, Float32Array | Int32Array | Uint8Array> } {
    const meta: InterimState = { engine: 'interim', version: 1, rng: this.rng.getState(), baseline: { ...this.baseline }, updates: this.updates };
    return { meta, arrays: {} };
  }

  loadStateDict(state: { meta: unknown; arrays: Record<string, Float32Array | Int32Array | Uint8Array> }): void {
    const m = state?.meta as Partial<InterimState> | undefined;
    if (m?.engine !== 'interim' || m.version !== 1) throw new TypeError(`selfish-rnn: this engine state was not written by the interim sparse engine (got ${JSON.stringify(m?.engine)})`);
    const names = Object.keys(m.baseline ?? {}).sort().join(', ');
    if (names !== [...this.names].sort().join(', ')) throw new RangeError(`selfish-rnn: engine state covers [${names}] but the model's sparse weights are [${this.names.join(', ')}]`);
    this.rng.setState(m.rng!);
    this.baseline = { ...m.baseline! };
    this.updates = m.updates ?? 0;
  }

  private get dynamic(): boolean {
    return this.options.method !== 'static' && this.options.method !== 'dense';
  }

  private matrices(): CSRMatrix[] {
    const own = new Map(this.model.namedWeights());
    return this.names.map((n) => {
      const w = own.get(n);
      if (!(w instanceof CSRMatrix)) throw new Error(`selfish-rnn: interim engine: weight '${n}' is no longer sparse`);
      return w;
    });
  }

  private update(step: number, epoch: number): UpdateReport {
    const p = this.deathRateAt(step);
    const tensors: UpdateReport['tensors'] = [];
    const matrices = this.matrices();
    this.names.forEach((name, t) => {
      const w = matrices[t]!;
      const nnz = w.nnz, total = w.rows * w.cols;
      const k = Math.min(nnz, Math.ceil(p * nnz));
      const v = w.values.toArray();
      const order = new Int32Array(nnz);
      for (let s = 0; s < nnz; s++) order[s] = s;
      order.sort((a, b) => Math.abs(v[a]!) - Math.abs(v[b]!) || a - b);
      const removed = order.subarray(0, k);
      // Occupied positions: the survivors, and (when there is room elsewhere) the removed ones.
      const taken = new Uint8Array(total);
      const row = w.rowOfSlots(), col = w.colIdx.data.slice();
      const survivors = nnz - k;
      const want = Math.max(0, this.baseline[name]! - survivors);
      const excludeRemoved = want <= total - nnz;
      const isRemoved = new Uint8Array(nnz);
      for (const s of removed) isRemoved[s] = 1;
      for (let s = 0; s < nnz; s++) if (!isRemoved[s] || excludeRemoved) taken[row[s]! * w.cols + col[s]!] = 1;
      const grow = Math.min(want, total - survivors);
      const addRow = new Int32Array(grow), addCol = new Int32Array(grow);
      for (let g = 0; g < grow;) {
        const pos = this.rng.int(total);
        if (taken[pos]) continue;
        taken[pos] = 1;
        addRow[g] = Math.floor(pos / w.cols);
        addCol[g++] = pos % w.cols;
      }
      const { matrix, oldSlotOf } = w.rebuild(removed, { row: addRow, col: addCol });
      this.optimizer?.remapParam(w.values, matrix.values, oldSlotOf);
      replaceWeight(this.model, name, matrix);
      tensors.push({ name, removed: k, grown: grow, nnz: matrix.nnz });
    });
    this.updates++;
    return { step, epoch, deathRate: p, tensors, density: this.density(), gates: this.gateStats() };
  }
}

/** Keep probability of each [rows, cols] tensor for a global density. */
function keepProbabilities(shapes: [number, number][], density: number, init: 'uniform' | 'ER'): number[] {
  if (init === 'uniform') return shapes.map(() => density);
  // Erdős–Rényi: p_l = ε·(rows + cols)/(rows·cols) with Σ p_l·n_l = d·Σ n_l, i.e. ε = d·Σn / Σ(rows+cols).
  const total = shapes.reduce((s, [r, c]) => s + r * c, 0);
  const perimeter = shapes.reduce((s, [r, c]) => s + r + c, 0);
  const eps = (density * total) / perimeter;
  return shapes.map(([r, c]) => Math.min(1, (eps * (r + c)) / (r * c)));
}
