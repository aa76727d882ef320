// Thread control: setThreads(n) starts the worker pool (src/backend/pool.ts) and swaps the
// parallel kernels of `kernels` for dispatchers that split a call into one share per thread when
// the call is large enough to pay for the hand-off; small calls run on the calling thread. Every
// split gives the bits of the single call (see the `_part` kernels), so results do not depend on
// the thread count.
import { heap } from './memory.js';
import { kernels, rawKernels, threadsSupported, type KernelExports } from './wasm.js';
import { canBlock, isServerRuntime, loadNodeWorkers, poolThreads, poolWorkerUrl, runShared, startPool, stopPool, usesWebWorkers } from './pool.js';
import { workerSourceAt } from './web-workers.js';
import type { ParallelKernel } from './pool-protocol.js';

// Smallest calls worth splitting, in multiply-adds (or elements for the element-wise kernels).
// Cost model: a split costs a few µs on an idle machine when the worker joins (it spins between
// calls), and ~0.2 µs when it does not (the caller claims every share itself); one core does
// ~15·10⁹ multiply-adds/s in these kernels, so a split pays from ~10⁵ multiply-adds and the
// thresholds sit a few times above that. `npm run bench -- threads` prints the measured table
// (`threshold`); on an idle machine splits won from about 10⁵ multiply-adds (bench/RESULTS.md,
// `threads`), so these thresholds are on the safe side.
const MIN_PRODUCT_WORK = 1 << 19;
const MIN_SPARSE_WORK = 1 << 19;
const MIN_ROW_WORK = 1 << 15;
const MIN_ELEMENTS = 1 << 17;
/**
 * The scatter SpMMᵀ splits the columns of Y: narrower shares than 32 columns (two cache lines)
 * would have the threads writing the same cache lines of every row of Y (false sharing; measured
 * 8× slower at N = 20). Below this N the layers use the gather form (spmm_t_csc, split by rows
 * of Y, the same bits): see preferGatherTranspose.
 */
export const SPMM_T_MIN_COLUMNS = 64;

type Kernels = Record<string, (...a: number[]) => number | void>;

/** Tests only: split every call, whatever its size (see forceSplitForTests). */
let forced = false;

/**
 * Tests only: makes the dispatchers split every call, however small, so that a tiny model runs
 * every kernel through the thread shares. Returns the previous setting.
 */
export function forceSplitForTests(on: boolean): boolean {
  const prev = forced;
  forced = on;
  return prev;
}
const raw = rawKernels as unknown as Kernels;

/** Nonzeros of a CSR/CSC matrix with `rows` rows whose pointers are at byte offset ptr. */
function nnzOf(ptr: number, rows: number): number {
  const i32 = heap.i32();
  return i32[(ptr >> 2) + rows]! - i32[ptr >> 2]!;
}

/** Sums n f32 at byte offset p in f64, in order: what the single-call kernel returns. */
function sumInOrder(p: number, n: number): number {
  const f32 = heap.f32();
  let total = 0;
  for (let i = 0; i < n; i++) total += f32[(p >> 2) + i]!;
  return total;
}

function splitIf(name: ParallelKernel, large: (...a: number[]) => boolean): (...a: number[]) => void {
  // raw[name] is looked up per call: setRelaxedSimd swaps the functions of rawKernels.
  return (...a: number[]) => {
    if (forced || large(...a)) runShared(name, a);
    else raw[name]!(...a);
  };
}

