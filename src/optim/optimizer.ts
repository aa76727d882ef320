// The common base of the optimizers: the parameter list, a settable learning rate, and
// per-parameter state kept in a form that (a) follows a sparse weight across topology changes and
// (b) serialises exactly (plain typed arrays + JSON, as the checkpoint format stores them).
//
// Per-parameter state (null until the parameter's first step) has three kinds of entries:
//   scalars  JSON numbers: step counters, eta, mu
//   floats   one f32 per parameter entry (moments, running averages): persistent Tensors
//   counters one step counter per parameter entry (per-weight step counters): EntryCounters,
//            2 bytes per entry (entry-counters.ts); a state dict stores the counts as Int32Arrays
// A sparse (CSR) weight's trainable tensor is its `values` ([nnz], one entry per slot). When its
// topology changes, remapParam moves every per-entry buffer along the slot map: surviving entries
// keep their state, new entries (old slot −1) start from zero, removed entries are dropped.
// Scalars are per tensor and are kept as they are.
//
// A parameter is a stable handle: the sparse engine may replace its storage (a topology update
// changes its size) while the optimizer keeps the same Tensor, and calls
// `remapParam(p, p, oldSlotOf)` to move the state. A replacement the optimizer was not told about
// is accepted while the parameter has no state yet (an optimizer built before `createSparsity`),
// and refused once it has (the state would be misaligned). A disposed parameter is refused.
import { Tensor, shapeString } from '../tensor.js';
import { EntryCounters } from './entry-counters.js';

export interface ParamState {
  scalars: Record<string, number>;
  floats: Record<string, Tensor>;
  counters: Record<string, EntryCounters>;
}

/** Names of the state entries an optimizer keeps for one parameter (checked when loading). */
export interface StateLayout {
  scalars: readonly string[];
  floats: readonly string[];
  counters: readonly string[];
}

/** A hyper-parameter as stored in a state dict (JSON). */
export type HyperValue = number | boolean | number[];

export interface OptimizerStateMeta {
  /** 'SGD', 'Adam', 'ASGD' or 'SNTASGD'. */
  kind: string;
  version: 1;
  lr: number;
  /** Every other hyper-parameter; loading checks they equal the receiving optimizer's. */
  hyper: Record<string, HyperValue>;
  /** Per parameter (order of `params`): its size and scalar state, or null before its first step. */
  params: ({ size: number; scalars: Record<string, number> } | null)[];
}

/**
 * An optimizer's complete state: `meta` is JSON, `arrays` are the per-entry buffers named
 * `${paramIndex}.${bufferName}` (e.g. '3.exp_avg'), Float32Array (dtype f32) or Int32Array (i32).
 */
export interface OptimizerStateDict {
  meta: OptimizerStateMeta;
  arrays: Record<string, Float32Array | Int32Array>;
}

const STATE_DICT_VERSION = 1;

export abstract class Optimizer {
  /** The parameters, in a fixed order (state dicts refer to them by index). */
  readonly params: Tensor[];
  /** 'SGD', 'Adam', 'ASGD', 'SNTASGD': names the optimizer in errors and state dicts. */
  readonly kind: string;
  /** State of params[i], or null before its first step. */
  protected readonly state: (ParamState | null)[];
  private lrValue = 0;
  private scratchBuffer: Tensor | null = null;
  /** Per parameter: the storage version and size its state is aligned to. */
  private readonly bound: { version: number; size: number }[];

  protected constructor(kind: string, params: Iterable<Tensor>, lr: number) {
    this.kind = kind;
    if (params === null || typeof params !== 'object' || typeof (params as Iterable<Tensor>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`selfish-rnn: ${kind} expects an iterable of parameter Tensors (e.g. model.parameters()), got ${params === null ? 'null' : typeof params}`);
    }
    this.params = [...params];
    this.state = this.params.map(() => null);
    this.lr = lr;
    const seen = new Set<Tensor>();
    for (const p of this.params) {
      if (!(p instanceof Tensor)) throw new TypeError(`selfish-rnn: ${kind} expects Tensor parameters, got ${typeof p}`);
      if (p.isDisposed) throw new Error(`selfish-rnn: ${kind} was given the disposed tensor${nameOf(p)} ${shapeString(p.shape)}`);
      if (!p.requiresGrad) throw new TypeError(`selfish-rnn: ${kind} was given a tensor${nameOf(p)} that does not require grad`);
      if (seen.has(p)) throw new TypeError(`selfish-rnn: ${kind} was given the tensor${nameOf(p)} ${shapeString(p.shape)} twice`);
      seen.add(p);
    }
    this.bound = this.params.map((p) => ({ version: p.storageVersion, size: p.size }));
  }

  /** The learning rate; may be changed between steps (schedules). */
  get lr(): number {
    return this.lrValue;
  }

