// Element-wise arithmetic with broadcasting: add, sub, mul, div, where either operand may be a
// plain number (`sub(1, z)`, `mul(z, 2)`), and scaling by a constant.
//
//   y = a + b:  da += g,        db += g
//   y = a − b:  da += g,        db −= g
//   y = a ⊙ b:  da += g ⊙ b,    db += g ⊙ a
//   y = a / b:  da += g / b,    db −= g ⊙ y / b
// each reduced over the dimensions along which its operand was broadcast.
import { heap } from '../backend/memory.js';
import { kernels } from '../backend/wasm.js';
import { record } from '../autograd/engine.js';
import { Tensor } from '../tensor.js';
import { expectOperand, expectTensor } from './args.js';
import { accumulateReduced, broadcastShape, expandTo } from './broadcast.js';
import { registerOp } from './registry.js';

for (const name of ['add', 'sub', 'mul', 'div', 'scale']) registerOp(name, 'ops/arithmetic.ts');

/** An operand of the element-wise arithmetic: a tensor, or a number broadcast to any shape. */
export type Operand = Tensor | number;

type Kernel = (out: number, a: number, b: number, n: number) => void;

function operands(op: string, a: unknown, b: unknown): [Operand, Operand] {
  const x = expectOperand(a, op, 'a'), y = expectOperand(b, op, 'b');
  if (typeof x === 'number' && typeof y === 'number') throw new TypeError(`selfish-rnn: ${op}: at least one operand must be a Tensor, got two numbers`);
  return [x, y];
}

function binary(op: string, a: Tensor, b: Tensor, kernel: Kernel): { out: Tensor; ea: Tensor; eb: Tensor } {
  const shape = broadcastShape(a.shape, b.shape, op);
  const out = new Tensor(shape);
  const ea = expandTo(a, shape);
  const eb = expandTo(b, shape);
  kernel(out.ptr, ea.ptr, eb.ptr, out.size);
  return { out, ea, eb };
}

/** The broadcast copies among `expanded` (not the operands themselves), for the tape to own. */
function temporaries(expanded: Tensor[], originals: Tensor[]): Tensor[] {
  return expanded.filter((t, i) => t !== originals[i]);
}

function release(t: Tensor, orig: Tensor): void {
  if (t !== orig) t.dispose();
}

/** out = a + s for a number s. */
function plusScalar(a: Tensor, s: number): Tensor {
  const out = new Tensor(a.shape);
  kernels.add_scalar(out.ptr, a.ptr, s, a.size);
  return out;
}

/** a + b, broadcasting; either may be a number. */
export function add(a: Operand, b: Operand): Tensor {
  const [x, y] = operands('add', a, b);
  if (typeof x === 'number' || typeof y === 'number') {
    const [t, s] = typeof x === 'number' ? [y as Tensor, x] : [x, y as number];
    return record(plusScalar(t, s), 'add', [t], (g, [gt]) => {
      if (gt) kernels.axpy(gt.ptr, g.ptr, 1, g.size);
    });
  }
  const bias = x.rank === 2 && y.rank === 1 && y.shape[0] === x.shape[1];
  let out: Tensor;
  if (bias) {
    // The bias case (x·W + b) without materialising b at the output shape.
    out = new Tensor(x.shape);
    kernels.add_row_bcast(out.ptr, x.ptr, y.ptr, x.shape[0]!, x.shape[1]!);
  } else {
    const r = binary('add', x, y, kernels.add);
    release(r.ea, x);
    release(r.eb, y);
    out = r.out;
  }
  return record(out, 'add', [x, y], (g, [ga, gb]) => {
    if (ga) accumulateReduced(ga, g);
    if (gb) accumulateReduced(gb, g);
  });
}

/** a − b, broadcasting; either may be a number. */
export function sub(a: Operand, b: Operand): Tensor {
  const [x, y] = operands('sub', a, b);
  if (typeof y === 'number') {
    const t = x as Tensor;
    return record(plusScalar(t, -y), 'sub', [t], (g, [gt]) => {
      if (gt) kernels.axpy(gt.ptr, g.ptr, 1, g.size);
    });
  }
  if (typeof x === 'number') {
    const out = new Tensor(y.shape);
    kernels.scale(out.ptr, y.ptr, -1, y.size);
    kernels.add_scalar(out.ptr, out.ptr, x, y.size);
    return record(out, 'sub', [y], (g, [gt]) => {
      if (gt) kernels.axpy(gt.ptr, g.ptr, -1, g.size);
    });
  }
  const { out, ea, eb } = binary('sub', x, y, kernels.sub);
  release(ea, x);
  release(eb, y);
  return record(out, 'sub', [x, y], (g, [ga, gb]) => {
    if (ga) accumulateReduced(ga, g);
    if (gb) {
      const neg = new Tensor(g.shape);
      kernels.scale(neg.ptr, g.ptr, -1, g.size);
      accumulateReduced(gb, neg);
      neg.dispose();
    }
  });
}