/** The dispatchers, by kernel name. */
const dispatchers: Partial<Record<keyof KernelExports, (...a: number[]) => number | void>> = {
  gemm_nn: splitIf('gemm_nn', (_c, _a, _b, M, K, N) => M! >= 8 && M! * K! * N! >= MIN_PRODUCT_WORK),
  gemm_tn: splitIf('gemm_tn', (_c, _a, _b, M, K, N) => M! >= 8 && M! * K! * N! >= MIN_PRODUCT_WORK),
  gemm_nt: splitIf('gemm_nt', (_c, _a, _b, M, K, N) => M! >= 8 && M! * K! * N! >= MIN_PRODUCT_WORK),
  spmm: splitIf('spmm', (_y, rowPtr, _c, _v, _x, M, N) => M! > 1 && N! > 0 && nnzOf(rowPtr!, M!) * N! >= MIN_SPARSE_WORK),
  spmm_t: splitIf('spmm_t', (_y, rowPtr, _c, _v, _g, M, K, N) => N! >= SPMM_T_MIN_COLUMNS && K! > 0 && M! > 0 && nnzOf(rowPtr!, M!) * N! >= MIN_SPARSE_WORK),
  spmm_t_csc: splitIf('spmm_t_csc', (_y, colPtr, _r, _s, _v, _g, K, N) => K! > 1 && N! > 0 && nnzOf(colPtr!, K!) * N! >= MIN_SPARSE_WORK),
  sddmm: splitIf('sddmm', (_d, rowPtr, _c, _g, _x, M, N) => M! > 1 && N! > 0 && nnzOf(rowPtr!, M!) * N! >= MIN_SPARSE_WORK),
  // The same with 16-bit index arrays (the same shares, the same thresholds).
  spmm_u16: splitIf('spmm_u16', (_y, rowPtr, _c, _v, _x, M, N) => M! > 1 && N! > 0 && nnzOf(rowPtr!, M!) * N! >= MIN_SPARSE_WORK),
  spmm_t_u16: splitIf('spmm_t_u16', (_y, rowPtr, _c, _v, _g, M, K, N) => N! >= SPMM_T_MIN_COLUMNS && K! > 0 && M! > 0 && nnzOf(rowPtr!, M!) * N! >= MIN_SPARSE_WORK),
  spmm_t_csc_u16: splitIf('spmm_t_csc_u16', (_y, colPtr, _r, _s, _v, _g, K, N) => K! > 1 && N! > 0 && nnzOf(colPtr!, K!) * N! >= MIN_SPARSE_WORK),
  sddmm_u16: splitIf('sddmm_u16', (_d, rowPtr, _c, _g, _x, M, N) => M! > 1 && N! > 0 && nnzOf(rowPtr!, M!) * N! >= MIN_SPARSE_WORK),
  // One token per step (the inference path): row shares, above the same work thresholds.
  gemv: splitIf('gemv', (_y, _a, _x, M, K) => M! >= 8 && M! * K! >= MIN_PRODUCT_WORK),
  spmv: splitIf('spmv', (_y, rowPtr, _c, _v, _x, M, N) => M! > 1 && N! > 0 && nnzOf(rowPtr!, M!) * N! >= MIN_SPARSE_WORK),
  spmv_u16: splitIf('spmv_u16', (_y, rowPtr, _c, _v, _x, M, N) => M! > 1 && N! > 0 && nnzOf(rowPtr!, M!) * N! >= MIN_SPARSE_WORK),
  lstm_gates_forward: splitIf('lstm_gates_forward', (...a) => a[8]! * a[9]! * 4 >= MIN_ROW_WORK),
  lstm_gates_backward: splitIf('lstm_gates_backward', (...a) => a[8]! * a[9]! * 4 >= MIN_ROW_WORK),
  // RHN highway blocks: shares of the H units (args H, B at 10, 11 forward; 5, 6 backward).
  rhn_block_forward: splitIf('rhn_block_forward', (...a) => a[10]! >= 8 && a[10]! * a[11]! * 4 >= MIN_ROW_WORK),
  rhn_block_backward: splitIf('rhn_block_backward', (...a) => a[5]! >= 8 && a[5]! * a[6]! * 4 >= MIN_ROW_WORK),
  // ON-LSTM: shares of whole 4-column groups (a column's chunks depend on each other), so ≥ 8 columns.
  onlstm_gates_forward: splitIf('onlstm_gates_forward', (...a) => a[10]! >= 8 && a[8]! * a[10]! * 4 >= MIN_ROW_WORK),
  onlstm_gates_backward: splitIf('onlstm_gates_backward', (...a) => a[9]! >= 8 && a[7]! * a[9]! * 4 >= MIN_ROW_WORK),
  softmax_xent(probs: number, losses: number, logits: number, targets: number, rows: number, cols: number): number {
    if (!forced && (rows < 2 || rows * cols < MIN_ROW_WORK)) return raw.softmax_xent!(probs, losses, logits, targets, rows, cols) as number;
    runShared('softmax_xent', [probs, losses, logits, targets, rows, cols]);
    return sumInOrder(losses, rows);
  },
  softmax_xent_backward: splitIf('softmax_xent_backward', (_g, _p, _t, rows, cols) => rows! >= 2 && rows! * cols! >= MIN_ROW_WORK),
  mos_nll(loss: number, post: number, lse: number, logits: number, logprior: number, targets: number, N: number, K: number, V: number): number {
    if (!forced && (N < 2 || N * K * V < MIN_ROW_WORK)) return raw.mos_nll!(loss, post, lse, logits, logprior, targets, N, K, V) as number;
    runShared('mos_nll', [loss, post, lse, logits, logprior, targets, N, K, V]);
    return sumInOrder(loss, N);
  },
  mos_nll_backward: splitIf('mos_nll_backward', (...a) => a[6]! >= 2 && a[6]! * a[7]! * a[8]! >= MIN_ROW_WORK),
  // Feature-major MoS: lse by column groups (≥ 4 columns each), the backward by rows of words.
  mos_fm_lse: splitIf('mos_fm_lse', (_l, _s, _x, _b, V, C) => C! >= 8 && V! * C! >= MIN_ROW_WORK),
  mos_fm_backward: splitIf('mos_fm_backward', (_g, _gb, _x, _b, _l, _p, V, C) => V! >= 2 && V! * C! >= MIN_ROW_WORK),
  mos_fm_backward_probs: splitIf('mos_fm_backward_probs', (_g, _gb, _p, _c, V, C) => V! >= 2 && V! * C! >= MIN_ELEMENTS),
  transpose: splitIf('transpose', (_o, _a, rows, cols) => rows! >= 16 && rows! * cols! >= MIN_ELEMENTS),
  axpy: splitIf('axpy', (_y, _x, _s, n) => n! >= MIN_ELEMENTS),
  scale: splitIf('scale', (_o, _a, _s, n) => n! >= MIN_ELEMENTS),
  fill: splitIf('fill', (_o, _v, n) => n! >= MIN_ELEMENTS),
  // Column shares: only when each is at least 32 columns wide (no shared cache lines, as spmm_t).
  scatter_add_rows: splitIf('scatter_add_rows', (_t, _g, _i, count, E) => E! >= SPMM_T_MIN_COLUMNS && count! * E! >= MIN_ELEMENTS),
};