  set lr(v: number) {
    if (typeof v !== 'number') throw new TypeError(`selfish-rnn: ${this.kind} learning rate must be a number, got ${typeof v}`);
    if (!(v >= 0)) throw new RangeError(`selfish-rnn: ${this.kind} learning rate must be ≥ 0, got ${v}`);
    if (v === Infinity) throw new RangeError(`selfish-rnn: ${this.kind} learning rate must be finite, got ${v}`);
    this.lrValue = v;
  }

  /** Applies one update to every parameter that has a gradient. */
  abstract step(): void;

  /** Hyper-parameters other than lr, as stored in (and checked against) state dicts. */
  protected abstract hyperParams(): Record<string, HyperValue>;

  /** The state entries params[index] has once it has taken a step. */
  protected abstract stateLayout(index: number): StateLayout;

  /**
   * The state entries params[index] would have as a dense parameter (the optimizers that keep
   * per-weight step counters for sparse values, SNT-ASGD and sparse Adam, keep them for those only).
   */
  protected denseStateLayout(index: number): StateLayout {
    return this.stateLayout(index);
  }

  /**
   * Bytes of per-entry state `param` holds for each of its entries once it has taken a step: 4 per
   * f32 buffer (moments, averages) and 2 per step counter (4 in the rare case entry-counters.ts
   * widens them; the actual width once the state exists). With `dense`, what it would hold per
   * entry as a dense parameter of the same optimizer (see denseStateLayout). Scalars (a few
   * numbers per tensor) are not counted.
   */
  entryStateBytes(param: Tensor, opts: { dense?: boolean } = {}): number {
    const i = this.params.indexOf(param);
    if (i < 0) throw new RangeError(`selfish-rnn: ${this.kind}.entryStateBytes: the tensor${nameOf(param)} ${shapeString(param.shape)} is not a parameter of this optimizer`);
    const layout = opts.dense ? this.denseStateLayout(i) : this.stateLayout(i);
    const held = opts.dense ? undefined : this.state[i]?.counters;
    const counterBytes = layout.counters.reduce((sum, name) => sum + (held?.[name]?.bytesPerEntry ?? 2), 0);
    return 4 * layout.floats.length + counterBytes;
  }

  /** Zeroes every parameter's gradient (keeps the buffers). */
  zeroGrad(): void {
    this.checkParams('zeroGrad');
    for (const p of this.params) p.zeroGrad();
  }

  /** Frees the state buffers; state starts afresh if the optimizer is used again. */
  dispose(): void {
    for (let i = 0; i < this.state.length; i++) this.dropState(i);
    this.scratchBuffer?.dispose();
    this.scratchBuffer = null;
  }

  /** A copy of the complete state (JSON meta + typed arrays); see OptimizerStateDict. */
  stateDict(): OptimizerStateDict {
    this.checkParams('stateDict');
    const arrays: Record<string, Float32Array | Int32Array> = {};
    const params = this.state.map((st, i) => {
      if (st === null) return null;
      for (const [name, t] of Object.entries(st.floats)) arrays[`${i}.${name}`] = t.toArray();
      for (const [name, c] of Object.entries(st.counters)) arrays[`${i}.${name}`] = c.toCounts();
      return { size: this.params[i]!.size, scalars: { ...st.scalars } };
    });
    return { meta: { kind: this.kind, version: STATE_DICT_VERSION, lr: this.lr, hyper: this.hyperParams(), params }, arrays };
  }

