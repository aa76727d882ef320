// Ops of your own: defineOp (forward, backward, saved tensors owned by the tape, several outputs)
// proven with the public gradcheck, in float64 against an oracle and in float32 on its own.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  add, defineOp, gradcheck, matmul, memoryStats, mul, noGrad, opTable, randn, registeredOps, sigmoid, sub, sum, tanh, tensor, tidy, type Tensor,
} from '../src/index.js';

const liveAtStart = memoryStats().liveBytes;

/** y = x³, written as a user would: the forward saves x², the backward scales it. */
const cube = defineOp({
  name: 'cube',
  forward(ctx, x: Tensor) {
    const sq = mul(x, x);
    ctx.save(sq);
    return mul(sq, x);
  },
  backward(ctx, g) {
    const [sq] = ctx.saved as [Tensor];
    return mul(g, mul(sq, 3));
  },
});

/**
 * A fused gated unit with two outputs: z = σ(x·Wz), h' = (1 − z)·h + z·tanh(x·Wh). Saves what its
 * backward needs; returns [h', z].
 */
const gatedUnit = defineOp({
  name: 'gatedUnit',
  forward(ctx, x: Tensor, h: Tensor, wz: Tensor, wh: Tensor) {
    const z = sigmoid(matmul(x, wz));
    const c = tanh(matmul(x, wh));
    const hNew = add(mul(sub(1, z), h), mul(z, c));
    ctx.save(x, h, wz, wh, z, c);
    return [hNew, z];
  },
  backward(ctx, gh, gz) {
    const [x, h, wz, wh, z, c] = ctx.saved as Tensor[];
    // dh'/dz = c − h; dz/d(pre) = z(1 − z); dh'/dc = z; dc/d(pre) = 1 − c².
    const dz = add(mul(gh, sub(c!, h!)), gz);
    const dzPre = mul(dz, mul(z!, sub(1, z!)));
    const dcPre = mul(mul(gh, z!), sub(1, mul(c!, c!)));
    const dx = add(matmul(dzPre, wz!, { transB: true }), matmul(dcPre, wh!, { transB: true }));
    return [
      ctx.needsGrad(0) ? dx : null,
      ctx.needsGrad(1) ? mul(gh, sub(1, z!)) : null,
      ctx.needsGrad(2) ? matmul(x!, dzPre, { transA: true }) : null,
      ctx.needsGrad(3) ? matmul(x!, dcPre, { transA: true }) : null,
    ];
  },
});

const sig = (v: number) => 1 / (1 + Math.exp(-v));

/** Float64 oracle of gatedUnit for x [N, I], h [N, H], W [I, H]: [h', z] concatenated. */
function gated64([x, h, wz, wh]: Float64Array[], N: number, I: number, H: number): Float64Array {
  const out = new Float64Array(2 * N * H);
  for (let n = 0; n < N; n++) for (let j = 0; j < H; j++) {
    let pz = 0, ph = 0;
    for (let i = 0; i < I; i++) { pz += x![n * I + i]! * wz![i * H + j]!; ph += x![n * I + i]! * wh![i * H + j]!; }
    const z = sig(pz), c = Math.tanh(ph);
    out[n * H + j] = (1 - z) * h![n * H + j]! + z * c;
    out[N * H + n * H + j] = z;
  }
  return out;
}

test('a single-output op: gradcheck in float64 against an oracle and in float32 on its own', () => {
  tidy(() => {
    const x = tensor([0.3, -1.2, 0.8, 2.0, -0.4], [5]);
    const r64 = gradcheck(cube, [x], { oracle: ([v]) => v!.map((a) => a ** 3) });
    assert.is(r64.checked, 5);
    assert.ok(r64.worstRelError < 1e-4, String(r64.worstRelError));
    const r32 = gradcheck(cube, [x]);
    assert.ok(r32.worstRelError < 1e-2, String(r32.worstRelError));
  });
  assert.is(memoryStats().liveBytes, liveAtStart);
});

test('a fused two-output cell: gradcheck passes and matches the same cell written with built-in ops', () => {
  const N = 3, I = 4, H = 5;
  tidy(() => {
    const xs = [[N, I], [N, H], [I, H], [I, H]].map((s) => randn(s, 0.7));
    gradcheck(gatedUnit, xs, { oracle: (v) => gated64(v, N, I, H) });
    gradcheck(gatedUnit, xs);
    // The same function from built-in ops, on the tape: same values and gradients.
    const leaves = xs.map((t) => tensor(t.toArray(), t.shape, { requiresGrad: true }));
    const composed = (x: Tensor, h: Tensor, wz: Tensor, wh: Tensor) => {
      const z = sigmoid(matmul(x, wz));
      return [add(mul(sub(1, z), h), mul(z, tanh(matmul(x, wh)))), z];
    };
    const [h1, z1] = gatedUnit(leaves[0]!, leaves[1]!, leaves[2]!, leaves[3]!);
    add(sum(mul(h1!, 2)), sum(z1!)).backward();
    const fused = leaves.map((t) => t.grad!.toArray());
    for (const t of leaves) t.zeroGrad();
    const [h2, z2] = composed(leaves[0]!, leaves[1]!, leaves[2]!, leaves[3]!);
    add(sum(mul(h2!, 2)), sum(z2!)).backward();
    assert.equal(Array.from(h1!.data), Array.from(h2!.data));
    leaves.forEach((t, k) => t.grad!.toArray().forEach((v, i) => assert.ok(Math.abs(v - fused[k]![i]!) < 1e-5, `input ${k}[${i}]: ${v} vs ${fused[k]![i]}`)));
    for (const t of leaves) t.grad!.dispose();
  });
  assert.is(memoryStats().liveBytes, liveAtStart);
});

