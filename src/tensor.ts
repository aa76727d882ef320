// Tensor: a contiguous row-major f32 array living in the wasm memory, plus autodiff bookkeeping.
//
// Lifetime: JavaScript cannot free wasm memory for us, so every tensor is either
//  - created inside `tidy(fn)`: freed when fn returns, unless it is (part of) fn's result; or
//  - persistent (parameters, gradients, optimizer state, anything made outside `tidy`):
//    freed by `dispose()`.
// A training step is one `tidy`, so the step's intermediates, saved activations and temporary
// gradients are all returned to the allocator together.
import { heap } from './backend/memory.js';
import { kernels } from './backend/wasm.js';
import { globalRandom, type Random } from './random.js';

export type Shape = readonly number[];

/**
 * Number of elements of a shape; checks that every dimension is a non-negative safe integer and
 * that the product is one too (a shape like [200, 1e308] is refused here, before any allocation).
 */
export function shapeSize(shape: Shape): number {
  if (!Array.isArray(shape)) throw new TypeError(`selfish-rnn: a shape must be an array of dimensions, got ${String(shape)}`);
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) throw new RangeError(`selfish-rnn: invalid shape [${shape.join(', ')}]: dimensions must be non-negative integers`);
    n *= d;
  }
  if (!Number.isSafeInteger(n)) throw new RangeError(`selfish-rnn: invalid shape [${shape.join(', ')}]: ${n} elements is too many`);
  return n;
}

