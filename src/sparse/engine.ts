// The topology engine: owns the sparse (CSR) weights of a model and changes their topology by
// pluggable strategies. Every method (Selfish-RNN, SET, SNFS, RigL, static, gradual magnitude
// pruning, GraNet, dense) is one row of src/sparse/methods.ts: init, death, growth,
// redistribution, schedule. The engine never branches on the method's name. The algorithm and the
// official code's bugs that are fixed here are described in src/sparse/README.md.
//
// Lifecycle:
//   const engine = createSparsity(model, { method: 'selfish', density: 0.33, totalSteps });
//   const opt = new SGD(model.parameters(), ...);
//   engine.attachOptimizer(opt);                      // again after switching to SNT-ASGD
//   every step:   ...backward, clip, opt.step(); engine.onStep({ step, epoch, denseGradient, stepGradients })
//   every epoch:  ...validate; engine.onStep({ step, epoch, epochEnd: true, skip, denseGradient })
// (`stepGradients`, the step's dense gradient captured during its backward, only when
// `engine.needsStepGradients`: SNFS.)
//
// The engine keeps no reference to the CSR matrices themselves: it reads each weight from its
// module slot when it needs it, so a checkpoint loader may replace the weights and then call
// `loadStateDict`.
//
// Parameters are stable handles: the Tensor a module lists for a weight stays the same object
// when the weight is made sparse and at every topology change (CSRMatrix.adoptValuesHandle swaps
// its storage), so a parameter list taken earlier, or an optimizer built before `createSparsity`,
// still holds the live weights. The attached optimizer's state is remapped at each change; an
// optimizer with state that is not attached refuses its next step instead of using stale state.
import type { Module, Weight } from '../nn/module.js';
import type { Optimizer } from '../optim/optimizer.js';
import { globalRandom, Random } from '../random.js';
import { Tensor } from '../tensor.js';
import { CSRMatrix } from '../csr.js';
import type { GateStats, SparseEngineLike, SparseMethod, SparsityOptions, StepEvent, StepGradients, UpdateReport } from './engine-api.js';
import { gateStatsAll } from './gates.js';
import { gateLayoutOf } from '../models/gate-layout.js';
import { initialDensities, initialPositions, type MatrixShape } from './init.js';
import { METHODS, SPARSE_METHODS, type MethodRow } from './methods.js';
import { topK } from './select.js';
import { cosineDeathRate, gmpDensity, type GmpSchedule } from './schedule.js';
import { DEATH } from './strategies/death.js';
import { GROWTH } from './strategies/growth.js';
import { REDISTRIBUTION } from './strategies/redistribution.js';
import type { DeathStrategy, GrowthStrategy, RedistributionItem, RedistributionStrategy, TensorTopology } from './strategies/types.js';
import { topologyOf, type Topology } from './topology-distance.js';

/** Engine options beyond the shared contract (all optional). */
export interface SparseEngineOptions extends SparsityOptions {
  /** |w| below which 'threshold' death removes a weight (default 0.001, sparse_learning's). */
  deathThreshold?: number;
  /** gmp: first pruning step t0 (default 0). */
  gmpStart?: number;
  /** gmp: step T_end at which the final density is reached (default ⌊0.75·totalSteps⌋). */
  gmpEnd?: number;
  /** SNFS: coefficient β of the dense momentum M ← β·M + g (default 0.9, SGD momentum as in SNFS). */
  momentumBeta?: number;
  /** Custom strategies, replacing the named ones (pluggable). */
  strategies?: {
    death?: DeathStrategy;
    growth?: GrowthStrategy;
    redistribution?: RedistributionStrategy;
    /** Death rate p at a step (default: the cosine schedule from `deathRate`). */
    deathRate?: (step: number) => number;
  };
}

/** The options after defaults (what `engine.options` returns). */
export interface ResolvedSparsityOptions extends SparsityOptions {
  sparseInit: 'uniform' | 'ER';
  death: NonNullable<SparsityOptions['death']>;
  growth: NonNullable<SparsityOptions['growth']>;
  redistribution: NonNullable<SparsityOptions['redistribution']>;
  /** The method's row with the overrides applied. */
  row: MethodRow;
  deathRate: number;
  updateEvery: number;
  exactCounts: boolean;
  seed: number;
  deathThreshold: number;
  gmpStart: number;
  gmpEnd: number;
  momentumBeta: number;
}

