// Dense matrix product through the SIMD GEMM kernels, with optional transposed operands so
// model code never materialises a transpose (Linear uses a·Wᵀ with PyTorch's [out, in] weights),
// 2-D or batched over a leading axis (one GEMM per batch entry). Per matrix:
//
//   y = a·b    (M×K · K×N):  da += g·bᵀ (nt),  db += aᵀ·g (tn)
//   y = a·bᵀ   (b is N×K):   da += g·b  (nn),  db += gᵀ·a (tn)
//   y = aᵀ·b   (a is K×M):   da += b·gᵀ (nt),  db += a·g  (nn)
import { kernels } from '../backend/wasm.js';
import { record } from '../autograd/engine.js';
import { checkOptions } from '../config/options.js';
import { Tensor, shapeString } from '../tensor.js';
import { expectTensor } from './args.js';
import { registerOp } from './registry.js';

registerOp('matmul', 'ops/matmul.ts');

export interface MatmulOptions {
  /** Use aᵀ (a stored K×M). */
  transA?: boolean;
  /** Use bᵀ (b stored N×K). */
  transB?: boolean;
}

/**
 * a·b through the GEMM kernels. 2-D: [M, K]·[K, N] → [M, N]. Batched (3-D, one product per
 * leading index): [B, M, K]·[B, K, N] → [B, M, N]; a 2-D operand is shared by every batch entry
 * ([B, M, K]·[K, N], or [M, K]·[B, K, N]) and its gradient sums over the batch. `transA`/`transB`
 * apply to each matrix.
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  expectTensor(a, 'matmul', 'a');
  expectTensor(b, 'matmul', 'b');
  checkOptions('matmul', opts, ['transA', 'transB']);
  const { transA = false, transB = false } = opts;
  if (a.rank < 2 || a.rank > 3 || b.rank < 2 || b.rank > 3) {
    throw new RangeError(`selfish-rnn: matmul expects 2-D or 3-D (batched) tensors, got ${shapeString(a.shape)} and ${shapeString(b.shape)}`);
  }
  if (transA && transB) throw new RangeError('selfish-rnn: matmul with both transA and transB is not supported; transpose one operand first');
  const Ba = a.rank === 3 ? a.shape[0]! : 0, Bb = b.rank === 3 ? b.shape[0]! : 0;
  if (Ba > 0 && Bb > 0 && Ba !== Bb) throw new RangeError(`selfish-rnn: matmul batch sizes differ: ${shapeString(a.shape)} · ${shapeString(b.shape)} (${Ba} ≠ ${Bb})`);
  const batched = a.rank === 3 || b.rank === 3;
  const batch = Math.max(Ba, Bb, batched ? 0 : 1);
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const M = transA ? ac : ar;
  const K = transA ? ar : ac;
  const Kb = transB ? bc : br;
  const N = transB ? br : bc;
  if (K !== Kb) {
    const fa = transA ? `${shapeString(a.shape)}ᵀ` : shapeString(a.shape);
    const fb = transB ? `${shapeString(b.shape)}ᵀ` : shapeString(b.shape);
    throw new RangeError(`selfish-rnn: matmul inner dimensions differ: ${fa} · ${fb} (${K} ≠ ${Kb})`);
  }
  const out = new Tensor(batched ? [batch, M, N] : [M, N]);
  // Byte offsets of batch entry i in a, b and the output (0 for a shared 2-D operand).
  const sa = a.rank === 3 ? M * K * 4 : 0, sb = b.rank === 3 ? K * N * 4 : 0, so = M * N * 4;
  for (let i = 0; i < batch; i++) {
    const pa = a.ptr + i * sa, pb = b.ptr + i * sb, po = out.ptr + i * so;
    if (transA) kernels.gemm_tn(po, pa, pb, M, K, N, 0);
    else if (transB) kernels.gemm_nt(po, pa, pb, M, K, N, 0);
    else kernels.gemm_nn(po, pa, pb, M, K, N, 0);
  }
  return record(out, 'matmul', [a, b], (g, [ga, gb]) => {
    for (let i = 0; i < batch; i++) {
      const pa = a.ptr + i * sa, pb = b.ptr + i * sb, pg = g.ptr + i * so;
      const qa = ga ? ga.ptr + i * sa : 0, qb = gb ? gb.ptr + i * sb : 0;
      if (transA) {
        if (ga) kernels.gemm_nt(qa, pb, pg, K, N, M, 1);
        if (gb) kernels.gemm_nn(qb, pa, pg, K, M, N, 1);
      } else if (transB) {
        if (ga) kernels.gemm_nn(qa, pg, pb, M, N, K, 1);
        if (gb) kernels.gemm_tn(qb, pg, pa, N, M, K, 1);
      } else {
        if (ga) kernels.gemm_nt(qa, pg, pb, M, N, K, 1);
        if (gb) kernels.gemm_tn(qb, pa, pg, K, M, N, 1);
      }
    }
  });
}
