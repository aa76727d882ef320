// Loads the kernel module once, at import time, synchronously (new WebAssembly.Module/Instance):
// no top-level await, which the bundlers' script formats cannot hold (esbuild's default iife,
// Vite's iife workers). Browsers allow synchronous compilation of modules this size (~70 kB) on
// any thread. The bytes are embedded in a generated module, so no file or network access happens.
// Three builds, chosen by feature detection: the threaded build (SIMD + shared memory + atomics)
// where the engine can share memory with workers, else the SIMD build, else the scalar build.
// The threaded build runs on one thread exactly like the SIMD build until setThreads(n > 1)
// starts the worker pool (src/backend/pool.ts). The SIMD and threaded builds each have a
// relaxed-SIMD twin (one-instruction multiply-add, opt-in: src/backend/kernel-build.ts); both
// import their memory, so a twin can take over the same memory, tensors and all.
import { SCALAR_WASM_BASE64, SIMD_RELAXED_WASM_BASE64, SIMD_WASM_BASE64, THREADS_RELAXED_WASM_BASE64, THREADS_WASM_BASE64 } from '../generated/wasm-binaries.js';

/** Signatures of the kernels exported by assembly/index.ts (pointers are byte offsets). */
export interface KernelExports {
  memory: WebAssembly.Memory;
  heap_base(): number;
  // scratch.ts: per-thread scratch regions (threaded build)
  set_scratch(base: number): void;
  scratch_bytes(): number;
  // gemm.ts
  gemm_nn(c: number, a: number, b: number, M: number, K: number, N: number, acc: number): void;
  gemm_tn(c: number, a: number, b: number, M: number, K: number, N: number, acc: number): void;
  gemm_nt(c: number, a: number, b: number, M: number, K: number, N: number, acc: number): void;
  simd_peak_probe(iters: number, seed: number, chains: number): number;
  // elementwise.ts
  add(out: number, a: number, b: number, n: number): void;
  sub(out: number, a: number, b: number, n: number): void;
  mul(out: number, a: number, b: number, n: number): void;
  mul_acc(out: number, a: number, b: number, n: number): void;
  scale(out: number, a: number, s: number, n: number): void;
  axpy(y: number, x: number, s: number, n: number): void;
  fill(out: number, v: number, n: number): void;
  add_row_bcast(out: number, a: number, b: number, rows: number, cols: number): void;
  sum_rows_acc(out: number, g: number, rows: number, cols: number): void;
  sum(a: number, n: number): number;
  sum_squares(a: number, n: number): number;
  relu(out: number, a: number, n: number): void;
  relu_backward(gx: number, gy: number, x: number, n: number): void;
  tanh(out: number, a: number, n: number): void;
  tanh_backward(gx: number, gy: number, y: number, n: number): void;
  sigmoid(out: number, a: number, n: number): void;
  sigmoid_backward(gx: number, gy: number, y: number, n: number): void;
  exp(out: number, a: number, n: number): void;
  log(out: number, a: number, n: number): void;
  div_acc(gx: number, gy: number, x: number, n: number): void;
  add_scalar(out: number, a: number, s: number, n: number): void;
  transpose(out: number, a: number, rows: number, cols: number): void;
  // softmax.ts
  softmax_rows(out: number, x: number, rows: number, cols: number): void;
  log_softmax_rows(out: number, x: number, rows: number, cols: number): void;
  log_softmax_backward(gx: number, gy: number, y: number, rows: number, cols: number): void;
  softmax_backward(gx: number, gy: number, y: number, rows: number, cols: number): void;
  softmax_xent(probs: number, losses: number, logits: number, targets: number, rows: number, cols: number): number;
  softmax_xent_backward(gx: number, probs: number, targets: number, rows: number, cols: number, scale: number): void;
  // mos.ts
  mos_nll(loss: number, post: number, lse: number, logits: number, logprior: number, targets: number, N: number, K: number, V: number): number;
  mos_nll_backward(glogits: number, glogprior: number, logits: number, lse: number, post: number, targets: number, N: number, K: number, V: number, scale: number): void;
  // mos-fm.ts (feature-major logitsT [V, C], C = N·K)
  mos_fm_target_logits(tl: number, logitsT: number, bias: number, targets: number, N: number, K: number): void;
  mos_fm_lse(lse: number, sum: number, logitsT: number, bias: number, V: number, C: number, probs: number): void;
  mos_fm_nll(loss: number, post: number, lse: number, tl: number, logprior: number, N: number, K: number): number;
  mos_fm_coef(coef: number, post: number, sum: number, C: number, scale: number): void;
  mos_fm_backward_probs(glT: number, gbias: number, probs: number, coef: number, V: number, C: number): void;
  mos_fm_backward(glT: number, gbias: number, logitsT: number, bias: number, lse: number, post: number, V: number, C: number, scale: number): void;
  mos_fm_backward_targets(glT: number, gbias: number, glogprior: number, post: number, targets: number, N: number, K: number, scale: number): void;
  // gather.ts
  gather_rows(out: number, table: number, ids: number, count: number, E: number): void;
  scatter_add_rows(gtable: number, g: number, ids: number, count: number, E: number): void;
  // lstm.ts
  lstm_gates_forward(pre: number, rec: number, bias: number, cPrev: number, c: number, tc: number, h: number, y: number, H: number, B: number, ld: number): void;
  lstm_gates_backward(dpre: number, dgate: number, dc: number, dy: number, dhRec: number, acts: number, cPrev: number, tc: number, H: number, B: number, ld: number): void;
  lstm_bias_backward(db: number, dpre: number, rows: number, cols: number): void;
  // rhn.ts
  rhn_block_forward(act: number, rec: number, bias: number, sPrev: number, mask: number, sOut: number, smOut: number, y: number, hasPre: number, writeY: number, H: number, B: number, ld: number): void;
  rhn_block_backward(act: number, dgate: number, ds: number, dy: number, hasDy: number, H: number, B: number, ld: number): void;
  rhn_block_forward_part(act: number, rec: number, bias: number, sPrev: number, mask: number, sOut: number, smOut: number, y: number, hasPre: number, writeY: number, H: number, B: number, ld: number, part: number, parts: number): void;
  rhn_block_backward_part(act: number, dgate: number, ds: number, dy: number, hasDy: number, H: number, B: number, ld: number, part: number, parts: number): void;
  rhn_mask_columns(out: number, s: number, ld: number, mask: number, H: number, B: number, T: number): void;
  // onlstm.ts
  onlstm_gates_forward(pre: number, rec: number, bias: number, cPrev: number, c: number, tc: number, h: number, y: number, H: number, C: number, B: number, ld: number): void;
  onlstm_gates_backward(dpre: number, dgate: number, dc: number, dy: number, dhRec: number, cPrev: number, tc: number, H: number, C: number, B: number, ld: number): void;
  onlstm_gates_forward_part(pre: number, rec: number, bias: number, cPrev: number, c: number, tc: number, h: number, y: number, H: number, C: number, B: number, ld: number, part: number, parts: number): void;
  onlstm_gates_backward_part(dpre: number, dgate: number, dc: number, dy: number, dhRec: number, cPrev: number, tc: number, H: number, C: number, B: number, ld: number, part: number, parts: number): void;
  // inference.ts (one token per step: matrix × vector, N ≤ 4 columns for CSR)
  gemv(y: number, a: number, x: number, M: number, K: number, acc: number): void;
  spmv(y: number, rowPtr: number, colIdx: number, values: number, x: number, M: number, N: number, acc: number): void;
  spmv_u16(y: number, rowPtr: number, colIdx16: number, values: number, x: number, M: number, N: number, acc: number): void;
  stream_sum(a: number, n: number): number;
  // sparse.ts (W is CSR: rowPtr, colIdx, values; see src/csr.ts). Each kernel twice: i32 index
  // arrays, and `_u16` for 16-bit ones (CSRMatrix stores them when they fit: IndexArray.wide).
  spmm(y: number, rowPtr: number, colIdx: number, values: number, x: number, M: number, N: number, acc: number): void;
  spmm_u16(y: number, rowPtr: number, colIdx16: number, values: number, x: number, M: number, N: number, acc: number): void;
  spmm_t(y: number, rowPtr: number, colIdx: number, values: number, g: number, M: number, K: number, N: number, acc: number): void;
  spmm_t_u16(y: number, rowPtr: number, colIdx16: number, values: number, g: number, M: number, K: number, N: number, acc: number): void;
  spmm_t_csc(y: number, colPtr: number, rowIdx: number, slotOf: number, values: number, g: number, K: number, N: number, acc: number): void;
  spmm_t_csc_u16(y: number, colPtr: number, rowIdx16: number, slotOf: number, values: number, g: number, K: number, N: number, acc: number): void;
  sddmm(dvalues: number, rowPtr: number, colIdx: number, g: number, x: number, M: number, N: number, acc: number): void;
  sddmm_u16(dvalues: number, rowPtr: number, colIdx16: number, g: number, x: number, M: number, N: number, acc: number): void;
  csr_gather_rows(out: number, rowPtr: number, colIdx: number, values: number, ids: number, count: number, E: number): void;
  csr_gather_rows_u16(out: number, rowPtr: number, colIdx16: number, values: number, ids: number, count: number, E: number): void;
  csr_gather_rows_grad(gvalues: number, rowPtr: number, colIdx: number, g: number, ids: number, count: number, E: number): void;
  csr_gather_rows_grad_u16(gvalues: number, rowPtr: number, colIdx16: number, g: number, ids: number, count: number, E: number): void;
}