/** One sparse parameter: where it lives and its bookkeeping. */
interface Entry {
  name: string;
  owner: Module;
  slot: string;
  rows: number;
  cols: number;
  /** Its own budget: the count at initialisation (redistribution 'none' regrows back to it). */
  baseline: number;
  /** SNFS dense momentum (rows·cols), or null when no strategy needs it. */
  momentum: Float32Array | null;
}

/** A serialisable engine state (see SparseEngineLike.stateDict). */
export interface SparseEngineState {
  meta: unknown;
  arrays: Record<string, Float32Array | Int32Array | Uint8Array>;
}

interface EngineMeta {
  kind: 'SparseEngine';
  version: 1;
  method: SparseMethod;
  names: string[];
  rng: { s: number[]; spareNormal: number | null };
  updates: number;
  lastUpdateStep: number;
  momentumFeeds: number;
  feedsSinceUpdate: number;
}

const STATE_VERSION = 1;

/** Default selection of sparse parameters: every parameter whose name does not contain "bias". */
export const defaultInclude = (name: string): boolean => !name.includes('bias');

/** Converts the selected weights of `model` to CSR and returns the engine that owns them. */
export function createSparsity(model: Module, opts: SparseEngineOptions): SparseEngine {
  return new SparseEngine(model, opts);
}

export class SparseEngine implements SparseEngineLike {
  readonly options: Readonly<ResolvedSparsityOptions>;
  private readonly row: MethodRow;
  private readonly model: Module;
  private readonly entries: Entry[] = [];
  private readonly rng: Random;
  private readonly death: DeathStrategy;
  private readonly growth: GrowthStrategy | null;
  private readonly redistribution: RedistributionStrategy;
  private readonly deathRateAt: (step: number) => number;
  private optimizer: Optimizer | null = null;
  private updates = 0;
  private lastUpdateStep = -1;
  private momentumFeeds = 0;
  private feedsSinceUpdate = 0;

  constructor(model: Module, opts: SparseEngineOptions) {
    this.model = model;
    this.options = Object.freeze(resolveOptions(opts));
    const o = this.options;
    this.row = o.row;
    this.rng = new Random(o.seed);
    this.death = opts.strategies?.death ?? DEATH[o.death];
    this.growth = opts.strategies?.growth ?? (o.growth === 'none' ? null : GROWTH[o.growth]);
    this.redistribution = opts.strategies?.redistribution ?? REDISTRIBUTION[o.redistribution];
    this.deathRateAt = opts.strategies?.deathRate ?? ((step) => cosineDeathRate(o.deathRate, step, o.totalSteps));
    if (this.row.init === 'none') return;
    this.convert(opts.include ?? defaultInclude);
  }

  // ---- setup ----------------------------------------------------------------------------------

  /** Replaces each selected dense weight by a CSR matrix holding its initial nonzeros. */
  private convert(include: (name: string) => boolean): void {
    const o = this.options;
    const modules = new Map<string, Module>([['', this.model], ...this.model.namedModules()]);
    const selected = this.model.namedWeights().filter(([name]) => include(name));
    if (selected.length === 0) throw new RangeError(`selfish-rnn: createSparsity: no parameter matches the include rule (parameters: ${this.model.namedWeights().map(([n]) => n).join(', ')})`);
    for (const [name, w] of selected) {
      if (!(w instanceof CSRMatrix) && w.rank !== 2) {
        throw new RangeError(`selfish-rnn: createSparsity: '${name}' has shape [${w.shape.join(', ')}]; only 2-D weights can be sparse (exclude it with the include rule)`);
      }
    }
    const shapes: MatrixShape[] = selected.map(([, w]) => (w instanceof CSRMatrix ? { rows: w.rows, cols: w.cols } : { rows: w.shape[0]!, cols: w.shape[1]! }));
    // Gradual methods start dense; the others at the initial density of their sparse init.
    const densities = this.row.init === 'dense' ? shapes.map(() => 1) : initialDensities(shapes, o.density, o.sparseInit);
    selected.forEach(([name, w], i) => {
      const dot = name.lastIndexOf('.');
      const owner = modules.get(dot < 0 ? '' : name.slice(0, dot));
      if (owner === undefined) throw new Error(`selfish-rnn: createSparsity: cannot find the module owning '${name}'`);
      const slot = name.slice(dot + 1);
      const { rows, cols } = shapes[i]!;
      let csr: CSRMatrix;
      if (w instanceof CSRMatrix) {
        csr = w; // already sparse (e.g. restored from a checkpoint): adopted as it is
      } else {
        const keep = new Uint8Array(rows * cols);
        const positions = initialPositions(shapes[i]!, densities[i]!, o.exactCounts, this.rng);
        for (let k = 0; k < positions.length; k++) keep[positions[k]!] = 1;
        csr = CSRMatrix.fromDense(w, keep, { name, requiresGrad: w.requiresGrad });
        csr.adoptValuesHandle(w); // w (and its gradient) now hold the nonzeros
        owner.setWeight(slot, csr);
      }
      this.entries.push({ name, owner, slot, rows, cols, baseline: csr.nnz, momentum: null });
    });
    if (this.row.schedule !== 'never' && (this.growth?.needs === 'momentum' || this.redistribution.needs === 'momentum')) {
      for (const e of this.entries) e.momentum = new Float32Array(e.rows * e.cols);
    }
  }

