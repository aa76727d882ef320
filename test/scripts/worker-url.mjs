// Run by test/threads-runtime.test.ts under Deno with Web Workers (the browser path): the pool
// started from a worker URL given to setThreads (the package's dist/pool-worker.js), then from a
// URL with no script behind it and from a script that never reports ready (setThreads resolves
// with 1 each time, and the reason names the URL), then back on the built-in worker
// (workerUrl: undefined). Prints one JSON line.
import { getThreads, kernels, setThreads, Tensor, threadsUnavailableReason } from '../../dist/index.js';
import { setWorkerFlavorForTests, setWorkerStartTimeoutForTests } from '../../dist/backend/pool.js';

setWorkerFlavorForTests('web');
const good = new URL('../../dist/pool-worker.js', import.meta.url);
const bad = new URL('../../dist/no-such-pool-worker.js', import.meta.url);
const idle = new URL('../fixtures/workers/idle-worker.js', import.meta.url);
const M = 64, K = 160, N = 80; // above the split threshold
const a = new Tensor([M, K], { persistent: true }), b = new Tensor([K, N], { persistent: true });
a.data.forEach((_, i) => { a.data[i] = Math.sin(i); });
b.data.forEach((_, i) => { b.data[i] = Math.cos(i * 0.7); });
const c1 = new Tensor([M, N], { persistent: true }), c2 = new Tensor([M, N], { persistent: true });
kernels.gemm_nn(c1.ptr, a.ptr, b.ptr, M, K, N, 0);

const out = { badUrl: bad.href, idleUrl: idle.href };
out.good = { threads: await setThreads(2, { workerUrl: good }), pool: getThreads(), reason: threadsUnavailableReason() };
kernels.gemm_nn(c2.ptr, a.ptr, b.ptr, M, K, N, 0);
out.good.same = c1.data.every((v, i) => Object.is(v, c2.data[i]));
out.bad = { threads: await setThreads(2, { workerUrl: bad }), pool: getThreads(), reason: threadsUnavailableReason() };
setWorkerStartTimeoutForTests(1000);
out.idle = { threads: await setThreads(2, { workerUrl: idle }), pool: getThreads(), reason: threadsUnavailableReason() };
out.builtIn = { threads: await setThreads(2, { workerUrl: undefined }), pool: getThreads(), reason: threadsUnavailableReason() };
await setThreads(1);
console.log(JSON.stringify(out));