  /**
   * Restores a state dict taken from an optimizer of the same kind and hyper-parameters over
   * parameters of the same sizes (the learning rate is restored too). Everything is checked
   * before anything changes; the arrays are copied.
   */
  loadStateDict(dict: OptimizerStateDict): void {
    const where = `${this.kind}.loadStateDict`;
    this.checkParams('loadStateDict');
    const meta = dict?.meta;
    if (meta === undefined || meta === null || typeof meta !== 'object') throw new TypeError(`selfish-rnn: ${where}: expected {meta, arrays}, got ${typeof dict}`);
    if (meta.kind !== this.kind) throw new TypeError(`selfish-rnn: ${where}: the state dict is of a '${meta.kind}' optimizer`);
    if (meta.version !== STATE_DICT_VERSION) throw new RangeError(`selfish-rnn: ${where}: unsupported state dict version ${meta.version} (this build reads ${STATE_DICT_VERSION})`);
    if (!Array.isArray(meta.params) || meta.params.length !== this.params.length) {
      throw new RangeError(`selfish-rnn: ${where}: the state dict has ${meta.params?.length} parameters, this optimizer has ${this.params.length}`);
    }
    const mine = this.hyperParams();
    const keys = new Set([...Object.keys(mine), ...Object.keys(meta.hyper ?? {})]);
    const differ = [...keys].filter((k) => JSON.stringify(mine[k]) !== JSON.stringify(meta.hyper?.[k]));
    if (differ.length > 0) {
      const show = (h: Record<string, HyperValue> | undefined) => differ.map((k) => `${k}=${JSON.stringify(h?.[k])}`).join(', ');
      throw new RangeError(`selfish-rnn: ${where}: hyper-parameters differ: state dict has ${show(meta.hyper)}, this optimizer has ${show(mine)}`);
    }
    if (!(meta.lr >= 0 && meta.lr !== Infinity)) throw new RangeError(`selfish-rnn: ${where}: invalid lr ${meta.lr}`);
    const arrays = dict.arrays ?? {};
    const used = new Set<string>();
    meta.params.forEach((entry, i) => {
      if (entry === null) return;
      const p = this.params[i]!;
      if (entry.size !== p.size) throw new RangeError(`selfish-rnn: ${where}: parameter ${i}${nameOf(p)} has ${p.size} entries, its state has ${entry.size}`);
      const layout = this.stateLayout(i);
      const got = Object.keys(entry.scalars ?? {}).sort().join(', '), want = [...layout.scalars].sort().join(', ');
      if (got !== want) throw new RangeError(`selfish-rnn: ${where}: parameter ${i} has scalars {${got}}, expected {${want}}`);
      for (const s of layout.scalars) {
        if (!Number.isFinite(entry.scalars[s])) throw new RangeError(`selfish-rnn: ${where}: parameter ${i} scalar '${s}' is ${entry.scalars[s]}`);
      }
      const check = (name: string, Ctor: Float32ArrayConstructor | Int32ArrayConstructor) => {
        const key = `${i}.${name}`, a = arrays[key];
        if (!(a instanceof Ctor)) throw new TypeError(`selfish-rnn: ${where}: array '${key}' must be a ${Ctor.name}, got ${a === undefined ? 'nothing' : a.constructor.name}`);
        if (a.length !== p.size) throw new RangeError(`selfish-rnn: ${where}: array '${key}' has ${a.length} entries, parameter ${i} has ${p.size}`);
        used.add(key);
      };
      for (const name of layout.floats) check(name, Float32Array);
      for (const name of layout.counters) check(name, Int32Array);
    });
    const extra = Object.keys(arrays).filter((k) => !used.has(k));
    if (extra.length > 0) throw new RangeError(`selfish-rnn: ${where}: unexpected arrays ${extra.join(', ')}`);

    this.lr = meta.lr;
    meta.params.forEach((entry, i) => {
      this.dropState(i);
      if (entry === null) return;
      const layout = this.stateLayout(i);
      const st = this.newState(this.params[i]!, { ...entry.scalars }, layout.floats, []);
      for (const name of layout.floats) st.floats[name]!.data.set(arrays[`${i}.${name}`]!);
      for (const name of layout.counters) st.counters[name] = EntryCounters.fromCounts(arrays[`${i}.${name}`] as Int32Array);
      this.state[i] = st;
    });
    this.params.forEach((p, i) => (this.bound[i] = { version: p.storageVersion, size: p.size }));
  }

  /**
   * Replaces `oldParam` by `newParam` (same index in `params`) and carries its state over.
   * `oldSlotOf[j]` is the entry of oldParam that newParam's entry j continues, or −1 for a new
   * entry: surviving entries keep their state, new ones start from zero, the others are dropped.
   * With `oldSlotOf = null` the sizes must match and the state is kept as it is.
   * `newParam === oldParam` is a parameter whose storage was replaced (`Tensor.replaceStorage`):
   * the slot map then refers to the entries it had when this optimizer last saw it.
   * The old tensor is not disposed (its owner does that).
   */
  remapParam(oldParam: Tensor, newParam: Tensor, oldSlotOf: Int32Array | null): void {
    const where = `${this.kind}.remapParam`;
    const i = this.params.indexOf(oldParam);
    if (i < 0) throw new RangeError(`selfish-rnn: ${where}: the tensor${nameOf(oldParam)} ${shapeString(oldParam.shape)} is not a parameter of this optimizer`);
    if (!(newParam instanceof Tensor)) throw new TypeError(`selfish-rnn: ${where}: the new parameter must be a Tensor, got ${typeof newParam}`);
    newParam.assertLive();
    if (newParam !== oldParam && this.params.includes(newParam)) throw new RangeError(`selfish-rnn: ${where}: the new tensor${nameOf(newParam)} is already parameter ${this.params.indexOf(newParam)}`);
    if (!newParam.requiresGrad) throw new TypeError(`selfish-rnn: ${where}: the new tensor${nameOf(newParam)} does not require grad`);
    const oldSize = newParam === oldParam ? this.bound[i]!.size : oldParam.size;
    if (oldSlotOf === null) {
      if (newParam.size !== oldSize) {
        const from = newParam === oldParam ? `[${oldSize}]` : shapeString(oldParam.shape);
        throw new RangeError(`selfish-rnn: ${where}: without a slot map the sizes must match, got ${from} → ${shapeString(newParam.shape)}`);
      }
    } else {
      checkSlotMap(where, oldSlotOf, oldSize, newParam.size);
    }
    const st = this.state[i];
    if (st !== null && oldSlotOf !== null) {
      for (const name of Object.keys(st.floats)) {
        const old = st.floats[name]!;
        const moved = new Tensor(newParam.shape, { persistent: true });
        const src = old.data, dst = moved.data; // views taken after the allocation
        for (let j = 0; j < dst.length; j++) { const k = oldSlotOf[j]!; dst[j] = k < 0 ? 0 : src[k]!; }
        old.dispose();
        st.floats[name] = moved;
      }
      for (const name of Object.keys(st.counters)) st.counters[name] = st.counters[name]!.remapped(oldSlotOf);
    }
    this.params[i] = newParam;
    this.bound[i] = { version: newParam.storageVersion, size: newParam.size };
  }