export function shapeString(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

interface Disposable {
  dispose(): void;
}

/**
 * How a tensor was computed, when recorded for autodiff (see src/autograd/engine.ts, which
 * creates nodes and walks them). Defined here, with the tensor that holds it, so the tensor
 * does not import the engine: the engine sits above the tensor.
 */
export interface GradNode {
  /** Op name, for error messages and the coverage table. */
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /**
   * Accumulates d(loss)/d(input i) into gradIn[i] given d(loss)/d(output) in gradOut.
   * gradIn[i] is null when input i does not require grad.
   */
  backward(gradOut: Tensor, gradIn: readonly (Tensor | null)[]): void;
  /**
   * Tensors the op saved for its backward, owned by the tape: freed when the node is released
   * (after its backward ran, or when its output is disposed), whether or not a `tidy` is open.
   */
  readonly saved?: readonly Tensor[];
  /** `storageVersion` of each input when the op ran (a replaced input makes the backward refuse). */
  readonly versions?: readonly number[];
  /**
   * Called once when the node is released (after `saved` is freed); during a backward pass, at
   * the end of the pass, so that it may free what nodes upstream still need in that pass.
   */
  readonly release?: () => void;
}

/** Options of `backward()`. */
export interface BackwardOptions {
  /** Keep the graph (and the tensors its ops saved) so a later backward() can run through it again. */
  retainGraph?: boolean;
}

type BackwardFn = (root: Tensor, grad?: Tensor, opts?: BackwardOptions) => void;
let backwardImpl: BackwardFn | null = null;

/** Called once by src/autograd/engine.ts when it loads: `Tensor.backward` runs the engine's pass. */
export function installBackward(fn: BackwardFn): void {
  backwardImpl = fn;
}

// Stack of open `tidy` scopes; tensors created while one is open are registered in the innermost.
const scopes: Set<Disposable>[] = [];

let nextId = 0;

// Release hooks of nodes released during a backward pass, run when the pass ends.
let deferredReleases: (() => void)[] | null = null;

/** Runs fn (a backward pass), holding back the nodes' release hooks until it returns or throws. */
export function withDeferredReleases<T>(fn: () => T): T {
  if (deferredReleases !== null) return fn();
  const hooks: (() => void)[] = (deferredReleases = []);
  try {
    return fn();
  } finally {
    deferredReleases = null;
    for (const h of hooks) h();
  }
}

/** The id the next tensor will get: tensors with an id ≥ this value were created after the call. */
export function nextTensorId(): number {
  return nextId;
}

export class Tensor {
  /** Creation order, unique per process. */
  readonly id: number = nextId++;
  private shapeValue: readonly number[];
  private sizeValue: number;
  private ptrValue: number;
  private bytes: number;
  private disposed = false;
  private version = 0;
  /** Whether gradients flow to this tensor. Leaves with requiresGrad receive `.grad`. */
  requiresGrad: boolean;
  /** Accumulated gradient of a leaf (PyTorch semantics: accumulates until zeroed). */
  grad: Tensor | null = null;
  /** How this tensor was computed, when recorded for autodiff; null for leaves. */
  node: GradNode | null = null;
  /**
   * The op that computed this tensor, once a backward() has freed its record (null otherwise): a
   * later backward() through it is refused instead of treating it as a leaf.
   */
  freedOp: string | null = null;
  /** Optional name, used in error messages and state dicts. */
  name?: string;

  /** Allocates an uninitialised tensor. Prefer `zeros`, `tensor`, `randn` and friends. */
  constructor(shape: Shape, opts: { requiresGrad?: boolean; persistent?: boolean } = {}) {
    this.shapeValue = Object.freeze([...shape]);
    this.sizeValue = shapeSize(shape);
    this.bytes = this.sizeValue * 4;
    this.ptrValue = heap.alloc(this.bytes);
    this.requiresGrad = opts.requiresGrad ?? false;
    if (!opts.persistent && scopes.length > 0) scopes[scopes.length - 1]!.add(this);
  }

  get shape(): readonly number[] {
    return this.shapeValue;
  }

  get size(): number {
    return this.sizeValue;
  }

  /** Byte offset of the first element in the wasm memory; throws once the tensor is disposed. */
  get ptr(): number {
    if (this.disposed) this.assertLive();
    return this.ptrValue;
  }

  /**
   * Counts replacements of the storage (see `replaceStorage`): the tape refuses a backward through
   * an op whose input was replaced after the forward, and an optimizer refuses state of another size.
   */
  get storageVersion(): number {
    return this.version;
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** A live Float32Array view of the data (valid until the next allocation may grow memory). */
  get data(): Float32Array {
    this.assertLive();
    const i = this.ptrValue >>> 2;
    return heap.f32().subarray(i, i + this.size);
  }

  /** A copy of the data, safe to keep. */
  toArray(): Float32Array {
    return this.data.slice();
  }

  /** Nested JS arrays (for printing and tests). */
  toNested(): unknown {
    const flat = Array.from(this.data);
    const build = (dim: number, off: number): unknown => {
      if (dim === this.shape.length) return flat[off];
      const stride = this.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: this.shape[dim]! }, (_, i) => build(dim + 1, off + i * stride));
    };
    return build(0, 0);
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new RangeError(`selfish-rnn: item() needs a one-element tensor, got shape ${shapeString(this.shape)}`);
    return this.data[0]!;
  }

  /** Returns the memory to the allocator. Safe to call twice. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    heap.free(this.ptrValue, this.bytes);
    for (const s of scopes) s.delete(this);
    this.releaseNode();
  }

  /**
   * Takes over the storage of `src` (same element type; any shape): this tensor's own storage and
   * gradient are freed, `src` is left disposed, and `storageVersion` goes up. For an owner that
   * swaps a parameter's storage while every holder of the parameter keeps the same object (the
   * sparse engine does this at topology updates). Both must be leaves.
   */
  replaceStorage(src: Tensor): void {
    this.assertLive();
    src.assertLive();
    if (src === this) return;
    if (this.node !== null || src.node !== null) throw new Error('selfish-rnn: replaceStorage: only leaves (tensors not computed by a recorded op) can exchange storage');
    heap.free(this.ptrValue, this.bytes);
    this.ptrValue = src.ptrValue;
    this.bytes = src.bytes;
    this.sizeValue = src.sizeValue;
    this.shapeValue = src.shapeValue;
    this.version++;
    this.grad?.dispose();
    this.grad = null;
    this.freedOp = null;
    src.disposed = true;
    for (const s of scopes) s.delete(src);
  }

  /** Drops the autodiff record and frees the tensors its op saved for the backward. */
  releaseNode(): void {
    const node = this.node;
    this.node = null;
    if (node?.saved) for (const t of node.saved) t.dispose();
    if (node?.release) {
      if (deferredReleases !== null) deferredReleases.push(node.release);
      else node.release();
    }
  }

  /**
   * Backpropagates from this tensor (a scalar unless `grad` is given) into every leaf's `.grad`.
   * The graph is freed as it goes unless `retainGraph` is set; a second backward() through a freed
   * graph is refused. `backward({ retainGraph: true })` is short for `backward(undefined, {...})`.
   */
  backward(grad?: Tensor | BackwardOptions, opts?: BackwardOptions): void {
    if (backwardImpl === null) throw new Error('selfish-rnn: backward() needs the autodiff engine; import it from the package entry point');
    if (grad !== undefined && !(grad instanceof Tensor)) {
      if (opts !== undefined || grad === null || typeof grad !== 'object' || Array.isArray(grad)) {
        throw new TypeError(`selfish-rnn: backward(grad): grad must be a Tensor, got ${grad === null ? 'null' : Array.isArray(grad) ? 'an array' : typeof grad} (options go in backward({ retainGraph: true }) or backward(grad, options))`);
      }
      backwardImpl(this, undefined, grad);
    } else {
      backwardImpl(this, grad, opts);
    }
  }

  /** Sets `.grad` to zero (keeps the buffer). */
  zeroGrad(): void {
    this.assertLive();
    if (this.grad) kernels.fill(this.grad.ptr, 0, this.grad.size);
  }

  /** A copy with no autodiff history (memory-safe: it does not share storage). */
  detach(): Tensor {
    this.assertLive();
    const t = new Tensor(this.shape);
    heap.u8().copyWithin(t.ptr, this.ptrValue, this.ptrValue + this.bytes);
    return t;
  }

  /** Copies values from another tensor of the same size (no autodiff). */
  copyFrom(src: Tensor): this {
    this.assertLive();
    src.assertLive();
    if (src.size !== this.size) throw new RangeError(`selfish-rnn: copyFrom size mismatch ${shapeString(src.shape)} → ${shapeString(this.shape)}`);
    heap.u8().copyWithin(this.ptr, src.ptr, src.ptr + src.size * 4);
    return this;
  }

  /** Throws if the tensor has been disposed (use-after-free guard). */
  assertLive(): void {
    if (this.disposed) {
      throw new Error(`selfish-rnn: tensor${this.name ? ` '${this.name}'` : ''} ${shapeString(this.shape)} used after dispose() (freed by dispose() or at the end of the tidy() that created it)`);
    }
  }

  toString(): string {
    return `Tensor(${shapeString(this.shape)}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}

/**
 * Runs fn and frees every tensor created during it, except those reachable in its result
 * (a Tensor, or arrays / plain objects of Tensors), which move to the enclosing scope.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    // Nothing created in a failed step is reachable: free it all, then rethrow.
    scopes.pop();
    for (const t of scope) t.dispose();
    throw err;
  }
  scopes.pop();
  const kept = new Set<Disposable>();
  collectTensors(result, kept);
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (kept.has(t)) parent?.add(t);
    else t.dispose();
  }
  return result;
}

function collectTensors(x: unknown, out: Set<Disposable>): void {
  if (x instanceof Tensor || x instanceof IntTensor || x instanceof IndexArray) out.add(x);
  else if (Array.isArray(x)) for (const v of x) collectTensors(v, out);
  else if (x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) {
    for (const v of Object.values(x)) collectTensors(v, out);
  }
}

/** Removes a tensor from every open scope, so it outlives the enclosing `tidy`. */
export function keep<T extends Disposable>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

/** Whether a `tidy` scope is open (tensors created now are temporary). */
export function inTidy(): boolean {
  return scopes.length > 0;
}

// ---- creation -----------------------------------------------------------------------------

export interface CreateOptions {
  requiresGrad?: boolean;
  persistent?: boolean;
}

/** A tensor from nested arrays or a flat array plus shape. */
export function tensor(values: ArrayLike<number> | number | unknown[], shape?: Shape, opts: CreateOptions = {}): Tensor {
  let flat: ArrayLike<number>;
  let inferred: number[];
  if (typeof values === 'number') {
    flat = [values];
    inferred = [];
  } else if (Array.isArray(values) && values.some((v) => Array.isArray(v))) {
    inferred = [];
    let level: unknown = values;
    while (Array.isArray(level)) {
      inferred.push(level.length);
      level = level[0];
    }
    flat = (values as unknown[]).flat(Infinity) as number[];
  } else {
    flat = values as ArrayLike<number>;
    inferred = [flat.length];
  }
  const s = shape ?? inferred;
  if (shapeSize(s) !== flat.length) {
    throw new RangeError(`selfish-rnn: ${flat.length} values do not fill shape ${shapeString(s)}`);
  }
  const t = new Tensor(s, opts);
  t.data.set(flat);
  return t;
}

export function full(shape: Shape, value: number, opts: CreateOptions = {}): Tensor {
  const t = new Tensor(shape, opts);
  kernels.fill(t.ptr, value, t.size);
  return t;
}

export function zeros(shape: Shape, opts: CreateOptions = {}): Tensor {
  return full(shape, 0, opts);
}

export function ones(shape: Shape, opts: CreateOptions = {}): Tensor {
  return full(shape, 1, opts);
}

/** Uniform in [low, high). */
export function rand(shape: Shape, low = 0, high = 1, opts: CreateOptions & { rng?: Random } = {}): Tensor {
  const t = new Tensor(shape, opts);
  const rng = opts.rng ?? globalRandom;
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = low + (high - low) * rng.uniform();
  return t;
}

/** Normal with the given mean and standard deviation. */
export function randn(shape: Shape, std = 1, mean = 0, opts: CreateOptions & { rng?: Random } = {}): Tensor {
  const t = new Tensor(shape, opts);
  const rng = opts.rng ?? globalRandom;
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = mean + std * rng.normal();
  return t;
}

/** A persistent leaf that requires grad: what modules use for weights. */
export function parameter(init: Tensor): Tensor {
  const p = new Tensor(init.shape, { requiresGrad: true, persistent: true });
  p.copyFrom(init);
  return p;
}

/** Integer ids (token indices) in wasm memory, for embedding lookups and cross-entropy targets. */
export class IntTensor {
  readonly shape: readonly number[];
  readonly size: number;
  private readonly ptrValue: number;
  private disposed = false;

  constructor(values: ArrayLike<number>, shape?: Shape, opts: { persistent?: boolean } = {}) {
    this.shape = Object.freeze([...(shape ?? [values.length])]);
    this.size = shapeSize(this.shape);
    if (this.size !== values.length) throw new RangeError(`selfish-rnn: ${values.length} ids do not fill shape ${shapeString(this.shape)}`);
    this.ptrValue = heap.alloc(this.size * 4);
    heap.i32().set(values, this.ptrValue >>> 2);
    if (!opts.persistent && scopes.length > 0) scopes[scopes.length - 1]!.add(this);
  }

  /** Byte offset of the first id in the wasm memory; throws once disposed. */
  get ptr(): number {
    if (this.disposed) this.assertLive();
    return this.ptrValue;
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Throws if the ids have been disposed (use-after-free guard). */
  assertLive(): void {
    if (this.disposed) throw new Error(`selfish-rnn: IntTensor ${shapeString(this.shape)} used after dispose()`);
  }

  get data(): Int32Array {
    this.assertLive();
    const i = this.ptrValue >>> 2;
    return heap.i32().subarray(i, i + this.size);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    heap.free(this.ptrValue, this.size * 4);
    for (const s of scopes) s.delete(this);
  }
}

/** Entries of a 16-bit index array are below this (u16: 0 … 65,535). */
export const U16_INDEX_LIMIT = 65536;

/**
 * Non-negative indices in wasm memory, 16 bits each (u16) or 32 (i32): how a CSRMatrix stores its
 * column indices, and its transposed index its row indices, so that a sparse product streams 6
 * bytes per nonzero instead of 8 where the indices fit (src/csr.ts decides the width). The kernels
 * come in both widths (`spmm` / `spmm_u16`, …): pass `ptr` to the one `wide` names.
 */
export class IndexArray {
  readonly size: number;
  /** True: i32 entries (4 bytes each); false: u16 entries (2 bytes each). */
  readonly wide: boolean;
  private readonly ptrValue: number;
  private disposed = false;

  /** Copies `values` (integers; below U16_INDEX_LIMIT unless `wide`) into wasm memory. */
  constructor(values: ArrayLike<number>, wide: boolean, opts: { persistent?: boolean } = {}) {
    this.size = values.length;
    this.wide = wide;
    if (!wide) {
      for (let k = 0; k < values.length; k++) {
        const v = values[k]!;
        if (!(Number.isInteger(v) && v >= 0 && v < U16_INDEX_LIMIT)) throw new RangeError(`selfish-rnn: a 16-bit index array cannot hold ${v} (entry ${k}); indices must be integers in [0, ${U16_INDEX_LIMIT})`);
      }
    }
    this.ptrValue = heap.alloc(this.bytes);
    if (wide) heap.i32().set(values, this.ptrValue >>> 2);
    else heap.u16().set(values, this.ptrValue >>> 1);
    if (!opts.persistent && scopes.length > 0) scopes[scopes.length - 1]!.add(this);
  }

  /** Byte offset of the first index in the wasm memory; throws once disposed. */
  get ptr(): number {
    if (this.disposed) this.assertLive();
    return this.ptrValue;
  }

  /** Bytes the indices occupy (2 or 4 per entry). */
  get bytes(): number {
    return this.size * (this.wide ? 4 : 2);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Throws if the indices have been disposed (use-after-free guard). */
  assertLive(): void {
    if (this.disposed) throw new Error(`selfish-rnn: IndexArray [${this.size}] (${this.wide ? 'i32' : 'u16'}) used after dispose()`);
  }

  /** A view of the indices in wasm memory (valid until the memory grows: take it after allocating). */
  get data(): Int32Array | Uint16Array {
    this.assertLive();
    if (this.wide) {
      const i = this.ptrValue >>> 2;
      return heap.i32().subarray(i, i + this.size);
    }
    const i = this.ptrValue >>> 1;
    return heap.u16().subarray(i, i + this.size);
  }

  /** A copy as i32, whatever the width (what file formats and JS-side algorithms take). */
  toInt32Array(): Int32Array {
    return Int32Array.from(this.data);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    heap.free(this.ptrValue, this.bytes);
    for (const s of scopes) s.delete(this);
  }
}
