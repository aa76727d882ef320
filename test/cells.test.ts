// The RHN and ON-LSTM kernels (assembly/rhn.ts, assembly/onlstm.ts) against their plain-TypeScript
// references (src/backend/reference-cells.ts) on awkward sizes, in the build in use and in the
// scalar build; then the layers' state carrying and memory behaviour. Their finite-difference
// gradient checks are in test/gradcases/cells.ts (run by gradcheck.test.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createCellReference, kernels, loadBuild, memoryStats, onlstmGateRows, onlstmLayer, Random, rhnLayer, slice, concat, tidy, Tensor,
} from '../src/index.js';
import { heap } from '../src/backend/memory.js';
import { clone, maxRelDiff, randomTensor, runInBuild } from './helpers/heap.js';

const cellRef = createCellReference({
  get f() {
    return heap.f32();
  },
  get i() {
    return heap.i32();
  },
});
const scalarBuild = await loadBuild('scalar');
const SIZES = [0, 1, 3, 5, 17];

/** A step's columns inside a [rows × ld] matrix: the middle step of three, with an odd row stride. */
const layout = (B: number) => ({ ld: 3 * B + 1, col: B });

/** Compares a kernel and its reference (and the scalar build) on the same inputs; `outs` are indices of written buffers. */
function compare(name: string, inputs: Tensor[], outs: number[], call: (k: typeof kernels | typeof cellRef, p: number[]) => void, tol = 2e-6): void {
  const before = inputs.map((t) => t.toArray());
  const refIn = inputs.map((t) => (outs.includes(inputs.indexOf(t)) ? clone(t) : t));
  call(kernels, inputs.map((t) => t.ptr));
  call(cellRef, refIn.map((t) => t.ptr));
  const scalar = runInBuild(scalarBuild, before, (p) => call(scalarBuild as unknown as typeof kernels, p));
  for (const k of outs) {
    const d = maxRelDiff(inputs[k]!.data, refIn[k]!.data);
    assert.ok(d < tol, `${name}: output ${k} differs from the reference by ${d}`);
    const s = maxRelDiff(scalar[k]!, refIn[k]!.data);
    assert.ok(s < tol, `${name} (scalar build): output ${k} differs from the reference by ${s}`);
  }
  for (const k of outs) refIn[k]!.dispose();
}

test('rhn_block_forward matches the reference (H, B ∈ {0,1,3,5,17}, with and without the input projection)', () => {
  const rng = new Random(3);
  for (const H of SIZES) for (const B of SIZES) for (const hasPre of [0, 1]) for (const writeY of [0, 1]) {
    const { ld, col } = layout(B);
    const bufs = [
      randomTensor([3 * H, ld], rng, -2, 2), randomTensor([2 * H, B], rng, -2, 2), randomTensor([2 * H], rng), randomTensor([H, B], rng),
      randomTensor([H, B], rng, 0, 2), randomTensor([H, B], rng), randomTensor([H, B], rng), randomTensor([H, ld], rng),
    ];
    compare(`rhn_block_forward H=${H} B=${B} hasPre=${hasPre} writeY=${writeY}`, bufs, [0, 5, 6, 7], (k, p) =>
      k.rhn_block_forward(p[0]! + col * 4, p[1]!, p[2]!, p[3]!, p[4]!, p[5]!, p[6]!, p[7]! + col * 4, hasPre, writeY, H, B, ld));
    for (const t of bufs) t.dispose();
  }
});

test('rhn_block_backward matches the reference (H, B ∈ {0,1,3,5,17})', () => {
  const rng = new Random(4);
  for (const H of SIZES) for (const B of SIZES) for (const hasDy of [0, 1]) {
    const { ld, col } = layout(B);
    const act = randomTensor([3 * H, ld], rng, -0.99, 0.99);
    const a = act.data;
    for (let r = H; r < 2 * H; r++) for (let j = 0; j < ld; j++) a[r * ld + j] = Math.abs(a[r * ld + j]!); // t in (0, 1)
    const bufs = [act, randomTensor([2 * H, B], rng), randomTensor([H, B], rng), randomTensor([H, ld], rng)];
    compare(`rhn_block_backward H=${H} B=${B} hasDy=${hasDy}`, bufs, [0, 1, 2], (k, p) =>
      k.rhn_block_backward(p[0]! + col * 4, p[1]!, p[2]!, p[3]! + col * 4, hasDy, H, B, ld));
    for (const t of bufs) t.dispose();
  }
});

