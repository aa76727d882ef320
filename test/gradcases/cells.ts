// Gradient-check cases for the fused RHN and ON-LSTM layers (src/ops/rhn.ts, src/ops/onlstm.ts)
// against float64 versions written straight from the official formulas, including a CSR weight
// inside each recurrence.
import { CSRMatrix, CsrOperator, onlstmGateRows, onlstmLayer, rhnLayer, type Tensor } from '../../src/index.js';
import type { GradCase } from '../helpers/gradcheck.js';

const sig = (v: number) => 1 / (1 + Math.exp(-v));

/**
 * Float64 RHN layer (official RecurrentHighway, coupled carry) → [y (T·B·H), sT (B·H)].
 * Inputs: x [T,B,I], W [2H,I], bW [2H], R_0..R_{D−1} [2H,H], bR_0..bR_{D−1} [2H], s0 [B,H] | null, mask [B,H] | null.
 */
export function rhnOracle(T: number, B: number, I: number, H: number, D: number, xs: (Float64Array | null)[]): Float64Array {
  const [x, W, bW] = xs as Float64Array[];
  const R = xs.slice(3, 3 + D) as Float64Array[], bR = xs.slice(3 + D, 3 + 2 * D) as Float64Array[];
  const s0 = xs[3 + 2 * D] ?? null, mask = xs[4 + 2 * D] ?? null;
  const s = s0 ? Float64Array.from(s0) : new Float64Array(B * H);
  const out = new Float64Array(T * B * H + B * H);
  for (let t = 0; t < T; t++) {
    for (let l = 0; l < D; l++) {
      const next = new Float64Array(B * H);
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < H; j++) {
          let aH = bR[l]![j]!, aT = bR[l]![H + j]!;
          if (l === 0) {
            aH += bW![j]!;
            aT += bW![H + j]!;
            for (let k = 0; k < I; k++) {
              aH += W![j * I + k]! * x![(t * B + b) * I + k]!;
              aT += W![(H + j) * I + k]! * x![(t * B + b) * I + k]!;
            }
          }
          for (let k = 0; k < H; k++) {
            const sm = s[b * H + k]! * (mask ? mask[b * H + k]! : 1);
            aH += R[l]![j * H + k]! * sm;
            aT += R[l]![(H + j) * H + k]! * sm;
          }
          const h = Math.tanh(aH), tg = sig(aT);
          next[b * H + j] = h * tg + s[b * H + j]! * (1 - tg);
        }
      }
      s.set(next);
    }
    out.set(s, t * B * H);
  }
  out.set(s, T * B * H);
  return out;
}

/** cumsum(softmax(z)) of a list. */
function cumax(z: number[]): number[] {
  const m = Math.max(...z), e = z.map((v) => Math.exp(v - m)), sum = e.reduce((a, b) => a + b, 0);
  let c = 0;
  return e.map((v) => (c += v / sum));
}

/**
 * Float64 ON-LSTM layer (official ONLSTMCell) → [y (T·B·H), hT (B·H), cT (B·H)].
 * Inputs: x [T,B,I], ih [G,I], hh [G,H], b_ih [G], b_hh [G], h0, c0 [B,H] (optional).
 */
export function onlstmOracle(T: number, B: number, I: number, H: number, chunk: number, [x, ih, hh, bih, bhh, h0, c0]: Float64Array[]): Float64Array {
  const C = H / chunk, G = 4 * H + 2 * C;
  const h = h0 ? Float64Array.from(h0) : new Float64Array(B * H);
  const c = c0 ? Float64Array.from(c0) : new Float64Array(B * H);
  const out = new Float64Array(T * B * H + 2 * B * H);
  for (let t = 0; t < T; t++) {
    const hPrev = Float64Array.from(h);
    for (let b = 0; b < B; b++) {
      const a = new Float64Array(G);
      for (let r = 0; r < G; r++) {
        let s = bih![r]! + bhh![r]!;
        for (let k = 0; k < I; k++) s += ih![r * I + k]! * x![(t * B + b) * I + k]!;
        for (let k = 0; k < H; k++) s += hh![r * H + k]! * hPrev[b * H + k]!;
        a[r] = s;
      }
      const ci = cumax(Array.from(a.subarray(0, C))).map((v) => 1 - v);
      const cf = cumax(Array.from(a.subarray(C, 2 * C)));
      for (let u = 0; u < H; u++) {
        const k = Math.floor(u / chunk);
        const o = sig(a[2 * C + u]!), g = Math.tanh(a[2 * C + H + u]!), i = sig(a[2 * C + 2 * H + u]!), f = sig(a[2 * C + 3 * H + u]!);
        const ov = cf[k]! * ci[k]!;
        const Fv = f * ov + (cf[k]! - ov), Iv = i * ov + (ci[k]! - ov);
        const cv = Fv * c[b * H + u]! + Iv * g;
        c[b * H + u] = cv;
        h[b * H + u] = o * Math.tanh(cv);
        out[(t * B + b) * H + u] = h[b * H + u]!;
      }
    }
  }
  out.set(h, T * B * H);
  out.set(c, T * B * H + B * H);
  return out;
}

// ---- sparse weights inside the recurrences -----------------------------------------------------

