// A worker of the pool under node:worker_threads (Node, Deno): src/backend/node-workers.ts starts
// this file with the start-up message as workerData. What it does: src/backend/pool-serve.ts.
// Browsers run the same loop from a self-contained script instead (src/backend/pool-worker-web.ts).
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { serve } from './pool-serve.js';
import type { WorkerInit } from './pool-protocol.js';

if (!isMainThread && workerData) {
  try {
    serve(workerData as WorkerInit);
  } catch (e) {
    parentPort?.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
}