test('rhn_mask_columns matches the reference on awkward sizes', () => {
  const rng = new Random(5);
  for (const [H, B, T] of [[0, 3, 2], [1, 1, 1], [3, 5, 2], [5, 17, 3], [7, 6, 4]] as const) {
    const ld = T * B + 2;
    const bufs = [randomTensor([H, T * B], rng), randomTensor([H, ld], rng), randomTensor([H, B], rng)];
    compare(`rhn_mask_columns H=${H} B=${B} T=${T}`, bufs, [0], (k, p) => k.rhn_mask_columns(p[0]!, p[1]!, ld, p[2]!, H, B, T));
    for (const t of bufs) t.dispose();
  }
});

/** ON-LSTM sizes: H units in chunks of `chunk` (C = H / chunk master rows per master gate). */
const ON_SIZES: [number, number][] = [[0, 1], [1, 1], [3, 1], [3, 3], [6, 2], [10, 5], [20, 10]];

test('onlstm_gates_forward matches the reference (awkward H, chunk and B)', () => {
  const rng = new Random(6);
  for (const [H, chunk] of ON_SIZES) for (const B of SIZES) {
    const C = H === 0 ? 0 : H / chunk, G = onlstmGateRows(H, Math.max(chunk, 1));
    const { ld, col } = layout(B);
    const bufs = [
      randomTensor([G, ld], rng, -3, 3), randomTensor([G, B], rng, -2, 2), randomTensor([G], rng), randomTensor([H, B], rng, -2, 2),
      randomTensor([H, B], rng), randomTensor([H, B], rng), randomTensor([H, B], rng), randomTensor([H, ld], rng),
    ];
    compare(`onlstm_gates_forward H=${H} chunk=${chunk} B=${B}`, bufs, [0, 4, 5, 6, 7], (k, p) =>
      k.onlstm_gates_forward(p[0]! + col * 4, p[1]!, p[2]!, p[3]!, p[4]!, p[5]!, p[6]!, p[7]! + col * 4, H, C, B, ld));
    for (const t of bufs) t.dispose();
  }
});

test('onlstm_gates_backward matches the reference (awkward H, chunk and B), in place', () => {
  const rng = new Random(7);
  for (const [H, chunk] of ON_SIZES) for (const B of SIZES) {
    const C = H === 0 ? 0 : H / chunk, G = onlstmGateRows(H, Math.max(chunk, 1));
    const { ld, col } = layout(B);
    // Saved values in their ranges: master rows are softmax probabilities (each column sums to 1),
    // gates are sigmoids in (0, 1) and tanh in (−1, 1).
    const acts = randomTensor([G, ld], rng, 0.01, 0.99);
    const a = acts.data;
    for (let j = 0; j < ld; j++) {
      for (const off of [0, C]) {
        let s = 0;
        for (let k = 0; k < C; k++) s += a[(off + k) * ld + j]!;
        for (let k = 0; k < C; k++) a[(off + k) * ld + j] = a[(off + k) * ld + j]! / s;
      }
      for (let r = 0; r < H; r++) a[(2 * C + H + r) * ld + j] = a[(2 * C + H + r) * ld + j]! * 2 - 1;
    }
    const bufs = [
      acts, randomTensor([G, B], rng), randomTensor([H, B], rng), randomTensor([H, ld], rng), randomTensor([H, B], rng),
      randomTensor([H, B], rng, -2, 2), randomTensor([H, B], rng, -0.99, 0.99),
    ];
    compare(`onlstm_gates_backward H=${H} chunk=${chunk} B=${B}`, bufs, [0, 1, 2], (k, p) =>
      k.onlstm_gates_backward(p[0]! + col * 4, p[1]!, p[2]!, p[3]! + col * 4, p[4]!, p[5]!, p[6]!, H, C, B, ld), 5e-6);
    for (const t of bufs) t.dispose();
  }
});

