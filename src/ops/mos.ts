// Mixture-of-Softmaxes loss: mean over tokens of −log Σ_k π_nk · softmax(logits_nk)[t_n],
// computed stably in log space by the fused kernels of assembly/mos.ts.
import { heap } from '../backend/memory.js';
import { kernels } from '../backend/wasm.js';
import { record } from '../autograd/engine.js';
import { IntTensor, Tensor, shapeString } from '../tensor.js';
import { expectIds, expectTensor } from './args.js';
import { checkIds } from './embedding.js';
import { registerOp } from './registry.js';

registerOp('mixtureNLL', 'ops/mos.ts');

/**
 * logits: [N, K, V] (or [N·K, V]) expert logits; logPrior: [N, K] log mixture weights (e.g. the
 * logSoftmax of the prior layer); targets: N ids. Returns the mean negative log-likelihood.
 */
export function mixtureNLL(logits: Tensor, logPrior: Tensor, targets: IntTensor): Tensor {
  expectTensor(logits, 'mixtureNLL', 'the logits');
  expectTensor(logPrior, 'mixtureNLL', 'logPrior');
  expectIds(targets, 'mixtureNLL', 'the targets');
  if (logPrior.rank !== 2) throw new RangeError(`selfish-rnn: mixtureNLL: logPrior must be [N, K], got ${shapeString(logPrior.shape)}`);
  const [N, K] = logPrior.shape as [number, number];
  const V = logits.shape[logits.rank - 1]!;
  if (logits.size !== N * K * V || N === 0 || K === 0) {
    throw new RangeError(`selfish-rnn: mixtureNLL: logits ${shapeString(logits.shape)} do not match logPrior [${N}, ${K}] (expected ${N}·${K} rows of V)`);
  }
  if (targets.size !== N) throw new RangeError(`selfish-rnn: mixtureNLL: ${targets.size} targets for ${N} tokens`);
  checkIds(targets, V, 'mixtureNLL targets');
  const losses = new Tensor([N]);
  const post = new Tensor([N * K]);
  const lse = new Tensor([N * K]);
  const total = kernels.mos_nll(losses.ptr, post.ptr, lse.ptr, logits.ptr, logPrior.ptr, targets.ptr, N, K, V);
  losses.dispose();
  const out = new Tensor([]);
  heap.f32()[out.ptr >>> 2] = total / N;
  return record(out, 'mixtureNLL', [logits, logPrior], (g, [gl, gp]) => {
    const scale = heap.f32()[g.ptr >>> 2]! / N;
    if (gl) kernels.mos_nll_backward(gl.ptr, gp ? gp.ptr : 0, logits.ptr, lse.ptr, post.ptr, targets.ptr, N, K, V, scale);
    else if (gp) {
      // Only the prior needs a gradient: −scale·r_nk.
      kernels.axpy(gp.ptr, post.ptr, -scale, N * K);
    }
  }, [post, lse]);
}
