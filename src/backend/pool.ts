// The worker pool: threads − 1 workers that run shares of kernel calls on the same wasm memory as
// the calling thread (the threaded build, src/backend/wasm.ts). One code path for Node
// (worker_threads), Deno and browsers (Web Workers). A call: the caller writes the command into
// the shared block (src/backend/pool-protocol.ts), wakes the workers, claims and runs shares
// like them, then waits until every share is done: spinning briefly, then Atomics.wait.
//
// The calling thread blocks while it waits, which a browser's main thread may not do: there the
// pool refuses to start, and the runtime belongs in a Web Worker (a cross-origin-isolated page
// can start one and call setThreads inside it). In Node and Deno the workers are node:worker_threads
// and unref'd, so a finished program exits without waiting for idle workers; in a browser, Web
// Workers (the page's lifetime bounds theirs). stopPool() (setThreads(1)) ends them everywhere.
import { heap } from './memory.js';
import { rawKernels, threadsModule, type PartExports } from './wasm.js';
import {
  ARGS_OFFSET, BLOCK_BYTES, DONE, ERROR, KERNEL, MAX_ARGS, NEXT, PARALLEL_KERNELS, PARTS, READY, SEQ, STOP,
  readMessage, waitWhileEqual, type ParallelKernel, type WorkerInit,
} from './pool-protocol.js';

interface WorkerHandle {
  terminate(): void;
}

interface Pool {
  threads: number;
  control: SharedArrayBuffer;
  ctrl: Int32Array;
  args: Float64Array;
  workers: WorkerHandle[];
  scratch: number[];
}

let pool: Pool | null = null;
// Looked up per call, not captured: setRelaxedSimd swaps the functions of rawKernels.
const shareNames = PARALLEL_KERNELS.map((name) => `${name}_part`);
const shareOf = (id: number) => (rawKernels as unknown as Record<string, (...a: number[]) => void>)[shareNames[id]!]!;
const SCRATCH_ALIGN = 64;

/** True on a thread that may block in Atomics.wait (not a browser's main thread). */
export function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Which worker API to use. Node and Deno: node:worker_threads, whose workers can be unref'd (a
 * Deno Web Worker keeps the process alive while it exists, and an idle pool worker always exists).
 * Browsers: Web Workers. 'web' forces Web Workers (tests use it to run that path under Deno).
 */
let flavor: 'auto' | 'web' = 'auto';
export function setWorkerFlavorForTests(f: 'auto' | 'web'): void {
  flavor = f;
}

function useWorkerThreads(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return flavor === 'auto' && (typeof p?.versions?.node === 'string' || 'Deno' in globalThis);
}

/** Starts one worker; resolves with its handle once it reports an error-free start. */
async function spawn(init: WorkerInit, ctrl: Int32Array): Promise<WorkerHandle> {
  const url = new URL('./pool-worker.js', import.meta.url);
  let fail: (e: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => { fail = reject; });
  const describe = (e: unknown) => new Error(`selfish-rnn: worker thread ${init.id} failed to start: ${e instanceof Error ? e.message : String((e as { message?: unknown })?.message ?? e)}`);
  let handle: WorkerHandle;
  if (useWorkerThreads()) {
    const { Worker } = await import('node:worker_threads');
    // No Node options for the worker (execArgv: []): by default it would inherit the parent's, and
    // some stop it from starting (`node --input-type=module -e …`: the option needs -e). It runs
    // our own plain module, and V8 flags (e.g. --experimental-wasm-relaxed-simd) are process-wide.
    const w = new Worker(url, { workerData: init, execArgv: [] });
    w.on('error', (e) => fail(describe(e)));
    w.on('message', (m: { error?: string }) => { if (m?.error) fail(describe(m.error)); });
    w.on('exit', (code) => fail(describe(`exited with code ${code}`)));
    w.unref();
    handle = { terminate: () => { void w.terminate(); } };
  } else {
    const WorkerCtor = (globalThis as unknown as { Worker: new (u: URL, o: { type: 'module' }) => Worker }).Worker;
    const w = new WorkerCtor(url, { type: 'module' });
    w.onerror = (e) => { e.preventDefault?.(); fail(describe(e)); };
    w.onmessage = (m: MessageEvent<{ error?: string }>) => { if (m.data?.error) fail(describe(m.data.error)); };
    w.postMessage(init);
    handle = { terminate: () => w.terminate() };
  }
  // Ready when READY counts this worker; polled asynchronously (the event loop must keep running
  // for a worker to load its script, so the caller cannot block here).
  const ready = (async () => {
    while (Atomics.load(ctrl, READY) < init.id) await new Promise((r) => setTimeout(r, 1));
  })();
  failed.catch(() => {}); // a failure after start (e.g. terminate) has no one left to tell
  await Promise.race([ready, failed]);
  return handle;
}

