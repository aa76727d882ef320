// The whole Mixture-of-Softmaxes output layer as one op, computed in token chunks:
//
//   logits_nk = latent_nk · Wᵀ + b          (the tied decoder; W dense [V, E] or CSR)
//   loss      = mean_n −log Σ_k π_nk softmax(logits_nk)[t_n]
//
// Why fused: the logits are N·K·V floats (PTB recipe: 840 tokens × 15 experts × 10,000 words =
// 126M floats = 504 MB, and as much again for their gradient; WikiText-2's 33,278 words need
// 2 GB each), more than a 4 GB wasm memory can hold next to the rest. Here only one chunk of
// logits exists at a time. The forward keeps lse and the posterior (N·K floats each); the
// backward recomputes each chunk's logits (one extra decoder product, ≈ +⅓ of the decoder's
// FLOPs) and turns them straight into dW, d latent, db and d log π. A dense decoder works on
// token-major logits (assembly/mos.ts), a sparse one on feature-major logits (assembly/mos-fm.ts),
// the layout its sparse products give, so no [tokens × V] transpose is ever made.
import { heap } from '../backend/memory.js';
import { kernels } from '../backend/wasm.js';
import { record } from '../autograd/engine.js';
import { IntTensor, Tensor, shapeString } from '../tensor.js';
import { checkIds } from './embedding.js';
import { registerOp } from './registry.js';
import { storeTransposed, weightOperator, type WeightLike, type WeightOperator } from './weight-operator.js';

registerOp('mosDecoderNLL', 'ops/mos-decoder.ts');

/** Floats of logits per chunk (16M floats = 64 MB), unless overridden (tests use tiny chunks). */
const DEFAULT_CHUNK_FLOATS = 16 * 1024 * 1024;

/**
 * Benchmarks only: 'token-major' makes a sparse decoder take the layout it had before the
 * feature-major kernels (token-major logits, transposed around every sparse product), here and
 * in linearCrossEntropy, so that one run can compare the two.
 */
let layout: 'auto' | 'token-major' = 'auto';
export function setDecoderLayoutForBench(l: 'auto' | 'token-major'): void {
  layout = l;
}
export function decoderLayoutForBench(): 'auto' | 'token-major' {
  return layout;
}

export interface MosDecoderOptions {
  /** Tokens per chunk; default: as many as fit in 64 MB of logits. */
  chunkTokens?: number;
}

/**
 * latent [N·K, E] (row n·K + k), weight [V, E] (dense or CSR), bias [V], logPrior [N, K] (log π),
 * targets: N ids. Returns the mean negative log-likelihood (a scalar).
 */
export function mosDecoderNLL(latent: Tensor, weight: WeightLike, bias: Tensor, logPrior: Tensor, targets: IntTensor, opts: MosDecoderOptions = {}): Tensor {
  latent.assertLive();
  bias.assertLive();
  logPrior.assertLive();
  const W = weightOperator(weight);
  W.assertLive();
  const [V, E] = [W.rows, W.cols];
  if (logPrior.rank !== 2) throw new RangeError(`selfish-rnn: mosDecoderNLL: logPrior must be [N, K], got ${shapeString(logPrior.shape)}`);
  const [N, K] = logPrior.shape as [number, number];
  if (latent.rank !== 2 || latent.shape[0] !== N * K || latent.shape[1] !== E) {
    throw new RangeError(`selfish-rnn: mosDecoderNLL: latent must be [${N}·${K}, ${E}], got ${shapeString(latent.shape)}`);
  }
  if (bias.size !== V) throw new RangeError(`selfish-rnn: mosDecoderNLL: bias must be [${V}], got ${shapeString(bias.shape)}`);
  if (targets.size !== N || N === 0) throw new RangeError(`selfish-rnn: mosDecoderNLL: ${targets.size} targets for ${N} tokens`);
  checkIds(targets, V, 'mosDecoderNLL targets');
  const chunk = Math.max(1, Math.min(N, opts.chunkTokens ?? Math.floor(DEFAULT_CHUNK_FLOATS / Math.max(1, K * V))));
  return W.sparse && layout === 'auto' ? featureMajor(latent, W, bias, logPrior, targets, N, K, V, E, chunk) : tokenMajor(latent, W, bias, logPrior, targets, N, K, V, E, chunk);
}

