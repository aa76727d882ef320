// The Node and Deno side of the worker pool: node:worker_threads workers started from the file
// src/backend/pool-worker.ts, and the core count from node:os. src/backend/pool.ts loads this
// module only under Node or Deno, by a dynamic import that bundlers do not follow, so a browser
// bundle holds neither `node:` modules nor the `import.meta.url` of the worker file.
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { WorkerInit } from './pool-protocol.js';
import type { WorkerEvents, WorkerHandle } from './web-workers.js';

/** The worker script (next to this file in dist/ and build/). */
export const NODE_WORKER_URL = new URL('./pool-worker.js', import.meta.url);

/**
 * Starts one worker on NODE_WORKER_URL. Its workers are unref'd: a finished program exits without
 * waiting for idle workers (a Deno Web Worker would keep the process alive while it exists).
 */
export function startNodeWorker(init: WorkerInit, events: WorkerEvents): WorkerHandle {
  // No Node options for the worker (execArgv: []): by default it would inherit the parent's, and
  // some stop it from starting (`node --input-type=module -e …`: the option needs -e). It runs
  // our own plain module, and V8 flags (e.g. --experimental-wasm-relaxed-simd) are process-wide.
  const w = new Worker(NODE_WORKER_URL, { workerData: init, execArgv: [] });
  w.on('error', (e) => events.failed(e.message));
  w.on('message', (m: { error?: string }) => { if (m?.error) events.failed(m.error); });
  w.on('exit', (code) => events.failed(`exited with code ${code}`));
  w.unref();
  return { terminate: () => { void w.terminate(); } };
}

/** Logical cores (os.availableParallelism where Node has it). */
export function nodeCores(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}