/** Stops the workers and frees their scratch; the kernels run on the calling thread alone. */
export function stopPool(): void {
  if (pool === null) return;
  const p = pool;
  pool = null;
  Atomics.store(p.ctrl, STOP, 1);
  Atomics.add(p.ctrl, SEQ, 1);
  Atomics.notify(p.ctrl, SEQ);
  for (const w of p.workers) w.terminate();
  for (const s of p.scratch) heap.free(s, rawKernels.scratch_bytes() + SCRATCH_ALIGN);
}

/**
 * Starts `threads` − 1 workers (the caller is the first thread). Requires the threaded build
 * (threadsModule) and a thread that may block.
 */
export async function startPool(threads: number): Promise<void> {
  stopPool();
  if (threads <= 1) return;
  if (threadsModule === null) throw new Error('selfish-rnn: this engine cannot run the threaded build (needs SharedArrayBuffer, Atomics and wasm SIMD; in a browser, a cross-origin-isolated page)');
  if (!canBlock()) {
    throw new Error('selfish-rnn: threads need a thread that may block (Atomics.wait), which a browser\'s main thread may not: run the training in a Web Worker');
  }
  const control = new SharedArrayBuffer(BLOCK_BYTES);
  const ctrl = new Int32Array(control);
  const scratch: number[] = [];
  const workers: WorkerHandle[] = [];
  try {
    for (let id = 1; id < threads; id++) {
      // Allocation stays on the calling thread: each worker's scratch comes from the heap.
      const block = heap.alloc(rawKernels.scratch_bytes() + SCRATCH_ALIGN);
      scratch.push(block);
      const init: WorkerInit = {
        memory: rawKernels.memory, module: threadsModule, control, id,
        scratch: Math.ceil(block / SCRATCH_ALIGN) * SCRATCH_ALIGN,
      };
      workers.push(await spawn(init, ctrl));
    }
  } catch (e) {
    Atomics.store(ctrl, STOP, 1);
    Atomics.add(ctrl, SEQ, 1);
    Atomics.notify(ctrl, SEQ);
    for (const w of workers) w.terminate();
    for (const s of scratch) heap.free(s, rawKernels.scratch_bytes() + SCRATCH_ALIGN);
    throw e;
  }
  pool = { threads, control, ctrl, args: new Float64Array(control, ARGS_OFFSET, MAX_ARGS), workers, scratch };
}

/** Threads of the running pool (1 when none). */
export function poolThreads(): number {
  return pool?.threads ?? 1;
}

/**
 * Runs `kernel` split into one share per thread and returns when all are done. A share that
 * threw on a worker is rethrown here, naming the worker and the kernel.
 */
export function runShared(kernel: ParallelKernel, args: number[]): void {
  const p = pool;
  const id = PARALLEL_KERNELS.indexOf(kernel);
  const share = shareOf(id);
  if (p === null) {
    share(...args, 0, 1);
    return;
  }
  const parts = p.threads, ctrl = p.ctrl;
  for (let i = 0; i < args.length; i++) p.args[i] = args[i]!;
  ctrl[KERNEL] = id;
  ctrl[PARTS] = parts;
  ctrl[ERROR] = 0;
  Atomics.store(ctrl, DONE, 0);
  Atomics.store(ctrl, NEXT, 0);
  Atomics.add(ctrl, SEQ, 1);
  Atomics.notify(ctrl, SEQ);
  // The caller claims shares like any worker (share 0 first, normally), then waits for the
  // shares other threads claimed.
  let own: Error | null = null;
  for (let part = Atomics.add(ctrl, NEXT, 1); part < parts; part = Atomics.add(ctrl, NEXT, 1)) {
    try {
      share(...args, part, parts);
    } catch (e) {
      own ??= new Error(`selfish-rnn: ${kernel} share ${part} of ${parts} failed on the calling thread: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    Atomics.add(ctrl, DONE, 1);
  }
  for (let done = Atomics.load(ctrl, DONE); done < parts; done = Atomics.load(ctrl, DONE)) waitWhileEqual(ctrl, DONE, done);
  const failed = Atomics.load(ctrl, ERROR);
  if (failed !== 0) throw new Error(`selfish-rnn: ${readMessage(p.control)}`);
  if (own !== null) throw own;
}

export type { PartExports };