/**
 * True when Wᵀ·G over N columns should use the gather form (spmm_t_csc through the matrix's CSC
 * index) rather than the scatter form: with threads, for N too narrow to split by columns. Both
 * forms accumulate each output in the order of W's rows: the same bits.
 */
export function preferGatherTranspose(N: number): boolean {
  return poolThreads() > 1 && N < SPMM_T_MIN_COLUMNS;
}

/** Threads in use (1: no pool). */
export function getThreads(): number {
  return poolThreads();
}

/** The number of logical cores (os.availableParallelism in Node, navigator.hardwareConcurrency elsewhere). */
export async function availableCores(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (typeof nav?.hardwareConcurrency === 'number' && nav.hardwareConcurrency > 0) return nav.hardwareConcurrency;
  if (!isServerRuntime()) return 1;
  try {
    return (await loadNodeWorkers()).nodeCores();
  } catch {
    return 1;
  }
}

/** Why the last setThreads(n > 1) could not start its workers (null after a start that worked). */
let startFailure: string | null = null;

/** Why this engine or thread cannot run threads at all, or null. */
function environmentReason(): string | null {
  if (!threadsSupported) return 'this engine cannot share wasm memory (needs SharedArrayBuffer, Atomics and wasm SIMD; in a browser, a cross-origin-isolated page)';
  if (!canBlock()) return 'the calling thread may not block (a browser\'s main thread): run the training in a Web Worker';
  return null;
}