/**
 * Dense decoder: logits token-major [nc·K, V] (the GEMM reads either layout through its transpose
 * flags, so no copies), the token-major MoS kernels (assembly/mos.ts).
 */
function tokenMajor(latent: Tensor, W: WeightOperator, bias: Tensor, logPrior: Tensor, targets: IntTensor, N: number, K: number, V: number, E: number, chunk: number): Tensor {
  /** logits for tokens [n0, n0 + nc) into buf [nc·K, V]. */
  const logitsChunk = (buf: Tensor, n0: number, nc: number): void => {
    const rows = nc * K;
    W.forwardRows(buf.ptr, latent.ptr + n0 * K * E * 4, rows, 0);
    kernels.add_row_bcast(buf.ptr, buf.ptr, bias.ptr, rows, V);
  };

  // Saved for the backward (owned by the tape): the per-(token, expert) log-sum-exp and posterior.
  const lse = new Tensor([N * K]);
  const post = new Tensor([N * K]);
  const losses = new Tensor([chunk]);
  const buf = new Tensor([chunk * K, V]);
  let total = 0;
  for (let n0 = 0; n0 < N; n0 += chunk) {
    const nc = Math.min(chunk, N - n0);
    logitsChunk(buf, n0, nc);
    total += kernels.mos_nll(losses.ptr, post.ptr + n0 * K * 4, lse.ptr + n0 * K * 4, buf.ptr, logPrior.ptr + n0 * K * 4, targets.ptr + n0 * 4, nc, K, V);
  }
  buf.dispose();
  losses.dispose();
  const out = new Tensor([]);
  heap.f32()[out.ptr >>> 2] = total / N;

  return record(out, 'mosDecoderNLL', [latent, W.tensor, bias, logPrior], (g, [gLatent, gW, gBias, gPrior]) => {
    W.assertLive('mosDecoderNLL');
    const scale = heap.f32()[g.ptr >>> 2]! / N;
    const logits = new Tensor([chunk * K, V]);
    const gbuf = new Tensor([chunk * K, V]);
    for (let n0 = 0; n0 < N; n0 += chunk) {
      const nc = Math.min(chunk, N - n0), rows = nc * K;
      const off = n0 * K;
      logitsChunk(logits, n0, nc);
      kernels.fill(gbuf.ptr, 0, rows * V);
      // d logits (into gbuf) and d log π (accumulated straight into gPrior, or into a throwaway)
      kernels.mos_nll_backward(gbuf.ptr, gPrior ? gPrior.ptr + off * 4 : 0, logits.ptr, lse.ptr + off * 4, post.ptr + off * 4, targets.ptr + n0 * 4, nc, K, V, scale);
      if (gBias) kernels.sum_rows_acc(gBias.ptr, gbuf.ptr, rows, V);
      const x = latent.ptr + off * E * 4;
      if (gW) W.backwardWeightRows(gW.ptr, gbuf.ptr, x, rows); // dW += dlogitsᵀ · latent
      if (gLatent) W.backwardInputRows(gLatent.ptr + off * E * 4, gbuf.ptr, rows, 1); // dlatent += dlogits · W
    }
    logits.dispose();
    gbuf.dispose();
  }, [lse, post]);
}

/**
 * Sparse decoder: its products are feature-major (SpMM gives logitsT [V, nc·K] from latentᵀ), so
 * the loss and gradient come from the feature-major MoS kernels (assembly/mos-fm.ts) and stay in
 * that layout through SDDMM (dW) and SpMMᵀ (d latent). Only the small [nc·K, E] latent chunks
 * are transposed, never the [nc·K, V] logits. With one chunk (every token's logits fit the chunk
 * budget) the forward turns the logits into exp(logit − max) in place and the tape keeps them
 * with latentᵀ, so the backward neither recomputes the logits nor any exp: one multiply per
 * logit, in place. With several chunks each chunk's logits are recomputed in the backward.
 */
