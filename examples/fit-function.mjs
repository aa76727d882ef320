// Fit y = sin(3x) on [-1, 1] with a small two-layer network, using the public API only.
// Runs unchanged in Node and Deno:
//   node examples/fit-function.mjs
//   npx deno run examples/fit-function.mjs
// (after `npm install`, which builds dist/).
import {
  add, manualSeed, matmul, mean, memoryStats, mul, parameter, randn, SGD, simdSupported, sub, tanh, tensor, tidy, zeros,
} from 'selfish-rnn';

manualSeed(1);
const N = 64, H = 32;
const xs = Array.from({ length: N }, (_, i) => -1 + (2 * i) / (N - 1));
const x = tensor(xs, [N, 1], { persistent: true });
const y = tensor(xs.map((v) => Math.sin(3 * v)), [N, 1], { persistent: true });

const w1 = parameter(randn([1, H], 1.0));
const b1 = parameter(zeros([H]));
const w2 = parameter(randn([H, 1], 1 / Math.sqrt(H)));
const b2 = parameter(zeros([1]));
const opt = new SGD([w1, b1, w2, b2], { lr: 0.1, momentum: 0.9 });

const steps = 2000;
let loss = NaN;
const t0 = Date.now();
for (let step = 1; step <= steps; step++) {
  loss = tidy(() => {
    const h = tanh(add(matmul(x, w1), b1));
    const pred = add(matmul(h, w2), b2);
    const err = sub(pred, y);
    const l = mean(mul(err, err));
    l.backward();
    return l.item();
  });
  opt.step();
  opt.zeroGrad();
  if (step % 500 === 0) console.log(`step ${step}: mse ${loss.toExponential(3)}`);
}
const ms = Date.now() - t0;
console.log(`fit sin(3x) with ${H} tanh units: final mse ${loss.toExponential(3)} in ${ms} ms ` +
  `(${simdSupported ? 'wasm SIMD' : 'wasm scalar'}, ${(memoryStats().memoryBytes / 2 ** 20).toFixed(1)} MiB wasm memory)`);
if (!(loss < 0.01)) {
  console.error('the fit did not converge');
  if (typeof process !== 'undefined') process.exitCode = 1;
}