  // ---- reading --------------------------------------------------------------------------------

  /** Names of the sparse parameters, in model order. */
  sparseNames(): string[] {
    return this.entries.map((e) => e.name);
  }

  /** The current CSR matrix of a sparse parameter. */
  matrix(name: string): CSRMatrix {
    const e = this.entries.find((x) => x.name === name);
    if (e === undefined) throw new RangeError(`selfish-rnn: '${name}' is not a sparse parameter of this engine (sparse: ${this.sparseNames().join(', ')})`);
    return this.csrOf(e);
  }

  /** Active weights per sparse parameter. */
  nnz(): Map<string, number> {
    return new Map(this.entries.map((e) => [e.name, this.csrOf(e).nnz]));
  }

  density(): number {
    if (this.row.init === 'none') return 1;
    let nnz = 0, numel = 0;
    for (const e of this.entries) { nnz += this.csrOf(e).nnz; numel += e.rows * e.cols; }
    return numel === 0 ? 0 : nnz / numel;
  }

  gateStats(): GateStats[] {
    return gateStatsAll(this.model.namedWeights(), gateLayoutOf(this.model));
  }

  /** A copy of the current topology (for topologyDistance). */
  topology(): Topology {
    const t = topologyOf(this.model);
    for (const name of [...t.keys()]) if (!this.entries.some((e) => e.name === name)) t.delete(name);
    return t;
  }

  /** The death rate the schedule gives at `step`. */
  scheduledDeathRate(step: number): number {
    return this.deathRateAt(step);
  }

  // ---- hooks ----------------------------------------------------------------------------------

  attachOptimizer(opt: Optimizer): void {
    this.optimizer = opt;
  }

  /** SNFS: its dense momentum wants every step's dense gradient. */
  get needsStepGradients(): boolean {
    return this.entries[0]?.momentum != null;
  }

  onStep(ev: StepEvent): UpdateReport | null {
    if (this.row.schedule === 'never') return null;
    // SNFS: the dense momentum takes the step's own gradient, at every step that offers it.
    if (!ev.epochEnd && this.needsStepGradients && ev.stepGradients) this.feedStepGradients(ev.stepGradients);
    if (!this.isDue(ev)) return null;
    return this.update(ev.step, ev.epoch, ev.denseGradient);
  }

  /** The schedule's timing: every `updateEvery` steps, or at every epoch end except a skipped one. */
  private isDue(ev: StepEvent): boolean {
    const every = this.options.updateEvery;
    if (every > 0) return !ev.epochEnd && ev.step > 0 && ev.step % every === 0;
    return ev.epochEnd === true && !ev.skip;
  }

  /**
   * One topology update at `step` (the hook calls this; exposed for tests and tools). Returns
   * null when the method never updates, or when nothing changed (gradual pruning past its end).
   */
  update(step: number, epoch: number, denseGradient?: () => void): UpdateReport | null {
    if (this.row.schedule === 'never') return null;
    this.checkOptimizer();
    let report: UpdateReport | null = null;
    if (this.row.schedule === 'gradual') report = this.gradualPrune(step, epoch);
    if (this.growth !== null) {
      const regrow = this.pruneAndRegrow(step, epoch, denseGradient);
      if (report !== null) {
        // Both phases in one report: gradual pruning then prune-and-regrow (GraNet).
        const byName = new Map(report.tensors.map((t) => [t.name, t]));
        regrow.tensors = regrow.tensors.map((t) => ({ ...t, removed: t.removed + (byName.get(t.name)?.removed ?? 0) }));
      }
      report = regrow;
    }
    if (report !== null) {
      this.updates++;
      this.lastUpdateStep = step;
    }
    return report;
  }

