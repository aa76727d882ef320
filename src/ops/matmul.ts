// Dense matrix product through the SIMD GEMM kernels, with optional transposed operands so
// model code never materialises a transpose (Linear uses a·Wᵀ with PyTorch's [out, in] weights).
//
//   y = a·b    (M×K · K×N):  da += g·bᵀ (nt),  db += aᵀ·g (tn)
//   y = a·bᵀ   (b is N×K):   da += g·b  (nn),  db += gᵀ·a (tn)
//   y = aᵀ·b   (a is K×M):   da += b·gᵀ (nt),  db += a·g  (nn)
import { kernels } from '../backend/wasm.js';
import { record } from '../autograd/engine.js';
import { Tensor, shapeString } from '../tensor.js';
import { registerOp } from './registry.js';

registerOp('matmul', 'ops/matmul.ts');

export interface MatmulOptions {
  /** Use aᵀ (a stored K×M). */
  transA?: boolean;
  /** Use bᵀ (b stored N×K). */
  transB?: boolean;
}

export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  a.assertLive();
  b.assertLive();
  const { transA = false, transB = false } = opts;
  if (a.rank !== 2 || b.rank !== 2) {
    throw new RangeError(`selfish-rnn: matmul expects 2-D tensors, got ${shapeString(a.shape)} and ${shapeString(b.shape)}`);
  }
  if (transA && transB) throw new RangeError('selfish-rnn: matmul with both transA and transB is not supported; transpose one operand first');
  const M = transA ? a.shape[1]! : a.shape[0]!;
  const K = transA ? a.shape[0]! : a.shape[1]!;
  const Kb = transB ? b.shape[1]! : b.shape[0]!;
  const N = transB ? b.shape[0]! : b.shape[1]!;
  if (K !== Kb) {
    const fa = transA ? `${shapeString(a.shape)}ᵀ` : shapeString(a.shape);
    const fb = transB ? `${shapeString(b.shape)}ᵀ` : shapeString(b.shape);
    throw new RangeError(`selfish-rnn: matmul inner dimensions differ: ${fa} · ${fb} (${K} ≠ ${Kb})`);
  }
  const out = new Tensor([M, N]);
  if (transA) kernels.gemm_tn(out.ptr, a.ptr, b.ptr, M, K, N, 0);
  else if (transB) kernels.gemm_nt(out.ptr, a.ptr, b.ptr, M, K, N, 0);
  else kernels.gemm_nn(out.ptr, a.ptr, b.ptr, M, K, N, 0);
  return record(out, 'matmul', [a, b], (g, [ga, gb]) => {
    if (transA) {
      if (ga) kernels.gemm_nt(ga.ptr, b.ptr, g.ptr, K, N, M, 1);
      if (gb) kernels.gemm_nn(gb.ptr, a.ptr, g.ptr, K, M, N, 1);
    } else if (transB) {
      if (ga) kernels.gemm_nn(ga.ptr, g.ptr, b.ptr, M, N, K, 1);
      if (gb) kernels.gemm_tn(gb.ptr, g.ptr, a.ptr, N, M, K, 1);
    } else {
      if (ga) kernels.gemm_nt(ga.ptr, g.ptr, b.ptr, M, N, K, 1);
      if (gb) kernels.gemm_tn(gb.ptr, a.ptr, g.ptr, K, M, N, 1);
    }
  });
}