/** a ⊙ b (element-wise), broadcasting; either may be a number. Saves both (broadcast) operands. */
export function mul(a: Operand, b: Operand): Tensor {
  const [x, y] = operands('mul', a, b);
  if (typeof x === 'number' || typeof y === 'number') {
    const [t, s] = typeof x === 'number' ? [y as Tensor, x] : [x, y as number];
    const out = new Tensor(t.shape);
    kernels.scale(out.ptr, t.ptr, s, t.size);
    return record(out, 'mul', [t], (g, [gt]) => {
      if (gt) kernels.axpy(gt.ptr, g.ptr, s, g.size);
    });
  }
  const { out, ea, eb } = binary('mul', x, y, kernels.mul);
  return record(out, 'mul', [x, y], (g, [ga, gb]) => {
    // d(a⊙b)/da = b, d/db = a; reduce over broadcast dims afterwards.
    if (ga) reduceProduct(ga, g, eb);
    if (gb) reduceProduct(gb, g, ea);
  }, temporaries([ea, eb], [x, y]));
}

function reduceProduct(gradIn: Tensor, g: Tensor, other: Tensor): void {
  if (gradIn.size === g.size) {
    kernels.mul_acc(gradIn.ptr, g.ptr, other.ptr, g.size);
    return;
  }
  const t = new Tensor(g.shape);
  kernels.mul(t.ptr, g.ptr, other.ptr, g.size);
  accumulateReduced(gradIn, t);
  t.dispose();
}

/** a / b (element-wise, IEEE division), broadcasting; either may be a number. */
export function div(a: Operand, b: Operand): Tensor {
  const [x, y] = operands('div', a, b);
  if (typeof y === 'number') {
    const t = x as Tensor;
    const out = new Tensor(t.shape);
    const f = heap.f32(), o = out.ptr >>> 2, i = t.ptr >>> 2;
    for (let k = 0; k < t.size; k++) f[o + k] = f[i + k]! / y;
    return record(out, 'div', [t], (g, [gt]) => {
      if (!gt) return;
      const h = heap.f32(), d = gt.ptr >>> 2, gg = g.ptr >>> 2;
      for (let k = 0; k < g.size; k++) h[d + k] = h[d + k]! + h[gg + k]! / y;
    });
  }
  if (typeof x === 'number') {
    const out = new Tensor(y.shape);
    const f = heap.f32(), o = out.ptr >>> 2, i = y.ptr >>> 2;
    for (let k = 0; k < y.size; k++) f[o + k] = x / f[i + k]!;
    return record(out, 'div', [y], (g, [gt]) => {
      if (!gt) return;
      // d(s/b)/db = −s/b² = −y/b
      const h = heap.f32(), d = gt.ptr >>> 2, gg = g.ptr >>> 2, yy = out.ptr >>> 2, bb = y.ptr >>> 2;
      for (let k = 0; k < g.size; k++) h[d + k] = h[d + k]! - (h[gg + k]! * h[yy + k]!) / h[bb + k]!;
    });
  }
  const shape = broadcastShape(x.shape, y.shape, 'div');
  const out = new Tensor(shape);
  const ea = expandTo(x, shape), eb = expandTo(y, shape);
  const f = heap.f32(), o = out.ptr >>> 2, pa = ea.ptr >>> 2, pb = eb.ptr >>> 2;
  for (let k = 0; k < out.size; k++) f[o + k] = f[pa + k]! / f[pb + k]!;
  release(ea, x);
  return record(out, 'div', [x, y], (g, [ga, gb]) => {
    if (ga) {
      if (ga.size === g.size) kernels.div_acc(ga.ptr, g.ptr, eb.ptr, g.size);
      else {
        const t = new Tensor(g.shape);
        const h = heap.f32(), tt = t.ptr >>> 2, gg = g.ptr >>> 2, bb = eb.ptr >>> 2;
        for (let k = 0; k < g.size; k++) h[tt + k] = h[gg + k]! / h[bb + k]!;
        accumulateReduced(ga, t);
        t.dispose();
      }
    }
    if (gb) {
      const t = new Tensor(g.shape);
      const h = heap.f32(), tt = t.ptr >>> 2, gg = g.ptr >>> 2, yy = out.ptr >>> 2, bb = eb.ptr >>> 2;
      for (let k = 0; k < g.size; k++) h[tt + k] = -(h[gg + k]! * h[yy + k]!) / h[bb + k]!;
      accumulateReduced(gb, t);
      t.dispose();
    }
  }, temporaries([eb], [y]));
}

/** s · a for a constant s. */
export function scale(a: Tensor, s: number): Tensor {
  expectTensor(a, 'scale', 'a');
  if (typeof s !== 'number') throw new TypeError(`selfish-rnn: scale: the factor must be a number, got ${typeof s}`);
  const out = new Tensor(a.shape);
  kernels.scale(out.ptr, a.ptr, s, a.size);
  return record(out, 'scale', [a], (g, [ga]) => {
    if (ga) kernels.axpy(ga.ptr, g.ptr, s, g.size);
  });
}

/** −a (derived: scale by −1). */
export function neg(a: Tensor): Tensor {
  return scale(a, -1);
}