  // ---- the update -----------------------------------------------------------------------------

  /** Prune k = ⌈p_t·nnz⌉ per tensor, redistribute, regrow (the row's death, redistribution and growth). */
  private pruneAndRegrow(step: number, epoch: number, denseGradient?: () => void): UpdateReport {
    const o = this.options;
    const growth = this.growth!;
    const p = this.deathRateAt(step);
    if (!(p >= 0 && p <= 1)) throw new RangeError(`selfish-rnn: the death rate at step ${step} is ${p}; it must be in [0, 1]`);
    const needsGradient = growth.needs === 'gradient';
    const needsMomentum = this.entries[0]?.momentum != null;
    let gradients: Float32Array[] | null = null;
    // Momentum fed by no step since the last update (a caller that gives no stepGradients): one
    // dense gradient now, so the update still has a signal.
    if (needsGradient || (needsMomentum && this.feedsSinceUpdate === 0)) {
      if (denseGradient === undefined) {
        throw new Error(
          needsGradient
            ? `selfish-rnn: ${o.method} (gradient growth) needs the trainer's denseGradient callback at the update (StepEvent.denseGradient)`
            : `selfish-rnn: ${o.method} (dense momentum) got no stepGradients since the last update; pass them at every step, or the denseGradient callback at the update (StepEvent.denseGradient)`,
        );
      }
      gradients = this.denseGradients(denseGradient);
      if (needsMomentum) this.feedMomentum(gradients);
    }

    // 1. Prune: per tensor, k = ⌈p·nnz⌉ by the death criterion (pre-pruning scores recorded).
    const tops = this.entries.map((e) => tensorTopology(e.name, this.csrOf(e)));
    const ctx = { rng: this.rng, threshold: o.deathThreshold };
    const removed = tops.map((t) => this.death(t, Math.min(Math.ceil(p * t.values.length), t.values.length), ctx));
    const items: RedistributionItem[] = this.entries.map((e, i) => ({
      name: e.name,
      numel: e.rows * e.cols,
      nnzBefore: tops[i]!.values.length,
      nnzAfterPrune: tops[i]!.values.length - removed[i]!.length,
      baseline: e.baseline,
      score: this.redistribution.score(tops[i]!, e.momentum),
    }));

    // 2. Redistribute: how many each tensor regrows; the total is the global budget minus survivors.
    const budget = this.entries.reduce((s, e) => s + e.baseline, 0);
    const survivors = items.reduce((s, t) => s + t.nnzAfterPrune, 0);
    const regrow = this.redistribution.allocate(items, Math.max(0, budget - survivors));

    // 3. Grow and 4. swap in the new matrices.
    const tensors: UpdateReport['tensors'] = [];
    this.entries.forEach((e, i) => {
      const t = tops[i]!, gone = removed[i]!;
      const occupied = occupancy(t, gone);
      const score = growth.needs === 'gradient' ? gradients![i]! : growth.needs === 'momentum' ? e.momentum : null;
      const grown = growth.grow(t, regrow[i]!, { rng: this.rng, exact: o.exactCounts, occupied, emptyCount: occupied.length - (t.values.length - gone.length), score });
      const revived = this.applyChange(e, t, gone, grown);
      tensors.push({ name: e.name, removed: gone.length, grown: grown.length, revived, nnz: this.csrOf(e).nnz });
    });
    this.feedsSinceUpdate = 0;
    return { step, epoch, deathRate: p, tensors, density: this.density(), gates: this.gateStats() };
  }