/**
 * Thread shares of the parallel kernels: the same arguments as the kernel of that name without
 * `_part`, then (part, parts). Running part 0 .. parts−1 (on any threads, in any order) computes
 * exactly what the single call computes, bit for bit (see each kernel's comment).
 */
export interface PartExports {
  gemm_nn_part(c: number, a: number, b: number, M: number, K: number, N: number, acc: number, part: number, parts: number): void;
  gemm_tn_part(c: number, a: number, b: number, M: number, K: number, N: number, acc: number, part: number, parts: number): void;
  gemm_nt_part(c: number, a: number, b: number, M: number, K: number, N: number, acc: number, part: number, parts: number): void;
  spmm_part(y: number, rowPtr: number, colIdx: number, values: number, x: number, M: number, N: number, acc: number, part: number, parts: number): void;
  spmm_t_part(y: number, rowPtr: number, colIdx: number, values: number, g: number, M: number, K: number, N: number, acc: number, part: number, parts: number): void;
  spmm_t_csc_part(y: number, colPtr: number, rowIdx: number, slotOf: number, values: number, g: number, K: number, N: number, acc: number, part: number, parts: number): void;
  sddmm_part(dvalues: number, rowPtr: number, colIdx: number, g: number, x: number, M: number, N: number, acc: number, part: number, parts: number): void;
  spmm_u16_part(y: number, rowPtr: number, colIdx16: number, values: number, x: number, M: number, N: number, acc: number, part: number, parts: number): void;
  spmm_t_u16_part(y: number, rowPtr: number, colIdx16: number, values: number, g: number, M: number, K: number, N: number, acc: number, part: number, parts: number): void;
  spmm_t_csc_u16_part(y: number, colPtr: number, rowIdx16: number, slotOf: number, values: number, g: number, K: number, N: number, acc: number, part: number, parts: number): void;
  sddmm_u16_part(dvalues: number, rowPtr: number, colIdx16: number, g: number, x: number, M: number, N: number, acc: number, part: number, parts: number): void;
  lstm_gates_forward_part(pre: number, rec: number, bias: number, cPrev: number, c: number, tc: number, h: number, y: number, H: number, B: number, ld: number, part: number, parts: number): void;
  lstm_gates_backward_part(dpre: number, dgate: number, dc: number, dy: number, dhRec: number, acts: number, cPrev: number, tc: number, H: number, B: number, ld: number, part: number, parts: number): void;
  softmax_xent_part(probs: number, losses: number, logits: number, targets: number, rows: number, cols: number, part: number, parts: number): void;
  softmax_xent_backward_part(gx: number, probs: number, targets: number, rows: number, cols: number, scale: number, part: number, parts: number): void;
  mos_nll_part(loss: number, post: number, lse: number, logits: number, logprior: number, targets: number, N: number, K: number, V: number, part: number, parts: number): void;
  mos_nll_backward_part(glogits: number, glogprior: number, logits: number, lse: number, post: number, targets: number, N: number, K: number, V: number, scale: number, part: number, parts: number): void;
  mos_fm_lse_part(lse: number, sum: number, logitsT: number, bias: number, V: number, C: number, probs: number, part: number, parts: number): void;
  mos_fm_backward_probs_part(glT: number, gbias: number, probs: number, coef: number, V: number, C: number, part: number, parts: number): void;
  mos_fm_backward_part(glT: number, gbias: number, logitsT: number, bias: number, lse: number, post: number, V: number, C: number, scale: number, part: number, parts: number): void;
  transpose_part(out: number, a: number, rows: number, cols: number, part: number, parts: number): void;
  axpy_part(y: number, x: number, s: number, n: number, part: number, parts: number): void;
  scale_part(out: number, a: number, s: number, n: number, part: number, parts: number): void;
  fill_part(out: number, v: number, n: number, part: number, parts: number): void;
  scatter_add_rows_part(gtable: number, g: number, ids: number, count: number, E: number, part: number, parts: number): void;
  gemv_part(y: number, a: number, x: number, M: number, K: number, acc: number, part: number, parts: number): void;
  spmv_part(y: number, rowPtr: number, colIdx: number, values: number, x: number, M: number, N: number, acc: number, part: number, parts: number): void;
  spmv_u16_part(y: number, rowPtr: number, colIdx16: number, values: number, x: number, M: number, N: number, acc: number, part: number, parts: number): void;
}