  // ---- helpers for subclasses -----------------------------------------------------------------

  /**
   * Throws unless every parameter is live and its state (if any) matches its storage; a storage
   * replaced before the parameter has state is simply followed. Every `step` starts with it.
   */
  protected checkParams(what = 'step'): void {
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i]!, b = this.bound[i]!;
      if (p.isDisposed) {
        throw new Error(
          `selfish-rnn: ${this.kind}.${what}: parameter ${i}${nameOf(p)} ${shapeString(p.shape)} was disposed; build the optimizer from the model's current parameters (model.parameters())`,
        );
      }
      if (p.storageVersion === b.version) continue;
      if (this.state[i] !== null) {
        throw new Error(
          `selfish-rnn: ${this.kind}.${what}: the storage of parameter ${i}${nameOf(p)} was replaced ([${b.size}] → ${shapeString(p.shape)}, a sparse topology update?) ` +
            'after this optimizer built state for it; attach the optimizer to the sparse engine (engine.attachOptimizer(opt)) so its state follows the weights',
        );
      }
      this.bound[i] = { version: p.storageVersion, size: p.size };
    }
  }

  /** A parameter's gradient, or null when it has none (then the parameter is skipped). */
  protected gradOf(p: Tensor): Tensor | null {
    p.assertLive();
    const g = p.grad;
    return g === null || g.isDisposed ? null : g;
  }

  /** New state for p: the given scalars, zero-filled per-entry buffers. */
  protected newState(p: Tensor, scalars: Record<string, number>, floats: readonly string[], counters: readonly string[]): ParamState {
    const st: ParamState = { scalars, floats: {}, counters: {} };
    for (const name of floats) {
      const t = new Tensor(p.shape, { persistent: true });
      t.data.fill(0);
      st.floats[name] = t;
    }
    for (const name of counters) st.counters[name] = new EntryCounters(p.size);
    return st;
  }

  /** A persistent work buffer of at least `size` floats (reused across steps). */
  protected scratch(size: number): Tensor {
    if (this.scratchBuffer === null || this.scratchBuffer.size < size) {
      this.scratchBuffer?.dispose();
      this.scratchBuffer = new Tensor([size], { persistent: true });
    }
    return this.scratchBuffer;
  }

  private dropState(i: number): void {
    const st = this.state[i];
    if (st === null || st === undefined) return;
    for (const t of Object.values(st.floats)) t.dispose();
    this.state[i] = null;
  }
}

function nameOf(p: Tensor): string {
  return p.name ? ` '${p.name}'` : '';
}

/** Checks that oldSlotOf maps each of newSize entries to −1 or a distinct old entry < oldSize. */
function checkSlotMap(where: string, oldSlotOf: Int32Array, oldSize: number, newSize: number): void {
  if (!(oldSlotOf instanceof Int32Array)) throw new TypeError(`selfish-rnn: ${where}: oldSlotOf must be an Int32Array or null`);
  if (oldSlotOf.length !== newSize) throw new RangeError(`selfish-rnn: ${where}: oldSlotOf has ${oldSlotOf.length} entries, the new tensor has ${newSize}`);
  const taken = new Int32Array(oldSize).fill(-1);
  for (let j = 0; j < newSize; j++) {
    const k = oldSlotOf[j]!;
    if (k < -1 || k >= oldSize) throw new RangeError(`selfish-rnn: ${where}: oldSlotOf[${j}] = ${k} is outside [-1, ${oldSize})`);
    if (k < 0) continue;
    if (taken[k] !== -1) throw new RangeError(`selfish-rnn: ${where}: old entry ${k} is continued by both new entries ${taken[k]} and ${j}`);
    taken[k] = j;
  }
}