  /**
   * The gradual schedule: prune to the density d_t, every tensor to round(d_t·numel) by the death
   * criterion ('layer' scope), or all of them together to round(d_t·Σ numel) under one magnitude
   * threshold ('global': GraNet). Each tensor's budget becomes its new count, so a regrowth phase
   * after it (GraNet) refills to that.
   */
  private gradualPrune(step: number, epoch: number): UpdateReport | null {
    const o = this.options;
    const schedule: GmpSchedule = { finalDensity: o.density, start: o.gmpStart, end: o.gmpEnd };
    const d = gmpDensity(step, schedule);
    const ctx = { rng: this.rng, threshold: o.deathThreshold };
    const global = this.row.gradualScope === 'global' ? this.globalMagnitudePrune(d) : null;
    const tensors: UpdateReport['tensors'] = [];
    let before = 0, removedTotal = 0;
    this.entries.forEach((e, i) => {
      const csr = this.csrOf(e);
      before += csr.nnz;
      // Per layer: the k that brings this tensor to round(d·numel), by the row's death criterion.
      const k = global ? global[i]!.length : Math.max(0, csr.nnz - Math.min(e.rows * e.cols, Math.round(d * e.rows * e.cols)));
      let gone: Int32Array = new Int32Array(0);
      if (k > 0) {
        const t = tensorTopology(e.name, csr);
        gone = global ? global[i]! : this.death(t, k, ctx);
        this.applyChange(e, t, gone, new Int32Array(0));
      }
      removedTotal += gone.length;
      e.baseline = this.csrOf(e).nnz;
      tensors.push({ name: e.name, removed: gone.length, grown: 0, revived: 0, nnz: e.baseline });
    });
    if (removedTotal === 0) return null;
    return { step, epoch, deathRate: before === 0 ? 0 : removedTotal / before, tensors, density: this.density(), gates: this.gateStats() };
  }

  /**
   * The slots (per tensor, ascending) of the k = Σ nnz − round(d·Σ numel) smallest |w| over all
   * tensors together: one threshold, ties at it broken uniformly at random as magnitude death does.
   */
  private globalMagnitudePrune(d: number): Int32Array[] {
    const values = this.entries.map((e) => this.csrOf(e).values.toArray());
    let nnz = 0, numel = 0;
    this.entries.forEach((e, i) => { nnz += values[i]!.length; numel += e.rows * e.cols; });
    const k = Math.max(0, nnz - Math.min(numel, Math.round(d * numel)));
    if (k === 0) return values.map(() => new Int32Array(0));
    const negMag = new Float32Array(nnz); // the k smallest |w| are the k largest −|w|
    const offsets: number[] = [];
    let o = 0;
    for (const v of values) {
      offsets.push(o);
      for (let s = 0; s < v.length; s++) negMag[o + s] = -Math.abs(v[s]!);
      o += v.length;
    }
    const chosen = topK(negMag, k, this.rng); // ascending, so each tensor's slots come out ascending
    let j = 0;
    return values.map((v, i) => {
      const lo = offsets[i]!, hi = lo + v.length, first = j;
      while (j < chosen.length && chosen[j]! < hi) j++;
      return Int32Array.from(chosen.subarray(first, j), (c) => c - lo);
    });
  }

  /**
   * Rebuilds one CSR matrix without the slots `gone` and with the flat positions `grown`, swaps
   * it into the module and moves the optimizer state. A grown position that was pruned in this
   * same update is not touched at all: it keeps its slot's value and optimizer state. Returns
   * how many such revived-in-place weights there were.
   */
  private applyChange(e: Entry, t: TensorTopology, gone: Int32Array, grown: Int32Array): number {
    // Slots are in row-major order, so ascending slots have ascending positions: one merge of the
    // pruned positions with the grown ones finds the revived weights.
    const cols = t.cols, rowOf = t.rowOf, colIdx = t.colIdx;
    const pruned = ascending(gone), added = ascending(grown);
    const revived = new Uint8Array(pruned.length);
    const addRow = new Int32Array(added.length), addCol = new Int32Array(added.length);
    let nAdd = 0, nRevived = 0;
    for (let j = 0, i = 0; j < added.length; j++) {
      const pos = added[j]!;
      while (i < pruned.length && rowOf[pruned[i]!]! * cols + colIdx[pruned[i]!]! < pos) i++;
      if (i < pruned.length && rowOf[pruned[i]!]! * cols + colIdx[pruned[i]!]! === pos) { revived[i++] = 1; nRevived++; }
      else { addRow[nAdd] = Math.floor(pos / cols); addCol[nAdd++] = pos - Math.floor(pos / cols) * cols; }
    }
    const removeSlots = new Int32Array(pruned.length - nRevived);
    for (let i = 0, r = 0; i < pruned.length; i++) if (!revived[i]) removeSlots[r++] = pruned[i]!;
    if (removeSlots.length === 0 && nAdd === 0) return nRevived; // topology unchanged
    const old = this.csrOf(e);
    const values = old.values;
    const { matrix, oldSlotOf } = old.rebuild(removeSlots, { row: addRow.subarray(0, nAdd), col: addCol.subarray(0, nAdd) });
    matrix.adoptValuesHandle(values); // the parameter stays the same Tensor, with the new nonzeros
    e.owner.setWeight(e.slot, matrix);
    this.optimizer?.remapParam(values, values, oldSlotOf);
    old.dispose();
    return nRevived;
  }