test('a wrong backward is caught by gradcheck, naming the entry', () => {
  const wrong = defineOp({
    name: 'wrongSquare',
    forward: (_ctx, x: Tensor) => mul(x, x),
    backward: (_ctx, g) => g, // should be 2x·g
  });
  tidy(() => {
    const x = tensor([0.5, 1.5, -2]);
    // Entry 0 (x = 0.5) happens to be right: 2x = 1.
    assert.throws(() => gradcheck(wrong, [x], { oracle: ([v]) => v!.map((a) => a * a) }), /gradcheck wrongSquare: d\/d\(input 0\)\[1\]: analytic -?[\d.]+ vs numeric -?[\d.]+ \(relative error 5\.00e-1, tolerance 0\.002\)/);
    assert.throws(() => gradcheck(wrong, [x]), /gradcheck wrongSquare: d\/d\(input 0\)\[1\]: .*tolerance 0\.01\)/);
  });
  assert.is(memoryStats().liveBytes, liveAtStart);
});

test('saved tensors belong to the tape: freed after backward, with the output, or at once under noGrad', () => {
  const x = tensor([1, 2, 3], undefined, { requiresGrad: true, persistent: true });
  const base = memoryStats().liveBytes;
  // Outside tidy: the output and the tape's x² are the only things left; backward frees x².
  const y = cube(x);
  const withTape = memoryStats().liveBytes;
  sum(y).dispose(); // a loss not used
  const loss = sum(y);
  loss.backward();
  assert.equal(Array.from(x.grad!.data), [3, 12, 27]);
  const gradBytes = memoryStats().liveBytes - base;
  loss.dispose();
  assert.ok(memoryStats().liveBytes < withTape + gradBytes, 'x² freed by the backward');
  y.dispose();
  assert.is(memoryStats().liveBytes, base + 16, 'only x.grad remains');
  // Disposing the output without a backward frees what it saved.
  cube(x).dispose();
  assert.is(memoryStats().liveBytes, base + 16);
  // Under noGrad nothing is recorded and nothing saved survives.
  noGrad(() => cube(x)).dispose();
  assert.is(memoryStats().liveBytes, base + 16);
  x.grad!.dispose();
  x.dispose();
  assert.is(memoryStats().liveBytes, liveAtStart);
});

test('an input returned as an output is copied; inputs are untouched', () => {
  const identity = defineOp({ name: 'identityOp', forward: (_ctx, x: Tensor) => x, backward: (_ctx, g) => g });
  tidy(() => {
    const x = tensor([1, 2], undefined, { requiresGrad: true });
    const y = identity(x);
    assert.ok(y !== x);
    assert.is(x.node, null);
    sum(mul(y, tensor([3, 4]))).backward();
    assert.equal(Array.from(x.grad!.data), [3, 4]);
    x.grad!.dispose();
  });
});

test('defineOp and its calls refuse what would go wrong, with the op named', () => {
  assert.throws(() => defineOp({ name: 'cube', forward: (_c, x: Tensor) => x, backward: () => null }), /op 'cube' registered twice/);
  assert.throws(() => defineOp({ name: 'x', forward: () => tensor(1), backward: () => null, backwards: 1 } as never), /defineOp: unknown field 'backwards' \(fields: name, file, forward, backward\)/);
  assert.throws(() => defineOp({ name: 'y', forward: () => tensor(1) } as never), /defineOp 'y': backward must be a function/);
  const outside = tensor([1, 2], undefined, { persistent: true });
  const badSave = defineOp({ name: 'badSave', forward: (ctx, x: Tensor) => (ctx.save(outside), mul(x, 2)), backward: (_c, g) => g });
  const badShape = defineOp({ name: 'badShape', forward: (_c, x: Tensor) => sum(x), backward: () => [tensor([1])] });
  const badArity = defineOp({ name: 'badArity', forward: (_c, a: Tensor, b: Tensor) => add(a, b), backward: (_c, g) => g });
  tidy(() => {
    const x = tensor([1, 2, 3], undefined, { requiresGrad: true });
    assert.throws(() => badSave(x), /badSave: ctx.save got a tensor \[2\] that is neither an argument nor made by the forward/);
    assert.throws(() => badShape(x).backward(), /badShape: backward gradient 0 has shape \[1\], argument 0 has shape \[3\]/);
    assert.throws(() => sum(badArity(x, x)).backward(), /badArity: backward must return an array with one gradient per argument \(2 arguments\)/);
    x.grad?.dispose();
  });
  outside.dispose();
  assert.ok(registeredOps().some((o) => o.name === 'gatedUnit' && o.file === 'defineOp' && o.differentiable));
  assert.match(opTable(), /\| mseLoss \| yes \| ops\/mse\.ts \|/);
  assert.is(memoryStats().liveBytes, liveAtStart);
});

test('gradcheck checks its own arguments', () => {
  tidy(() => {
    const x = tensor([1]);
    assert.throws(() => gradcheck(cube, [x], { tolerance: 1 } as never), /gradcheck: unknown option 'tolerance' \(options: oracle, constant, detached, tol, atol, eps, seed, label\)/);
    assert.throws(() => gradcheck(cube, [[1]] as never), /gradcheck: input 0 is not a Tensor/);
    assert.throws(() => gradcheck(cube, [x], { oracle: () => new Float64Array(2) }), /the outputs have 1 elements, the oracle returns 2/);
  });
  assert.is(memoryStats().liveBytes, liveAtStart);
});

test.run();