/** A fixed sparsity pattern: row 0 full, about 3/7 of every other row. */
export function pattern(rows: number, cols: number): { row: number[]; col: number[] } {
  const row: number[] = [], col: number[] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) if (r === 0 || (3 * r + 5 * c) % 7 < 3) { row.push(r); col.push(c); }
  return { row, col };
}
/** CSR matrices made by `sparse`, freed by `freeMade` (a case's `after`). */
const made: CSRMatrix[] = [];
/** A CSR weight over `pattern` whose nonzeros are `values` (the tensor under test). */
export function sparse(values: Tensor, rows: number, cols: number): CsrOperator {
  const m = CSRMatrix.fromCoords([rows, cols], pattern(rows, cols), { requiresGrad: false });
  made.push(m);
  return new CsrOperator(m, values);
}
/** The dense matrix of `values` placed on `pattern`. */
export function densify(values: Float64Array, rows: number, cols: number): Float64Array {
  const p = pattern(rows, cols), d = new Float64Array(rows * cols);
  p.row.forEach((r, k) => (d[r * cols + p.col[k]!] = values[k]!));
  return d;
}
export const freeMade = () => { for (const m of made.splice(0)) m.dispose(); };

export const cellCases: GradCase[] = [];

for (const [T, B, I, H, D] of [[3, 2, 3, 4, 2], [2, 5, 2, 3, 3], [2, 1, 1, 1, 1]] as [number, number, number, number, number][]) {
  const shapes = [[T, B, I], [2 * H, I], [2 * H], ...Array(D).fill([2 * H, H]), ...Array(D).fill([2 * H]), [B, H], [B, H]];
  cellCases.push({
    op: 'rhn',
    label: `T=${T} B=${B} I=${I} H=${H} depth ${D}, s0 and a hidden-dropout mask`,
    shapes,
    constant: [shapes.length - 1], // the mask
    run: (xs) => {
      const [x, w, bW] = xs as Tensor[];
      const r = rhnLayer(x!, { w: w!, bW: bW!, r: xs.slice(3, 3 + D), bR: xs.slice(3 + D, 3 + 2 * D) }, xs[3 + 2 * D], xs[4 + 2 * D]);
      return [r.output, r.s];
    },
    detached: [1],
    oracle: (xs) => rhnOracle(T, B, I, H, D, xs),
  });
}
{
  const [T, B, I, H, D] = [3, 3, 2, 4, 2];
  const nW = pattern(2 * H, I).row.length, nR = pattern(2 * H, H).row.length;
  cellCases.push({
    op: 'rhn',
    label: `CSR W and R, zero state, no mask, T=${T} B=${B} I=${I} H=${H} depth ${D}`,
    shapes: [[T, B, I], [nW], [2 * H], [nR], [nR], [2 * H], [2 * H]],
    run: ([x, vW, bW, v0, v1, b0, b1]) => rhnLayer(x!, { w: sparse(vW!, 2 * H, I), bW: bW!, r: [sparse(v0!, 2 * H, H), sparse(v1!, 2 * H, H)], bR: [b0!, b1!] }).output,
    oracle: ([x, vW, bW, v0, v1, b0, b1]) =>
      rhnOracle(T, B, I, H, D, [x!, densify(vW!, 2 * H, I), bW!, densify(v0!, 2 * H, H), densify(v1!, 2 * H, H), b0!, b1!, null, null]).subarray(0, T * B * H),
    after: freeMade,
  });
}

for (const [T, B, I, H, chunk] of [[3, 2, 3, 4, 2], [2, 5, 2, 6, 3], [2, 1, 2, 3, 1]] as [number, number, number, number, number][]) {
  const G = onlstmGateRows(H, chunk);
  cellCases.push({
    op: 'onlstm',
    label: `T=${T} B=${B} I=${I} H=${H} chunk ${chunk}, all 7 inputs`,
    shapes: [[T, B, I], [G, I], [G, H], [G], [G], [B, H], [B, H]],
    range: [-1.5, 1.5],
    run: ([x, ih, hh, bIh, bHh, h, c]) => {
      const r = onlstmLayer(x!, { ih: ih!, hh: hh!, bIh: bIh!, bHh: bHh! }, chunk, { h: h!, c: c! });
      return [r.output, r.h, r.c];
    },
    detached: [1, 2],
    oracle: (xs) => onlstmOracle(T, B, I, H, chunk, xs),
  });
}
{
  const [T, B, I, H, chunk] = [3, 2, 3, 4, 2];
  const G = onlstmGateRows(H, chunk), nIh = pattern(G, I).row.length, nHh = pattern(G, H).row.length;
  cellCases.push({
    op: 'onlstm',
    label: `CSR ih and hh, zero state, T=${T} B=${B} I=${I} H=${H} chunk ${chunk}`,
    shapes: [[T, B, I], [nIh], [nHh], [G], [G]],
    run: ([x, vIh, vHh, bIh, bHh]) => onlstmLayer(x!, { ih: sparse(vIh!, G, I), hh: sparse(vHh!, G, H), bIh: bIh!, bHh: bHh! }, chunk).output,
    oracle: ([x, vIh, vHh, bIh, bHh]) => onlstmOracle(T, B, I, H, chunk, [x!, densify(vIh!, G, I), densify(vHh!, G, H), bIh!, bHh!]).subarray(0, T * B * H),
    after: freeMade,
  });
}