  // ---- dense signals (RigL gradient, SNFS momentum) ---------------------------------------------

  /**
   * Runs `fn` (one forward/backward on a training batch, supplied by the trainer) with every
   * sparse weight temporarily replaced by its dense equivalent (zeros at missing positions), and
   * returns the dense gradients. Afterwards the CSR weights are back in place and every gradient
   * of the model is zeroed, so the pass leaves no trace in the next training step.
   */
  denseGradients(fn: () => void): Float32Array[] {
    const swapped: { e: Entry; csr: CSRMatrix; dense: Tensor }[] = [];
    const out: Float32Array[] = [];
    try {
      for (const e of this.entries) {
        const csr = this.csrOf(e);
        const dense = new Tensor([e.rows, e.cols], { requiresGrad: true, persistent: true });
        dense.name = e.name;
        const d = new Float32Array(e.rows * e.cols);
        const rp = csr.rowPtr.data, ci = csr.colIdx.data, v = csr.values.data; // views after the allocation
        for (let i = 0; i < e.rows; i++) for (let s = rp[i]!; s < rp[i + 1]!; s++) d[i * e.cols + ci[s]!] = v[s]!;
        dense.data.set(d);
        e.owner.setWeight(e.slot, dense);
        swapped.push({ e, csr, dense });
      }
      fn();
      for (const { dense } of swapped) out.push(dense.grad === null ? new Float32Array(dense.size) : dense.grad.toArray());
    } finally {
      for (const { e, csr, dense } of swapped) {
        e.owner.setWeight(e.slot, csr);
        dense.grad?.dispose();
        dense.grad = null;
        dense.dispose();
      }
      this.model.zeroGrad();
    }
    return out;
  }

  /**
   * SNFS dense momentum from a step's own gradient: g is the stored weights' `.grad` (as the
   * update used it) and `scale`·(the captured absent part) elsewhere; then M ← β·M + g.
   */
  private feedStepGradients(sg: StepGradients): void {
    const beta = this.options.momentumBeta, scale = sg.scale;
    for (const e of this.entries) {
      const m = e.momentum!, csr = this.csrOf(e), absent = sg.absent.get(csr);
      if (absent !== undefined && absent.length !== m.length) throw new RangeError(`selfish-rnn: the step gradient of '${e.name}' has ${absent.length} entries for a ${e.rows} × ${e.cols} weight`);
      // Absent positions (and, first, every position): M ← β·M + scale·g_absent (0 at stored positions).
      if (absent !== undefined) for (let k = 0; k < m.length; k++) m[k] = beta * m[k]! + scale * absent[k]!;
      else for (let k = 0; k < m.length; k++) m[k] = beta * m[k]!;
      // Stored positions: + their gradient.
      const grad = csr.values.grad;
      if (grad === null) continue;
      const v = grad.data, rp = csr.rowPtr.data, ci = csr.colIdx.data;
      for (let r = 0; r < e.rows; r++) {
        for (let s = rp[r]!; s < rp[r + 1]!; s++) { const k = r * e.cols + ci[s]!; m[k] = m[k]! + v[s]!; }
      }
    }
    this.momentumFeeds++;
    this.feedsSinceUpdate++;
  }

  /** SNFS dense momentum M ← β·M + g (PyTorch SGD momentum without dampening). */
  private feedMomentum(gradients: Float32Array[]): void {
    const beta = this.options.momentumBeta;
    this.entries.forEach((e, i) => {
      const m = e.momentum!, g = gradients[i]!;
      for (let k = 0; k < m.length; k++) m[k] = beta * m[k]! + g[k]!;
    });
    this.momentumFeeds++;
    this.feedsSinceUpdate++;
  }

  // ---- state ----------------------------------------------------------------------------------

