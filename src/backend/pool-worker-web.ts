// A worker of the pool as a Web Worker (browsers; Deno when the tests force Web Workers): the
// start-up message is the first message. scripts/build-pool-worker.mjs bundles this file with
// what it imports into one script without imports (src/generated/pool-worker-source.ts, and
// dist/pool-worker.js for setThreads' workerUrl), which src/backend/web-workers.ts starts from a
// blob: URL: no file for a bundler to find, copy or rewrite. What it does: src/backend/pool-serve.ts.
import { serve } from './pool-serve.js';
import type { WorkerInit } from './pool-protocol.js';

const scope = globalThis as unknown as { onmessage: ((ev: MessageEvent) => void) | null; postMessage(m: unknown): void };
scope.onmessage = (ev: MessageEvent) => {
  scope.onmessage = null;
  try {
    serve(ev.data as WorkerInit);
  } catch (e) {
    scope.postMessage({ error: e instanceof Error ? e.message : String(e) });
  }
};
