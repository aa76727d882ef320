// The worker pool: threads − 1 workers that run shares of kernel calls on the same wasm memory as
// the calling thread (the threaded build, src/backend/wasm.ts). One protocol for Node
// (worker_threads), Deno and browsers (Web Workers). A call: the caller writes the command into
// the shared block (src/backend/pool-protocol.ts), wakes the workers, claims and runs shares
// like them, then waits until every share is done: spinning briefly, then Atomics.wait.
//
// The calling thread blocks while it waits, which a browser's main thread may not do: there the
// pool refuses to start, and the runtime belongs in a Web Worker (a cross-origin-isolated page
// can start one and call setThreads inside it). In Node and Deno the workers are node:worker_threads
// and unref'd, so a finished program exits without waiting for idle workers
// (src/backend/node-workers.ts); in a browser, Web Workers (src/backend/web-workers.ts; the page's
// lifetime bounds theirs). stopPool() (setThreads(1)) ends them everywhere.
import { heap } from './memory.js';
import { rawKernels, threadsModule, type PartExports } from './wasm.js';
import {
  ARGS_OFFSET, BLOCK_BYTES, DONE, ERROR, KERNEL, MAX_ARGS, NEXT, PARALLEL_KERNELS, PARTS, READY, SEQ, STOP,
  readMessage, waitWhileEqual, type ParallelKernel, type WorkerInit,
} from './pool-protocol.js';
import { builtInWorkerSource, startWebWorker, workerSourceAt, type WorkerHandle } from './web-workers.js';

interface Pool {
  threads: number;
  control: SharedArrayBuffer;
  ctrl: Int32Array;
  args: Float64Array;
  workers: WorkerHandle[];
  scratch: number[];
  /** The workerUrl the Web Workers were started from (null: the built-in one, or worker_threads). */
  workerUrl: string | null;
}

let pool: Pool | null = null;
// Looked up per call, not captured: setRelaxedSimd swaps the functions of rawKernels.
const shareNames = PARALLEL_KERNELS.map((name) => `${name}_part`);
const shareOf = (id: number) => (rawKernels as unknown as Record<string, (...a: number[]) => void>)[shareNames[id]!]!;
const SCRATCH_ALIGN = 64;
/** A worker that neither reports ready nor fails within this time is taken as failed (a script that is not the pool worker). */
let startTimeoutMs = 30_000;
/** Tests only: sets the start timeout (ms); returns the previous one. */
export function setWorkerStartTimeoutForTests(ms: number): number {
  const prev = startTimeoutMs;
  startTimeoutMs = ms;
  return prev;
}

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

/** True under Node or Deno (which have node:worker_threads and node:os). */
export function isServerRuntime(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string' || 'Deno' in globalThis;
}

function useWorkerThreads(): boolean {
  return flavor === 'auto' && isServerRuntime();
}

/** True where the pool runs Web Workers (browsers), which setThreads' workerUrl is for. */
export function usesWebWorkers(): boolean {
  return !useWorkerThreads();
}

type NodeWorkers = typeof import('./node-workers.js');
let nodeWorkers: Promise<NodeWorkers> | null = null;
/**
 * The Node/Deno side (src/backend/node-workers.ts), loaded on first use under Node or Deno only.
 * The specifier is a parameter and the import carries the bundlers' ignore comments, so that
 * esbuild, Vite and webpack leave it alone: a browser bundle then has no `node:` module and no
 * worker file URL (the bundlers' script formats have no import.meta), and runs unchanged.
 */
export function loadNodeWorkers(): Promise<NodeWorkers> {
  const load = (specifier: string) => import(/* webpackIgnore: true */ /* @vite-ignore */ specifier) as Promise<NodeWorkers>;
  return (nodeWorkers ??= load('./node-workers.js'));
}

/**
 * Starts one worker; resolves with its handle once it reports an error-free start, or rejects
 * with "worker thread <id> failed to start from <its script>: <why>" (the worker ended).
 */
async function spawn(init: WorkerInit, ctrl: Int32Array, workerUrl: string | URL | undefined): Promise<WorkerHandle> {
  let from = '';
  const failedToStart = (why: string) => new Error(`selfish-rnn: worker thread ${init.id} failed to start from ${from}: ${why}`);
  let fail: (e: Error) => void = () => {};
  const failed = new Promise<never>((_, reject) => { fail = reject; });
  failed.catch(() => {}); // a failure after start (e.g. terminate) has no one left to tell
  const events = { failed: (why: string) => fail(failedToStart(why)) };
  let handle: WorkerHandle;
  if (useWorkerThreads()) {
    const node = await loadNodeWorkers().catch((e: unknown) => {
      // Only when this file was moved away from its neighbours, e.g. by a bundle made for Node.
      throw new Error(`selfish-rnn: worker thread ${init.id} failed to start: the worker_threads side of the pool (node-workers.js, next to pool.js) cannot be loaded (${e instanceof Error ? e.message : String(e)}); a bundle for Node must leave selfish-rnn external`);
    });
    from = node.NODE_WORKER_URL.href;
    handle = node.startNodeWorker(init, events);
  } else {
    const source = workerUrl === undefined ? builtInWorkerSource() : workerSourceAt(workerUrl);
    from = source.label;
    handle = startWebWorker(init, source, events);
  }
  // Ready when READY counts this worker; polled asynchronously (the event loop must keep running
  // for a worker to load its script, so the caller cannot block here).
  const t0 = Date.now();
  let gaveUp = false;
  const ready = (async () => {
    while (Atomics.load(ctrl, READY) < init.id && !gaveUp) {
      if (Date.now() - t0 > startTimeoutMs) {
        throw failedToStart(`it did not report ready within ${startTimeoutMs / 1000} s (is it the selfish-rnn pool worker, dist/pool-worker.js?)`);
      }
      await new Promise((r) => setTimeout(r, 1));
    }
  })();
  try {
    await Promise.race([ready, failed]);
  } catch (e) {
    gaveUp = true; // ends the polling
    handle.terminate();
    throw e;
  }
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
 * (threadsModule) and a thread that may block. `workerUrl`: where Web Workers load the pool worker
 * (default: the built-in one); unused under node:worker_threads. Rejects, with no pool left
 * running, when a worker cannot start.
 */
export async function startPool(threads: number, workerUrl?: string | URL): Promise<void> {
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
      workers.push(await spawn(init, ctrl, workerUrl));
    }
  } catch (e) {
    Atomics.store(ctrl, STOP, 1);
    Atomics.add(ctrl, SEQ, 1);
    Atomics.notify(ctrl, SEQ);
    for (const w of workers) w.terminate();
    for (const s of scratch) heap.free(s, rawKernels.scratch_bytes() + SCRATCH_ALIGN);
    throw e;
  }
  pool = {
    threads, control, ctrl, args: new Float64Array(control, ARGS_OFFSET, MAX_ARGS), workers, scratch,
    workerUrl: workerUrl === undefined || useWorkerThreads() ? null : workerSourceAt(workerUrl).url,
  };
}

/** The workerUrl of the running pool's Web Workers (null: none, the built-in worker, or worker_threads). */
export function poolWorkerUrl(): string | null {
  return pool?.workerUrl ?? null;
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
