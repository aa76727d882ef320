// Run by test/threads-runtime.test.ts under Node and under Deno: starts the pool, runs a product
// large enough to be split, checks it against the single-thread result, triggers a trap in a
// worker's share, and then simply ends (idle workers must not keep the process alive). With
// `web` as second argument the pool uses Web Workers (the browser path) and is stopped at the end;
// with `relaxed`, everything runs on the relaxed-SIMD kernels.
// Prints one JSON line.
import { activeBuild, getRelaxedSimd, getThreads, kernels, setRelaxedSimd, setThreads, Tensor, threadsUnavailableReason } from '../../dist/index.js';
import { setWorkerFlavorForTests } from '../../dist/backend/pool.js';

const argv = globalThis.Deno?.args ?? globalThis.process.argv.slice(2);
const web = argv[1] === 'web';
if (web) setWorkerFlavorForTests('web');
if (argv[1] === 'relaxed') await setRelaxedSimd(true);
const out = { build: activeBuild, relaxed: getRelaxedSimd(), reason: threadsUnavailableReason(), threads: 0, same: false, workerError: '' };
const M = 64, K = 160, N = 80; // 819,200 multiply-adds: above the split threshold
const a = new Tensor([M, K], { persistent: true }), b = new Tensor([K, N], { persistent: true });
a.data.forEach((_, i) => { a.data[i] = Math.sin(i); });
b.data.forEach((_, i) => { b.data[i] = Math.cos(i * 0.7); });
const c1 = new Tensor([M, N], { persistent: true }), c2 = new Tensor([M, N], { persistent: true });
kernels.gemm_nn(c1.ptr, a.ptr, b.ptr, M, K, N, 0);
await setThreads(Number(argv[0] ?? 2));
out.threads = getThreads();
kernels.gemm_nn(c2.ptr, a.ptr, b.ptr, M, K, N, 0);
out.same = c1.data.every((v, i) => Object.is(v, c2.data[i]));
// A trap in a share a worker runs: with 2 threads, share 0 (rows 0..255 of a 512-row product,
// ~10 ms) is in bounds and share 1 lies past the end of memory. Shares are claimed, so under load
// the caller may claim share 1 itself; retry until a worker has run it (once, normally).
const big = { M: 512, K: 512, N: 128 };
const A = new Tensor([big.M, big.K], { persistent: true }), Bm = new Tensor([big.K, big.N], { persistent: true });
for (let attempt = 0; attempt < 50 && !/worker thread/.test(out.workerError); attempt++) {
  const end = kernels.memory.buffer.byteLength;
  try {
    kernels.gemm_nn(end - (big.M / 2) * big.N * 4, A.ptr, Bm.ptr, big.M, big.K, big.N, 0);
  } catch (e) {
    out.workerError = String(e.message);
  }
}
if (web) await setThreads(1);
console.log(JSON.stringify(out));
