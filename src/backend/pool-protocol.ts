// The command block shared by the calling thread and the pool's workers (src/backend/pool.ts,
// src/backend/pool-worker.ts). A kernel call never goes through postMessage: the caller writes
// the kernel's number and arguments here, bumps SEQ and wakes the workers with Atomics.notify.
// Every thread, the caller included, then claims shares (NEXT, atomically) until none is left,
// runs each claimed share and counts it in DONE; the caller returns when DONE = PARTS. Shares
// are claimed, not assigned: when a worker is descheduled (a busy machine), the caller runs its
// share instead of waiting for it, so the call slows down in proportion instead of waiting a
// time slice per call. Any thread may run any share: the bits do not change. The block is its
// own SharedArrayBuffer (not wasm memory), so it never moves when the wasm memory grows.

/** The kernels the pool can split, by number: each has a `<name>_part` export (see PartExports). */
export const PARALLEL_KERNELS = [
  'gemm_nn', 'gemm_tn', 'gemm_nt',
  'spmm', 'spmm_t', 'spmm_t_csc', 'sddmm', 'spmm_u16', 'spmm_t_u16', 'spmm_t_csc_u16', 'sddmm_u16',
  'lstm_gates_forward', 'lstm_gates_backward', 'onlstm_gates_forward', 'onlstm_gates_backward',
  'rhn_block_forward', 'rhn_block_backward',
  'softmax_xent', 'softmax_xent_backward', 'mos_nll', 'mos_nll_backward', 'mos_fm_lse', 'mos_fm_backward', 'mos_fm_backward_probs',
  'transpose', 'axpy', 'scale', 'fill', 'scatter_add_rows',
  'gemv', 'spmv', 'spmv_u16',
] as const;
export type ParallelKernel = (typeof PARALLEL_KERNELS)[number];

// Int32 slots.
/** Command sequence number: workers wait for it to change. */
export const SEQ = 0;
/** Shares of the current command finished (by any thread). */
export const DONE = 1;
/** Index into PARALLEL_KERNELS of the current command. */
export const KERNEL = 2;
/** Shares of the current command (0 .. PARTS−1). */
export const PARTS = 3;
/** Set to 1 (then SEQ bumped) to make the workers leave their loop. */
export const STOP = 4;
/** 0, or 1 + the id of the first worker whose share threw; its message is at MESSAGE. */
export const ERROR = 5;
/** Length of the error message in UTF-16 units. */
export const ERROR_LENGTH = 6;
/** Workers that finished starting (instantiated their module). */
export const READY = 7;
/** The next unclaimed share of the current command (claimed with Atomics.add). */
export const NEXT = 8;

/** Byte offset of the arguments (Float64, exact for every i32 pointer and every f32). */
export const ARGS_OFFSET = 64;
export const MAX_ARGS = 16;
/** Byte offset and capacity (UTF-16 units) of the error message. */
export const MESSAGE_OFFSET = ARGS_OFFSET + MAX_ARGS * 8;
export const MESSAGE_CAPACITY = 1024;
export const BLOCK_BYTES = MESSAGE_OFFSET + MESSAGE_CAPACITY * 2;

/**
 * Polls of a shared counter before blocking in Atomics.wait. Kernel calls of a training step
 * follow each other within microseconds, so a short spin saves the futex wake-up (tens of µs);
 * a longer one would burn a core that another process needs (the PyTorch/OpenMP trap).
 */
export const SPIN_POLLS = 20000;

/** What a worker receives once, at start. */
export interface WorkerInit {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  control: SharedArrayBuffer;
  /** This worker's number (1 .. threads−1; the caller is 0). */
  id: number;
  /** Its scratch region in wasm memory (assembly/scratch.ts). */
  scratch: number;
}

/** Writes a message into the block (truncated to MESSAGE_CAPACITY). */
export function writeMessage(control: SharedArrayBuffer, text: string): void {
  const units = new Uint16Array(control, MESSAGE_OFFSET, MESSAGE_CAPACITY);
  const n = Math.min(text.length, MESSAGE_CAPACITY);
  for (let i = 0; i < n; i++) units[i] = text.charCodeAt(i);
  new Int32Array(control)[ERROR_LENGTH] = n;
}

/** Reads the message written by writeMessage. */
export function readMessage(control: SharedArrayBuffer): string {
  const n = new Int32Array(control)[ERROR_LENGTH]!;
  const units = new Uint16Array(control, MESSAGE_OFFSET, n);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(units[i]!);
  return s;
}

/** Waits until control[slot] !== value: polls SPIN_POLLS times, then blocks in Atomics.wait. */
export function waitWhileEqual(control: Int32Array, slot: number, value: number): void {
  for (let i = 0; i < SPIN_POLLS; i++) if (Atomics.load(control, slot) !== value) return;
  while (Atomics.load(control, slot) === value) Atomics.wait(control, slot, value);
}