test('rhnLayer and onlstmLayer: running a sequence in two halves from the carried state equals running it whole', () => {
  const rng = new Random(8);
  const [T, B, I, H, D, chunk] = [6, 3, 4, 6, 3, 2];
  const x = randomTensor([T, B, I], rng);
  const rw = { w: randomTensor([2 * H, I], rng, -0.5, 0.5), bW: randomTensor([2 * H], rng), r: [0, 1, 2].map(() => randomTensor([2 * H, H], rng, -0.5, 0.5)), bR: [0, 1, 2].map(() => randomTensor([2 * H], rng)) };
  const mask = randomTensor([B, H], rng, 0, 2);
  const G = onlstmGateRows(H, chunk);
  const ow = { ih: randomTensor([G, I], rng, -0.5, 0.5), hh: randomTensor([G, H], rng, -0.5, 0.5), bIh: randomTensor([G], rng), bHh: randomTensor([G], rng) };
  tidy(() => {
    const whole = rhnLayer(x, rw, undefined, mask);
    const a = rhnLayer(slice(x, 0, 0, 2), rw, undefined, mask);
    const b = rhnLayer(slice(x, 0, 2, T), rw, a.s, mask);
    assert.ok(maxRelDiff(whole.output.data, concat([a.output, b.output], 0).data) < 1e-6, 'rhn output');
    assert.ok(maxRelDiff(whole.s.data, b.s.data) < 1e-6, 'rhn final state');
    assert.ok(maxRelDiff(whole.s.data, whole.output.data.subarray((T - 1) * B * H)) === 0, 'sT = y[T-1]');
    assert.is(D, rw.r.length);
    const ow1 = onlstmLayer(x, ow, chunk);
    const oa = onlstmLayer(slice(x, 0, 0, 4), ow, chunk);
    const ob = onlstmLayer(slice(x, 0, 4, T), ow, chunk, { h: oa.h, c: oa.c });
    assert.ok(maxRelDiff(ow1.output.data, concat([oa.output, ob.output], 0).data) < 1e-6, 'onlstm output');
    assert.ok(maxRelDiff(ow1.c.data, ob.c.data) < 1e-6, 'onlstm final cell');
  });
  for (const t of [x, rw.w, rw.bW, ...rw.r, ...rw.bR, mask, ow.ih, ow.hh, ow.bIh, ow.bHh]) t.dispose();
});

test('shape errors name the problem', () => {
  const rng = new Random(9);
  tidy(() => {
    const x = randomTensor([2, 3, 4], rng);
    const w = { w: randomTensor([8, 4], rng), bW: randomTensor([8], rng), r: [randomTensor([8, 5], rng)], bR: [randomTensor([8], rng)] };
    assert.throws(() => rhnLayer(x, w), /R_0 must be \[2H, H\] = \[10, 5\], got \[8, 5\]/);
    const on = { ih: randomTensor([26, 4], rng), hh: randomTensor([26, 6], rng), bIh: randomTensor([26], rng), bHh: randomTensor([26], rng) };
    assert.throws(() => onlstmLayer(x, on, 4), /hidden size 6 must be a multiple of the chunk size, got chunk size 4/);
    assert.throws(() => onlstmLayer(x, on, 2), /hh must be \[4H \+ 2·H\/chunk, H\] = \[30, 6\], got \[26, 6\]/);
    for (const t of [x, w.w, w.bW, ...w.r, ...w.bR, on.ih, on.hh, on.bIh, on.bHh]) t.dispose();
  });
});

test('the cell tests free everything they allocate', () => {
  assert.is(memoryStats().liveBytes, 0);
});

test.run();
