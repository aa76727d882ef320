// Gradient-check cases for the fused LSTM layer (src/ops/lstm.ts) against a float64 LSTM.
import { CSRMatrix, lstmLayer, CsrOperator, type Tensor } from '../../src/index.js';
import type { GradCase } from '../helpers/gradcheck.js';

/** Float64 LSTM (PyTorch semantics) → [y (T·B·H), hT (B·H), cT (B·H)] concatenated. */
export function lstmOracle(T: number, B: number, I: number, H: number, [x, wih, whh, bih, bhh, h0, c0]: Float64Array[]): Float64Array {
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const h = h0 ? Float64Array.from(h0) : new Float64Array(B * H);
  const c = c0 ? Float64Array.from(c0) : new Float64Array(B * H);
  const out = new Float64Array(T * B * H + 2 * B * H);
  const a = new Float64Array(4 * H);
  for (let t = 0; t < T; t++) {
    const hPrev = Float64Array.from(h);
    for (let b = 0; b < B; b++) {
      for (let r = 0; r < 4 * H; r++) {
        let s = bih![r]! + bhh![r]!;
        for (let k = 0; k < I; k++) s += wih![r * I + k]! * x![(t * B + b) * I + k]!;
        for (let k = 0; k < H; k++) s += whh![r * H + k]! * hPrev[b * H + k]!;
        a[r] = s;
      }
      for (let j = 0; j < H; j++) {
        const i = sig(a[j]!), f = sig(a[H + j]!), g = Math.tanh(a[2 * H + j]!), o = sig(a[3 * H + j]!);
        const cv = f * c[b * H + j]! + i * g;
        c[b * H + j] = cv;
        h[b * H + j] = o * Math.tanh(cv);
        out[(t * B + b) * H + j] = h[b * H + j]!;
      }
    }
  }
  out.set(h, T * B * H);
  out.set(c, T * B * H + B * H);
  return out;
}

const SIZES: [number, number, number, number][] = [[3, 2, 3, 5], [4, 5, 2, 3], [3, 1, 1, 1]];

export const lstmCases: GradCase[] = [
  // All 7 inputs (x, W_ih, W_hh, b_ih, b_hh, h0, c0); hT and cT are compared in the forward only.
  ...SIZES.map(([T, B, I, H]): GradCase => ({
    op: 'lstm',
    label: `T=${T} B=${B} I=${I} H=${H}, all 7 inputs`,
    shapes: [[T, B, I], [4 * H, I], [4 * H, H], [4 * H], [4 * H], [B, H], [B, H]],
    run: ([x, wIh, wHh, bIh, bHh, h, c]) => {
      const r = lstmLayer(x!, { wIh: wIh!, wHh: wHh!, bIh: bIh!, bHh: bHh! }, { h: h!, c: c! });
      return [r.output, r.h, r.c];
    },
    detached: [1, 2],
    oracle: (xs) => lstmOracle(T, B, I, H, xs),
  })),
  {
    op: 'lstm',
    label: 'zero initial state, T=3 B=3 I=2 H=4',
    shapes: [[3, 3, 2], [16, 2], [16, 4], [16], [16]],
    range: [-1.5, 1.5],
    run: ([x, wIh, wHh, bIh, bHh]) => lstmLayer(x!, { wIh: wIh!, wHh: wHh!, bIh: bIh!, bHh: bHh! }).output,
    oracle: (xs) => lstmOracle(3, 3, 2, 4, xs).subarray(0, 3 * 3 * 4),
  },
];

// ---- the same layer with CSR weights (SpMM / SpMMᵀ / SDDMM inside the recurrence) -------------

/** Sparsity pattern of a 4H×K weight: entry (r, c) exists when (3r + 5c) % 7 < 3, plus all of row 0. */
function lstmPattern(rows: number, cols: number): { row: number[]; col: number[] } {
  const row: number[] = [], col: number[] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) if (r === 0 || (3 * r + 5 * c) % 7 < 3) { row.push(r); col.push(c); }
  return { row, col };
}

const sparseMade: CSRMatrix[] = [];

/** A CsrOperator whose values are the gradcheck's leaf tensor. */
function sparseWeight(values: Tensor, rows: number, cols: number): CsrOperator {
  const m = CSRMatrix.fromCoords([rows, cols], lstmPattern(rows, cols), { requiresGrad: false });
  sparseMade.push(m);
  return new CsrOperator(m, values);
}

function densify(values: Float64Array, rows: number, cols: number): Float64Array {
  const p = lstmPattern(rows, cols), d = new Float64Array(rows * cols);
  p.row.forEach((r, k) => (d[r * cols + p.col[k]!] = values[k]!));
  return d;
}

{
  const [T, B, I, H] = [3, 2, 3, 5];
  const nIh = lstmPattern(4 * H, I).row.length, nHh = lstmPattern(4 * H, H).row.length;
  lstmCases.push({
    op: 'lstm',
    label: `CSR W_ih and W_hh, T=${T} B=${B} I=${I} H=${H}`,
    shapes: [[T, B, I], [nIh], [nHh], [4 * H], [4 * H], [B, H], [B, H]],
    run: ([x, vIh, vHh, bIh, bHh, h, c]) => {
      const r = lstmLayer(x!, { wIh: sparseWeight(vIh!, 4 * H, I), wHh: sparseWeight(vHh!, 4 * H, H), bIh: bIh!, bHh: bHh! }, { h: h!, c: c! });
      return [r.output, r.h, r.c];
    },
    detached: [1, 2],
    oracle: ([x, vIh, vHh, ...rest]) => lstmOracle(T, B, I, H, [x!, densify(vIh!, 4 * H, I), densify(vHh!, 4 * H, H), ...rest]),
    after: () => { for (const m of sparseMade.splice(0)) m.dispose(); },
  });
}
