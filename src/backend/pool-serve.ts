// What a worker of the pool (src/backend/pool.ts) does, whichever way it was started (a
// node:worker_threads worker, src/backend/pool-worker.ts, or a Web Worker,
// src/backend/pool-worker-web.ts): it instantiates the threaded kernel build on the caller's shared
// memory, points it at its own scratch region, reports ready, then serves commands from the shared
// block for the rest of its life: wait for SEQ to change, claim and run shares, count them in DONE.
// It never allocates, frees or grows memory (the calling thread does). An exception (a wasm trap)
// is recorded in the block for the caller to throw; the worker keeps serving.
import {
  DONE, ERROR, KERNEL, NEXT, PARALLEL_KERNELS, PARTS, READY, SEQ, STOP, ARGS_OFFSET, MAX_ARGS,
  waitWhileEqual, writeMessage, type WorkerInit,
} from './pool-protocol.js';

type Share = (...args: number[]) => void;

/** Serves the pool until it stops; throws only when the worker cannot start (bad module or memory). */
export function serve(init: WorkerInit): void {
  const abort = (_m: number, _f: number, line: number, col: number): never => {
    throw new Error(`wasm kernel aborted at ${line}:${col}`);
  };
  const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory, abort } });
  const exports = instance.exports as Record<string, unknown>;
  (exports.set_scratch as (p: number) => void)(init.scratch);
  const shares = PARALLEL_KERNELS.map((name) => exports[`${name}_part`] as Share);
  const control = new Int32Array(init.control);
  const args = new Float64Array(init.control, ARGS_OFFSET, MAX_ARGS);
  const id = init.id;
  let seen = Atomics.load(control, SEQ);
  Atomics.add(control, READY, 1);
  Atomics.notify(control, READY);
  const call: number[] = [];
  for (;;) {
    waitWhileEqual(control, SEQ, seen);
    seen = Atomics.load(control, SEQ);
    if (Atomics.load(control, STOP) !== 0) return;
    // Claim shares until none is left. A claim made late, after the caller has moved on to the
    // next command, is a claim in that command: everything is read after the claim.
    for (;;) {
      const part = Atomics.add(control, NEXT, 1);
      const parts = control[PARTS]!;
      if (part >= parts) break;
      const kernel = control[KERNEL]!;
      const share = shares[kernel]!;
      call.length = 0;
      for (let i = 0; i < share.length - 2; i++) call.push(args[i]!);
      call.push(part, parts);
      try {
        share(...call);
      } catch (e) {
        if (Atomics.compareExchange(control, ERROR, 0, id + 1) === 0) {
          writeMessage(init.control, `${PARALLEL_KERNELS[kernel]} share ${part} of ${parts} failed on worker thread ${id}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      Atomics.add(control, DONE, 1);
      Atomics.notify(control, DONE);
    }
  }
}