function featureMajor(latent: Tensor, W: WeightOperator, bias: Tensor, logPrior: Tensor, targets: IntTensor, N: number, K: number, V: number, E: number, chunk: number): Tensor {
  const single = chunk >= N;
  /** latentᵀ of tokens [n0, n0 + nc) into xT [E, nc·K], and their logitsT [V, nc·K] (bias not added). */
  const logitsChunk = (xT: Tensor, logitsT: Tensor, n0: number, nc: number): void => {
    const rows = nc * K;
    kernels.transpose(xT.ptr, latent.ptr + n0 * K * E * 4, rows, E);
    W.forward(logitsT.ptr, xT.ptr, rows, 0);
  };

  const lse = new Tensor([N * K]);
  const post = new Tensor([N * K]);
  const sum = new Tensor([chunk * K]); // Σ exp(logit − max) per column (kept when single)
  const losses = new Tensor([chunk]);
  const tl = new Tensor([chunk * K]);
  const xT = new Tensor([E, chunk * K]);
  const logitsT = new Tensor([V, chunk * K]); // when single: exp(logit − max) after mos_fm_lse
  let total = 0;
  for (let n0 = 0; n0 < N; n0 += chunk) {
    const nc = Math.min(chunk, N - n0), off = n0 * K * 4;
    logitsChunk(xT, logitsT, n0, nc);
    kernels.mos_fm_target_logits(tl.ptr, logitsT.ptr, bias.ptr, targets.ptr + n0 * 4, nc, K);
    kernels.mos_fm_lse(lse.ptr + off, sum.ptr, logitsT.ptr, bias.ptr, V, nc * K, single ? logitsT.ptr : 0);
    total += kernels.mos_fm_nll(losses.ptr, post.ptr + off, lse.ptr + off, tl.ptr, logPrior.ptr + off, nc, K);
  }
  for (const t of single ? [losses, tl] : [losses, tl, sum, xT, logitsT]) t.dispose();
  const out = new Tensor([]);
  heap.f32()[out.ptr >>> 2] = total / N;

  return record(out, 'mosDecoderNLL', [latent, W.tensor, bias, logPrior], (g, [gLatent, gW, gBias, gPrior]) => {
    W.assertLive('mosDecoderNLL');
    const scale = heap.f32()[g.ptr >>> 2]! / N;
    const xTb = single ? xT : new Tensor([E, chunk * K]);
    const logitsTb = single ? null : new Tensor([V, chunk * K]);
    // The gradient overwrites the stored exp values (single) or has its own buffer.
    const glT = single ? logitsT : new Tensor([V, chunk * K]);
    const coef = single ? new Tensor([N * K]) : null;
    const gxT = gLatent ? new Tensor([E, chunk * K]) : null;
    for (let n0 = 0; n0 < N; n0 += chunk) {
      const nc = Math.min(chunk, N - n0), rows = nc * K, off = n0 * K * 4;
      // d logitsT (softmax part, then the targets' terms), d bias and d log π
      if (single) {
        kernels.mos_fm_coef(coef!.ptr, post.ptr, sum.ptr, rows, scale);
        kernels.mos_fm_backward_probs(glT.ptr, gBias ? gBias.ptr : 0, logitsT.ptr, coef!.ptr, V, rows);
      } else {
        logitsChunk(xTb, logitsTb!, n0, nc);
        kernels.mos_fm_backward(glT.ptr, gBias ? gBias.ptr : 0, logitsTb!.ptr, bias.ptr, lse.ptr + off, post.ptr + off, V, rows, scale);
      }
      kernels.mos_fm_backward_targets(glT.ptr, gBias ? gBias.ptr : 0, gPrior ? gPrior.ptr + off : 0, post.ptr + off, targets.ptr + n0 * 4, nc, K, scale);
      if (gW) W.backwardWeight(gW.ptr, glT.ptr, xTb.ptr, rows); // dW += dlogitsT · latent (SDDMM at W's entries)
      if (gLatent) {
        W.backwardInput(gxT!.ptr, glT.ptr, rows, 0); // d latentᵀ = Wᵀ · dlogitsT
        storeTransposed(gLatent.ptr + off * E, gxT!, E, rows, 1);
      }
    }
    for (const t of single ? [coef, gxT] : [xTb, logitsTb, glT, gxT]) t?.dispose();
  }, single ? [lse, post, sum, xT, logitsT] : [lse, post]);
}