  stateDict(): SparseEngineState {
    const meta: EngineMeta = {
      kind: 'SparseEngine',
      version: STATE_VERSION,
      method: this.options.method,
      names: this.sparseNames(),
      rng: this.rng.getState(),
      updates: this.updates,
      lastUpdateStep: this.lastUpdateStep,
      momentumFeeds: this.momentumFeeds,
      feedsSinceUpdate: this.feedsSinceUpdate,
    };
    const arrays: SparseEngineState['arrays'] = { baseline: Int32Array.from(this.entries, (e) => e.baseline) };
    for (const e of this.entries) if (e.momentum) arrays[`momentum.${e.name}`] = e.momentum.slice();
    return { meta, arrays };
  }

  /** Restores a state from `stateDict()` of an engine with the same method and sparse parameters. Checks everything first. */
  loadStateDict(state: SparseEngineState): void {
    const where = 'selfish-rnn: SparseEngine.loadStateDict:';
    const meta = state?.meta as EngineMeta | undefined;
    if (meta === undefined || meta === null || meta.kind !== 'SparseEngine') throw new TypeError(`${where} not a sparse engine state`);
    if (meta.version !== STATE_VERSION) throw new RangeError(`${where} unsupported version ${meta.version} (this build reads ${STATE_VERSION})`);
    if (meta.method !== this.options.method) throw new RangeError(`${where} the state is of method '${meta.method}', this engine runs '${this.options.method}'`);
    const names = this.sparseNames();
    if (JSON.stringify(meta.names) !== JSON.stringify(names)) {
      throw new RangeError(`${where} the state covers [${meta.names?.join(', ')}], this engine [${names.join(', ')}]`);
    }
    const arrays = state.arrays ?? {};
    const baseline = arrays.baseline;
    if (!(baseline instanceof Int32Array) || baseline.length !== names.length) throw new RangeError(`${where} 'baseline' must be an Int32Array of ${names.length} entries`);
    const expected = new Set(['baseline', ...this.entries.filter((e) => e.momentum).map((e) => `momentum.${e.name}`)]);
    for (const e of this.entries) {
      if (!e.momentum) continue;
      const m = arrays[`momentum.${e.name}`];
      if (!(m instanceof Float32Array) || m.length !== e.rows * e.cols) throw new RangeError(`${where} 'momentum.${e.name}' must be a Float32Array of ${e.rows * e.cols} entries`);
    }
    const extra = Object.keys(arrays).filter((k) => !expected.has(k));
    if (extra.length > 0) throw new RangeError(`${where} unexpected arrays ${extra.join(', ')}`);
    this.rng.setState(meta.rng);
    this.updates = meta.updates;
    this.lastUpdateStep = meta.lastUpdateStep;
    this.momentumFeeds = meta.momentumFeeds;
    this.feedsSinceUpdate = meta.feedsSinceUpdate;
    this.entries.forEach((e, i) => {
      e.baseline = baseline[i]!;
      if (e.momentum) e.momentum.set(arrays[`momentum.${e.name}`] as Float32Array);
    });
  }

  /** Number of topology updates done so far. */
  get updateCount(): number {
    return this.updates;
  }

  // ---- helpers --------------------------------------------------------------------------------

  private csrOf(e: Entry): CSRMatrix {
    const w: Weight = e.owner.getWeight(e.slot);
    if (!(w instanceof CSRMatrix)) throw new Error(`selfish-rnn: the sparse parameter '${e.name}' was replaced by a dense tensor outside the engine`);
    return w;
  }

  /** Refuses an update that could not move the optimizer state (before changing anything). */
  private checkOptimizer(): void {
    const opt = this.optimizer;
    if (opt === null) return;
    const missing = this.entries.filter((e) => !opt.params.includes(this.csrOf(e).values)).map((e) => e.name);
    if (missing.length > 0) {
      throw new Error(
        `selfish-rnn: the attached ${opt.kind} optimizer does not hold the values of [${missing.join(', ')}]; create it from this model's parameters (model.parameters())`,
      );
    }
  }
}

/** The array itself when already ascending (the strategies' contract), else a sorted copy. */
function ascending(a: Int32Array): Int32Array {
  for (let i = 1; i < a.length; i++) if (a[i]! < a[i - 1]!) return a.slice().sort();
  return a;
}

/** Per flat position: 1 where a weight survives the removal of the slots `gone`, else 0. */
function occupancy(t: TensorTopology, gone: Int32Array): Uint8Array {
  const occupied = new Uint8Array(t.rows * t.cols);
  const { rowOf, colIdx, cols } = t;
  for (let s = 0; s < rowOf.length; s++) occupied[rowOf[s]! * cols + colIdx[s]!] = 1;
  for (let k = 0; k < gone.length; k++) occupied[rowOf[gone[k]!]! * cols + colIdx[gone[k]!]!] = 0;
  return occupied;
}