/** Every export of a build: the kernels and their thread shares. */
export type ModuleExports = KernelExports & PartExports;

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

// Smallest module using a v128 instruction: (func (result v128) v128.const 0). Validating it
// tells whether this engine has fixed-width SIMD.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11,
]);

/** True when the engine supports 128-bit SIMD (and so the SIMD kernels are in use). */
export const simdSupported: boolean = WebAssembly.validate(SIMD_PROBE);

/** Pages of the threaded build's shared memory: initial as the other builds, maximum 4 GiB (wasm32's limit). */
const SHARED_INITIAL_PAGES = 32;
const SHARED_MAXIMUM_PAGES = 65536;

/**
 * True when this engine can run the threaded build: SIMD, SharedArrayBuffer and Atomics, a shared
 * WebAssembly.Memory, and in browsers a cross-origin-isolated page (COOP/COEP headers).
 */
export const threadsSupported: boolean = (() => {
  if (!simdSupported || typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') return false;
  if ((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) return false;
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
})();

/** The imports of every build; `memory` only for the threaded one. */
export function kernelImports(memory?: WebAssembly.Memory): WebAssembly.Imports {
  return {
    env: {
      ...(memory ? { memory } : {}),
      abort(_msg: number, _file: number, line: number, col: number): never {
        throw new Error(`selfish-rnn: wasm kernel aborted at ${line}:${col}`);
      },
    },
  };
}

function instantiate(b64: string, memory?: WebAssembly.Memory): ModuleExports {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(decodeBase64(b64)), kernelImports(memory));
  // A plain object (not the frozen exports object): the worker pool swaps the parallel kernels in.
  return { ...(instance.exports as unknown as ModuleExports), memory: memory ?? (instance.exports.memory as WebAssembly.Memory) };
}

/** The build in use. */
export const activeBuild: 'threads' | 'simd' | 'scalar' = threadsSupported ? 'threads' : simdSupported ? 'simd' : 'scalar';

/** True while the relaxed-SIMD twin of the active build is in use (see kernel-build.ts). */
export let relaxedSimdActive = false;

/**
 * The compiled threaded build, which every worker instantiates on the same memory (null when
 * unsupported); the relaxed twin while that is in use.
 */
export let threadsModule: WebAssembly.Module | null = threadsSupported ? new WebAssembly.Module(decodeBase64(THREADS_WASM_BASE64)) : null;

/** A fresh memory for a build that imports it: shared for the threaded build. */
function newMemory(shared: boolean): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: SHARED_INITIAL_PAGES, maximum: SHARED_MAXIMUM_PAGES, shared });
}

