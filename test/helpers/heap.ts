// Test helpers for kernel-vs-reference comparisons on the real wasm heap.
import { createReference, CSRMatrix, IndexArray, Random, Tensor, IntTensor, type KernelExports } from '../../src/index.js';
import { heap } from '../../src/backend/memory.js';

/** The reference kernels, operating directly on the wasm heap (same pointers as the kernels). */
export const ref = createReference({
  get f() {
    return heap.f32();
  },
  get i() {
    return heap.i32();
  },
});

/** A persistent tensor of the given shape filled with uniform values in [lo, hi). */
export function randomTensor(shape: number[], rng: Random, lo = -1, hi = 1): Tensor {
  const t = new Tensor(shape, { persistent: true });
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = lo + (hi - lo) * rng.uniform();
  return t;
}

/** A copy of a tensor (persistent), for running the reference on identical inputs. */
export function clone(t: Tensor): Tensor {
  return new Tensor(t.shape, { persistent: true }).copyFrom(t);
}

export function randomIds(n: number, max: number, rng: Random): IntTensor {
  return new IntTensor(Array.from({ length: n }, () => rng.int(Math.max(1, max))), [n], { persistent: true });
}

/** Max |a − b| / (1 + |b|) over two arrays of the same length. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!));
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** The awkward sizes every kernel is tested on. */
export const AWKWARD = [0, 1, 3, 5, 17, 33];

/**
 * Runs a kernel of another build (own memory) on copies of `bufs` and returns the buffers after
 * the call: lets the scalar build be checked against the same reference.
 */
export function runInBuild(k: KernelExports, bufs: Float32Array[], call: (ptrs: number[]) => void): Float32Array[] {
  const base = Math.ceil(k.heap_base() / 16) * 16;
  const ptrs: number[] = [];
  let at = base;
  for (const b of bufs) {
    ptrs.push(at);
    at += Math.ceil((b.length * 4) / 16) * 16 + 16;
  }
  const need = at - k.memory.buffer.byteLength;
  if (need > 0) k.memory.grow(Math.ceil(need / 65536));
  bufs.forEach((b, n) => new Float32Array(k.memory.buffer, ptrs[n]!, b.length).set(b));
  call(ptrs);
  return bufs.map((b, n) => new Float32Array(k.memory.buffer, ptrs[n]!, b.length).slice());
}

/** A random M×K CSR matrix; below density 1 every row i ≡ 2 (mod 5) is empty (the kernel tests' awkward rows). */
export function randomCSR(M: number, K: number, density: number, rng: Random): CSRMatrix {
  const dense = randomTensor([M, K], rng);
  const W = CSRMatrix.fromDense(dense, (_v, i) => density === 1 || (i % 5 !== 2 && rng.uniform() < density), { requiresGrad: false });
  dense.dispose();
  return W;
}

/**
 * Copies of an index array in both widths (persistent; dispose them): the i32 kernels take
 * `wide.ptr`, the `_u16` ones `narrow.ptr`. Its indices must be below 65,536.
 */
export function bothWidths(a: IndexArray): { wide: IndexArray; narrow: IndexArray; dispose(): void } {
  const wide = new IndexArray(a.data, true, { persistent: true }), narrow = new IndexArray(a.data, false, { persistent: true });
  return { wide, narrow, dispose: () => { wide.dispose(); narrow.dispose(); } };
}

/** The output buffer: NaN when the kernel must overwrite it (so one that reads it fails), random when it accumulates. */
export function outputTensor(shape: number[], acc: number, rng: Random): Tensor {
  const t = randomTensor(shape, rng);
  if (!acc) t.data.fill(NaN);
  return t;
}