/** Copies of one CSR matrix's arrays, as the strategies see them. */
export function tensorTopology(name: string, csr: CSRMatrix): TensorTopology {
  return { name, rows: csr.rows, cols: csr.cols, rowPtr: csr.rowPtr.data.slice(), colIdx: csr.colIdx.toInt32Array(), values: csr.values.toArray(), rowOf: csr.rowOfSlots() };
}

function resolveOptions(opts: SparseEngineOptions): ResolvedSparsityOptions {
  const what = 'selfish-rnn: createSparsity:';
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${what} expected an options object, got ${String(opts)}`);
  if (!SPARSE_METHODS.includes(opts.method)) throw new RangeError(`${what} unknown method '${String(opts.method)}' (methods: ${SPARSE_METHODS.join(', ')})`);
  const m: MethodRow = METHODS[opts.method];
  const density = m.init === 'none' ? (opts.density ?? 1) : opts.density;
  if (!(density > 0 && density <= 1)) throw new RangeError(`${what} density must be in (0, 1], got ${density}`);
  if (!(Number.isInteger(opts.totalSteps) && opts.totalSteps > 0)) throw new RangeError(`${what} totalSteps must be a positive integer, got ${opts.totalSteps}`);
  const deathRate = opts.deathRate ?? 0.5;
  if (!(deathRate >= 0 && deathRate <= 1)) throw new RangeError(`${what} deathRate must be in [0, 1], got ${deathRate}`);
  const updateEvery = opts.updateEvery ?? 0;
  if (!(Number.isInteger(updateEvery) && updateEvery >= 0)) throw new RangeError(`${what} updateEvery must be a non-negative integer, got ${updateEvery}`);
  const pick = <K extends 'death' | 'growth' | 'redistribution'>(key: K, allowed: readonly string[]): ResolvedSparsityOptions[K] => {
    // A method without growth (static, gmp, dense) ignores a growth override: its schedule decides.
    const v = opts[key] ?? m[key];
    if (!allowed.includes(v as string)) throw new RangeError(`${what} unknown ${key} '${String(v)}' (expected ${allowed.join(', ')})`);
    return v as ResolvedSparsityOptions[K];
  };
  const sparseInit = opts.sparseInit ?? 'uniform';
  if (sparseInit !== 'uniform' && sparseInit !== 'ER') throw new RangeError(`${what} unknown sparseInit '${String(sparseInit)}' (expected uniform or ER)`);
  const gmpStart = opts.gmpStart ?? 0;
  const gmpEnd = opts.gmpEnd ?? Math.max(1, Math.floor(0.75 * opts.totalSteps));
  // Only gmp uses its schedule: other methods accept any totalSteps (e.g. 1 for a static mask).
  if (m.schedule === 'gradual' && !(gmpStart >= 0 && gmpEnd > gmpStart)) throw new RangeError(`${what} gmp needs 0 ≤ gmpStart < gmpEnd, got ${gmpStart} and ${gmpEnd}`);
  const momentumBeta = opts.momentumBeta ?? 0.9;
  if (!(momentumBeta >= 0 && momentumBeta < 1)) throw new RangeError(`${what} momentumBeta must be in [0, 1), got ${momentumBeta}`);
  const deathThreshold = opts.deathThreshold ?? 0.001;
  if (!(deathThreshold >= 0)) throw new RangeError(`${what} deathThreshold must be ≥ 0, got ${deathThreshold}`);
  const death = pick('death', Object.keys(DEATH));
  const growth = m.growth === 'none' ? 'none' : pick('growth', Object.keys(GROWTH));
  const redistribution = pick('redistribution', Object.keys(REDISTRIBUTION));
  return {
    ...opts,
    density,
    sparseInit,
    death,
    growth,
    redistribution,
    row: { ...m, death, growth, redistribution },
    deathRate,
    updateEvery,
    exactCounts: opts.exactCounts ?? true,
    // No seed given: one draw from the global generator (so manualSeed fixes it); dense draws nothing.
    seed: opts.seed ?? (m.init === 'none' ? 0 : globalRandom.nextUint32()),
    deathThreshold,
    gmpStart,
    gmpEnd,
    momentumBeta,
  };
}