function instantiateActive(): ModuleExports {
  if (threadsModule === null) return simdSupported ? instantiate(SIMD_WASM_BASE64, newMemory(false)) : instantiate(SCALAR_WASM_BASE64);
  const memory = newMemory(true);
  const instance = new WebAssembly.Instance(threadsModule, kernelImports(memory));
  return { ...(instance.exports as unknown as ModuleExports), memory };
}

/** The raw exports of the build in use: kernels and thread shares, always single-threaded calls. */
export const rawKernels: ModuleExports = instantiateActive();

/**
 * The kernels of the build in use. With the worker pool running (setThreads), the parallel
 * kernels in this object are replaced by dispatchers that split large calls across the threads.
 */
export const kernels: KernelExports = { ...rawKernels };

export type BuildName = 'simd' | 'scalar' | 'threads' | 'simd-relaxed' | 'threads-relaxed';
const BUILD_BYTES: Record<BuildName, () => string> = {
  simd: () => SIMD_WASM_BASE64, scalar: () => SCALAR_WASM_BASE64, threads: () => THREADS_WASM_BASE64,
  'simd-relaxed': () => SIMD_RELAXED_WASM_BASE64, 'threads-relaxed': () => THREADS_RELAXED_WASM_BASE64,
};

/** Instantiates a specific build in its own memory: used by tests and benchmarks to compare builds. */
export async function loadBuild(build: BuildName): Promise<ModuleExports> {
  if (build === 'scalar') return instantiate(SCALAR_WASM_BASE64);
  return instantiate(BUILD_BYTES[build](), newMemory(build.startsWith('threads')));
}

