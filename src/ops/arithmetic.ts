// Binary arithmetic with broadcasting (add, sub, mul) and scaling by a constant.
import { kernels } from '../backend/wasm.js';
import { record } from '../autograd/engine.js';
import { Tensor } from '../tensor.js';
import { accumulateReduced, broadcastShape, expandTo } from './broadcast.js';
import { registerOp } from './registry.js';

registerOp('add', 'ops/arithmetic.ts');
registerOp('sub', 'ops/arithmetic.ts');
registerOp('mul', 'ops/arithmetic.ts');
registerOp('scale', 'ops/arithmetic.ts');

type Kernel = (out: number, a: number, b: number, n: number) => void;

function binary(op: string, a: Tensor, b: Tensor, kernel: Kernel): { out: Tensor; ea: Tensor; eb: Tensor } {
  a.assertLive();
  b.assertLive();
  const shape = broadcastShape(a.shape, b.shape, op);
  const out = new Tensor(shape);
  const ea = expandTo(a, shape);
  const eb = expandTo(b, shape);
  kernel(out.ptr, ea.ptr, eb.ptr, out.size);
  return { out, ea, eb };
}

function release(t: Tensor, orig: Tensor): void {
  if (t !== orig) t.dispose();
}

/** a + b, broadcasting. */
export function add(a: Tensor, b: Tensor): Tensor {
  const bias = a.rank === 2 && b.rank === 1 && b.shape[0] === a.shape[1];
  let out: Tensor;
  if (bias) {
    // The bias case (x·W + b) without materialising b at the output shape.
    a.assertLive();
    b.assertLive();
    out = new Tensor(a.shape);
    kernels.add_row_bcast(out.ptr, a.ptr, b.ptr, a.shape[0]!, a.shape[1]!);
  } else {
    const r = binary('add', a, b, kernels.add);
    release(r.ea, a);
    release(r.eb, b);
    out = r.out;
  }
  return record(out, 'add', [a, b], (g, [ga, gb]) => {
    if (ga) accumulateReduced(ga, g);
    if (gb) accumulateReduced(gb, g);
  });
}

/** a − b, broadcasting. */
export function sub(a: Tensor, b: Tensor): Tensor {
  const { out, ea, eb } = binary('sub', a, b, kernels.sub);
  release(ea, a);
  release(eb, b);
  return record(out, 'sub', [a, b], (g, [ga, gb]) => {
    if (ga) accumulateReduced(ga, g);
    if (gb) {
      const neg = new Tensor(g.shape);
      kernels.scale(neg.ptr, g.ptr, -1, g.size);
      accumulateReduced(gb, neg);
      neg.dispose();
    }
  });
}

/** a ⊙ b (element-wise), broadcasting. Saves both (broadcast) operands for the backward. */
export function mul(a: Tensor, b: Tensor): Tensor {
  const { out, ea, eb } = binary('mul', a, b, kernels.mul);
  return record(out, 'mul', [a, b], (g, [ga, gb]) => {
    // d(a⊙b)/da = b, d/db = a; reduce over broadcast dims afterwards.
    if (ga) reduceProduct(ga, g, eb);
    if (gb) reduceProduct(gb, g, ea);
  });
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

/** s · a for a constant s. */
export function scale(a: Tensor, s: number): Tensor {
  a.assertLive();
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