/**
 * Why threads cannot be used here, or null when they can: this engine or thread cannot run them,
 * or the last setThreads(n > 1) could not start its workers (naming the worker's URL and why).
 */
export function threadsUnavailableReason(): string | null {
  return environmentReason() ?? startFailure;
}

/** Options of setThreads. */
export interface ThreadOptions {
  /**
   * Browsers: the URL of the pool worker script (a served copy of the package's
   * dist/pool-worker.js), resolved against the calling script's location; remembered for later
   * calls (`workerUrl: undefined` goes back to the default). Default: the built-in copy, started
   * from a blob: URL. Where a Content-Security-Policy does not allow blob: workers, serve the file
   * and name it here. Node and Deno start their worker_threads from the package's own file and do
   * not use it.
   */
  workerUrl?: string | URL;
}

/** The workerUrl given to setThreads, kept for later calls (setRelaxedSimd restarts the pool). */
let workerUrl: string | URL | undefined;

/**
 * Uses `n` threads for the kernels (default: every core); resolves with the number in use. Where
 * threads are unavailable (see threadsUnavailableReason) it resolves with 1 and everything runs on
 * the calling thread as before; so it does when the workers cannot start (e.g. their script does
 * not load), and threadsUnavailableReason() then names the script's URL and why. Results are
 * bit-identical for any thread count.
 */
export async function setThreads(n?: number, options: ThreadOptions = {}): Promise<number> {
  if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > 256)) {
    throw new RangeError(`selfish-rnn: setThreads: the thread count must be an integer from 1 to 256, got ${String(n)}`);
  }
  if (options === null || typeof options !== 'object') throw new TypeError(`selfish-rnn: setThreads: options must be an object ({ workerUrl }), got ${String(options)}`);
  for (const key of Object.keys(options)) {
    if (key !== 'workerUrl') throw new TypeError(`selfish-rnn: setThreads: unknown option ${JSON.stringify(key)} (the one option is workerUrl)`);
  }
  if (Object.hasOwn(options, 'workerUrl')) {
    const url = options.workerUrl;
    if (url !== undefined && typeof url !== 'string' && !(url instanceof URL)) throw new TypeError(`selfish-rnn: setThreads: workerUrl must be a string or a URL, got ${url === null ? 'null' : typeof url}`);
    if (url !== undefined && usesWebWorkers()) workerSourceAt(url); // a URL that does not parse is an error now, not a failed start
    workerUrl = url;
  }
  const want = n ?? (await availableCores());
  const k = kernels as unknown as Kernels;
  const sameWorkers = !usesWebWorkers() || poolWorkerUrl() === (workerUrl === undefined ? null : workerSourceAt(workerUrl).url);
  if (want === poolThreads() && (want === 1 || sameWorkers)) return want;
  // Back to plain single-thread kernels while the pool changes.
  for (const name of Object.keys(dispatchers)) k[name] = raw[name]!;
  stopPool();
  if (want <= 1 || environmentReason() !== null) return 1;
  try {
    await startPool(want, workerUrl);
  } catch (e) {
    startFailure = (e instanceof Error ? e.message : String(e)).replace(/^selfish-rnn: /, '');
    return 1;
  }
  startFailure = null;
  for (const [name, fn] of Object.entries(dispatchers)) k[name] = fn!;
  return want;
}
