// Gradient-check cases for the fused, chunked MoS output layer (src/ops/mos-decoder.ts), with a
// dense and a CSR decoder weight and chunks smaller than the batch (so chunk boundaries matter).
import { CSRMatrix, IntTensor, linearCrossEntropy, mosDecoderNLL, type Tensor } from '../../src/index.js';
import type { GradCase } from '../helpers/gradcheck.js';

const N = 5, K = 3, E = 4, V = 7;
const TARGETS = [6, 0, 3, 3, 1];

/** −mean_n log Σ_k π_nk softmax(latent_nk·Wᵀ + b)[t_n], in float64. */
function oracle(latent: Float64Array, W: Float64Array, b: Float64Array, logPrior: Float64Array, K = 3): Float64Array {
  let s = 0;
  for (let n = 0; n < N; n++) {
    let p = 0;
    for (let k = 0; k < K; k++) {
      const row = new Float64Array(V);
      for (let v = 0; v < V; v++) {
        let z = b[v]!;
        for (let e = 0; e < E; e++) z += latent[(n * K + k) * E + e]! * W[v * E + e]!;
        row[v] = z;
      }
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((a, z) => a + Math.exp(z - m), 0));
      p += Math.exp(logPrior[n * K + k]!) * Math.exp(row[TARGETS[n]!]! - lse);
    }
    s -= Math.log(p);
  }
  return Float64Array.of(s / N);
}

// CSR pattern of the V×E decoder: (v, e) exists when (2v + 3e) % 5 < 3; row 2 empty.
const pattern = { row: [] as number[], col: [] as number[] };
for (let v = 0; v < V; v++) for (let e = 0; e < E; e++) if (v !== 2 && (2 * v + 3 * e) % 5 < 3) { pattern.row.push(v); pattern.col.push(e); }
const NNZ = pattern.row.length;
const made: CSRMatrix[] = [];

function dense(values: Float64Array): Float64Array {
  const W = new Float64Array(V * E);
  pattern.row.forEach((v, s) => (W[v * E + pattern.col[s]!] = values[s]!));
  return W;
}

function csr(values: Tensor): CSRMatrix {
  const m = CSRMatrix.fromCoords([V, E], pattern, { requiresGrad: false });
  const rowPtr = Array.from(m.rowPtr.data), colIdx = Array.from(m.colIdx.data);
  m.dispose();
  const w = CSRMatrix.fromParts([V, E], rowPtr, colIdx, values, { persistent: false });
  made.push(w);
  return w;
}

export const mosCases: GradCase[] = [
  {
    op: 'mosDecoderNLL', label: `dense W [${V}, ${E}], N=${N} K=${K}, chunks of 2 tokens`,
    shapes: [[N * K, E], [V, E], [V], [N, K]], range: [-1.5, 1.5],
    run: ([l, w, b, p]) => mosDecoderNLL(l!, w!, b!, p!, new IntTensor(TARGETS), { chunkTokens: 2 }),
    oracle: ([l, w, b, p]) => oracle(l!, w!, b!, p!),
  },
  {
    op: 'mosDecoderNLL', label: `CSR W (nnz ${NNZ}, an empty row), chunks of 3 tokens`,
    shapes: [[N * K, E], [NNZ], [V], [N, K]], range: [-1.5, 1.5],
    run: ([l, w, b, p]) => mosDecoderNLL(l!, csr(w!), b!, p!, new IntTensor(TARGETS), { chunkTokens: 3 }),
    oracle: ([l, w, b, p]) => oracle(l!, dense(w!), b!, p!),
    after: () => { made.splice(0); },
  },
  {
    op: 'mosDecoderNLL', label: `CSR W (nnz ${NNZ}), one chunk (the backward reuses the forward's logits)`,
    shapes: [[N * K, E], [NNZ], [V], [N, K]], range: [-1.5, 1.5],
    run: ([l, w, b, p]) => mosDecoderNLL(l!, csr(w!), b!, p!, new IntTensor(TARGETS)),
    oracle: ([l, w, b, p]) => oracle(l!, dense(w!), b!, p!),
    after: () => { made.splice(0); },
  },
  {
    // linearCrossEntropy with a CSR weight is the one-expert MoS (π = 1): plain cross-entropy.
    op: 'mosDecoderNLL', label: `linearCrossEntropy, CSR W (nnz ${NNZ}): softmax cross-entropy through the feature-major path`,
    shapes: [[N, E], [NNZ], [V]], range: [-1.5, 1.5],
    run: ([x, w, b]) => linearCrossEntropy(x!, csr(w!), b!, new IntTensor(TARGETS)),
    oracle: ([x, w, b]) => oracle(x!, dense(w!), b!, new Float64Array(N), 1),
    after: () => { made.splice(0); },
  },
];
