// GEMM kernels against the plain-TypeScript reference on awkward sizes, overwrite and accumulate.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kernels, Random } from '../src/index.js';
import { AWKWARD, clone, maxRelDiff, randomTensor, ref } from './helpers/heap.js';

for (const variant of ['gemm_nn', 'gemm_tn', 'gemm_nt'] as const) {
  test(`${variant} matches the reference on awkward sizes`, () => {
    const rng = new Random(7);
    for (const M of AWKWARD) for (const K of AWKWARD) for (const N of [0, 1, 3, 5, 17, 20, 33]) {
      for (const acc of [0, 1]) {
        const aShape = variant === 'gemm_tn' ? [K, M] : [M, K];
        const bShape = variant === 'gemm_nt' ? [N, K] : [K, N];
        const a = randomTensor(aShape, rng), b = randomTensor(bShape, rng);
        const c = randomTensor([M, N], rng), cRef = clone(c);
        kernels[variant](c.ptr, a.ptr, b.ptr, M, K, N, acc);
        ref[variant](cRef.ptr, a.ptr, b.ptr, M, K, N, acc);
        const d = maxRelDiff(c.data, cRef.data);
        assert.ok(d < 1e-5, `${variant} M=${M} K=${K} N=${N} acc=${acc}: max rel diff ${d}`);
        for (const t of [a, b, c, cRef]) t.dispose();
      }
    }
  });
}

test.run();