const relaxedValid = new Map<BuildName, boolean>();
/** True when this engine validates `build` (for the relaxed twins: has relaxed SIMD enabled). */
export function buildSupported(build: BuildName): boolean {
  if (build === 'scalar') return true;
  if (build === 'simd') return simdSupported;
  if (build === 'threads') return threadsSupported;
  if (build === 'threads-relaxed' && !threadsSupported) return false;
  if (!relaxedValid.has(build)) relaxedValid.set(build, simdSupported && WebAssembly.validate(decodeBase64(BUILD_BYTES[build]())));
  return relaxedValid.get(build)!;
}

/**
 * Replaces the kernels of `rawKernels` and `kernels` with those of the active build's relaxed
 * twin (on = true) or of the active build itself, instantiated on the same memory. The caller
 * (kernel-build.ts) stops the worker pool first and restarts it after. The twins have the same
 * static data layout (checked: heap_base), so the tensors already in memory stay where they are.
 */
export async function swapToRelaxed(on: boolean): Promise<void> {
  if (on === relaxedSimdActive) return;
  if (activeBuild === 'scalar') throw new Error('selfish-rnn: relaxed SIMD needs the SIMD build, and this engine has no wasm SIMD');
  const name: BuildName = activeBuild === 'threads' ? (on ? 'threads-relaxed' : 'threads') : (on ? 'simd-relaxed' : 'simd');
  const module = await WebAssembly.compile(decodeBase64(BUILD_BYTES[name]()));
  const instance = await WebAssembly.instantiate(module, kernelImports(rawKernels.memory));
  const fresh = instance.exports as unknown as ModuleExports;
  if (fresh.heap_base() !== rawKernels.heap_base()) throw new Error(`selfish-rnn: the ${name} build's static data differs from the active build's (heap base ${fresh.heap_base()} vs ${rawKernels.heap_base()}); rebuild the kernels`);
  const memory = rawKernels.memory;
  Object.assign(rawKernels, fresh, { memory });
  Object.assign(kernels, fresh, { memory });
  if (activeBuild === 'threads') threadsModule = module;
  relaxedSimdActive = on;
}
