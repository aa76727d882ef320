// The decoder and its cross-entropy as one op: mean_n −log softmax(x_n·Wᵀ + b)[t_n].
//
// With a dense weight this is crossEntropy(linear(x, W, b), t): the GEMM reads either layout, so
// nothing is copied. With a CSR weight the sparse products are feature-major (logitsT [V, N]),
// and crossEntropy over token-major logits [N, V] would cost three [N × V] transposes per step
// (forward, and twice in the backward: measured 17% of a zaremba-small step at density 0.33,
// bench step-profile). So the sparse case is the one-expert Mixture of Softmaxes (π = 1, the same
// loss and gradients), whose feature-major path (ops/mos-decoder.ts) never transposes the logits.
import { Tensor } from '../tensor.js';
import type { IntTensor } from '../tensor.js';
import { CSRMatrix } from '../csr.js';
import { linear } from './linear.js';
import { decoderLayoutForBench, mosDecoderNLL } from './mos-decoder.js';
import { crossEntropy } from './softmax.js';

/** Mean cross-entropy of the logits x·Wᵀ + bias (x [N, in], W [V, in] dense or CSR) against targets. */
export function linearCrossEntropy(x: Tensor, weight: Tensor | CSRMatrix, bias: Tensor | null | undefined, targets: IntTensor): Tensor {
  if (!(weight instanceof CSRMatrix) || !bias || x.rank !== 2 || decoderLayoutForBench() === 'token-major') return crossEntropy(linear(x, weight, bias), targets);
  // log π = 0 for the single expert: a constant, so no gradient flows to it.
  const logPrior = new Tensor([x.shape[0]!, 1]);
  logPrior.data.fill(0);
  return mosDecoderNLL(x, weight, bias, logPrior, targets);
}
