// Module: the PyTorch-like container for parameters and sub-modules.
//
// Parameters and sub-modules are registered by name, in order, so `namedParameters()` yields the
// same dotted names PyTorch would (`rnns.0.weight_hh_l0`, `decoder.weight`, ...) and state dicts
// can be exchanged. A weight slot holds either a dense Tensor or a sparse (CSR) weight; for a
// sparse weight the trainable tensor is its `values` (one entry per nonzero).
import { CSRMatrix } from '../csr.js';
import { Tensor, shapeString } from '../tensor.js';

export type Weight = Tensor | CSRMatrix;

export function isSparse(w: Weight): w is CSRMatrix {
  return w instanceof CSRMatrix;
}

/** The tensor that receives gradients for a weight slot. */
export function trainable(w: Weight): Tensor {
  return isSparse(w) ? w.values : w;
}

export abstract class Module {
  /** Training mode (dropout active) or evaluation mode. */
  training = true;
  private readonly weights = new Map<string, Weight>();
  private readonly children = new Map<string, Module>();
  // Slots that alias another module's weight (tied weights): not owned, not listed twice.
  private readonly tiedSlots = new Set<string>();

  /** Registers (or replaces) a parameter slot. */
  protected registerWeight<W extends Weight>(name: string, w: W): W {
    if (name.includes('.')) throw new Error(`selfish-rnn: parameter name '${name}' must not contain '.'`);
    this.weights.set(name, w);
    return w;
  }

  /** Registers a sub-module under `name` (dotted prefix of its parameters). */
  protected registerModule<M extends Module>(name: string, m: M): M {
    if (name.includes('.')) throw new Error(`selfish-rnn: module name '${name}' must not contain '.'`);
    this.children.set(name, m);
    return m;
  }

  /** Marks a slot as an alias of a weight owned elsewhere (weight tying). */
  protected tieWeight(name: string, w: Weight): void {
    this.weights.set(name, w);
    this.tiedSlots.add(name);
  }

  /** The weight in slot `name` of this module. */
  getWeight(name: string): Weight {
    const w = this.weights.get(name);
    if (w === undefined) throw new Error(`selfish-rnn: ${this.constructor.name} has no parameter '${name}'`);
    return w;
  }

  /** Replaces a weight slot (e.g. dense → sparse, or after a topology change). Returns the old one. */
  setWeight(name: string, w: Weight): Weight {
    const old = this.getWeight(name);
    this.weights.set(name, w);
    return old;
  }

  /** [name, weight] for every owned weight slot, depth-first in registration order. */
  namedWeights(prefix = ''): [string, Weight][] {
    const out: [string, Weight][] = [];
    for (const [n, w] of this.weights) if (!this.tiedSlots.has(n)) out.push([prefix + n, w]);
    // A loop, not push(...): a model of 10^5 layers has more weights than a call has arguments.
    for (const [n, m] of this.children) for (const e of m.namedWeights(`${prefix}${n}.`)) out.push(e);
    return out;
  }

  /** [name, trainable tensor] pairs (a sparse weight contributes its values). */
  namedParameters(prefix = ''): [string, Tensor][] {
    return this.namedWeights(prefix).map(([n, w]) => [n, trainable(w)]);
  }

  /** The trainable tensors, for an optimizer. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** [name, module] for every sub-module (recursively). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [n, m] of this.children) {
      out.push([prefix + n, m]);
      for (const e of m.namedModules(`${prefix}${n}.`)) out.push(e);
    }
    return out;
  }

  /** Sets training mode here and in every sub-module. */
  train(mode = true): this {
    this.training = mode;
    for (const m of this.children.values()) m.train(mode);
    return this;
  }

  /** Evaluation mode (dropout off). */
  eval(): this {
    return this.train(false);
  }

  /** Zeroes every parameter gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /** Total number of trainable scalars (nonzeros for sparse weights). */
  numParameters(): number {
    return this.parameters().reduce((s, p) => s + p.size, 0);
  }

  /**
   * name → weight (dense Tensor or sparse weight). The entries are the module's own objects, not
   * copies: serialise them (see checkpoints) or copy them before changing the module.
   */
  stateDict(): Map<string, Weight> {
    return new Map(this.namedWeights());
  }

  /**
   * Copies values from a state dict of dense arrays into this module's weights. Every name must
   * match and every size must agree (for a sparse slot: the dense shape, copying only the
   * nonzeros' positions is done by the sparse engine, so here a sparse slot takes a values array
   * of length nnz). `strict` (default) also refuses missing or unexpected names.
   */
  loadStateDict(state: Map<string, Float32Array | Tensor>, strict = true): void {
    const own = new Map(this.namedWeights());
    if (strict) {
      const missing = [...own.keys()].filter((k) => !state.has(k));
      const unexpected = [...state.keys()].filter((k) => !own.has(k));
      if (missing.length || unexpected.length) {
        throw new Error(`selfish-rnn: loadStateDict: missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]`);
      }
    }
    for (const [name, src] of state) {
      const w = own.get(name);
      if (w === undefined) continue;
      const dst = trainable(w);
      const data = src instanceof Tensor ? src.data : src;
      if (data.length !== dst.size) {
        const what = isSparse(w) ? `sparse ${w.rows}×${w.cols} with ${w.nnz} nonzeros` : shapeString(dst.shape);
        throw new RangeError(`selfish-rnn: loadStateDict: '${name}' has ${data.length} values but the module's weight is ${what}`);
      }
      dst.data.set(data);
    }
  }

  /** Frees every owned weight and their gradients. */
  dispose(): void {
    for (const [, w] of this.namedWeights()) {
      trainable(w).grad?.dispose();
      w.dispose();
    }
  }
}

/** An indexed list of modules, named '0', '1', ... like torch.nn.ModuleList. */
export class ModuleList<M extends Module = Module> extends Module {
  readonly items: M[];

  constructor(items: M[]) {
    super();
    this.items = items;
    items.forEach((m, i) => this.registerModule(String(i), m));
  }

  get length(): number {
    return this.items.length;
  }

  at(i: number): M {
    const m = this.items[i];
    if (m === undefined) throw new RangeError(`selfish-rnn: ModuleList index ${i} out of range (length ${this.items.length})`);
    return m;
  }
}
