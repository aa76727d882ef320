// Gradient-check cases for the GRU layer of the GRU family (src/families/gru.ts, composed of public
// ops) against a float64 GRU written straight from torch.nn.GRU's formulas, with dense weights
// and an initial state, and with CSR weights inside the recurrence.
import { gruLayer, type Tensor } from '../../src/index.js';
import type { GradCase } from '../helpers/gradcheck.js';
import { densify, freeMade, pattern, sparse } from './cells.js';

const sig = (v: number) => 1 / (1 + Math.exp(-v));

/**
 * Float64 GRU layer → [y (T·B·H), hT (B·H)]. Inputs: x [T,B,I], W_ih [3H,I], W_hh [3H,H],
 * b_ih [3H], b_hh [3H], h0 [B,H] | undefined; gate rows r, z, n.
 */
export function gruOracle(T: number, B: number, I: number, H: number, [x, ih, hh, bih, bhh, h0]: (Float64Array | undefined)[]): Float64Array {
  const h = h0 ? Float64Array.from(h0) : new Float64Array(B * H);
  const out = new Float64Array(T * B * H + B * H);
  for (let t = 0; t < T; t++) {
    const prev = Float64Array.from(h);
    for (let b = 0; b < B; b++) {
      const gi = new Float64Array(3 * H), gh = new Float64Array(3 * H);
      for (let r = 0; r < 3 * H; r++) {
        let si = bih![r]!, sh = bhh![r]!;
        for (let k = 0; k < I; k++) si += ih![r * I + k]! * x![(t * B + b) * I + k]!;
        for (let k = 0; k < H; k++) sh += hh![r * H + k]! * prev[b * H + k]!;
        gi[r] = si;
        gh[r] = sh;
      }
      for (let j = 0; j < H; j++) {
        const r = sig(gi[j]! + gh[j]!), z = sig(gi[H + j]! + gh[H + j]!);
        const n = Math.tanh(gi[2 * H + j]! + r * gh[2 * H + j]!);
        h[b * H + j] = (1 - z) * n + z * prev[b * H + j]!;
        out[(t * B + b) * H + j] = h[b * H + j]!;
      }
    }
  }
  out.set(h, T * B * H);
  return out;
}

export const gruCases: GradCase[] = [];

for (const [T, B, I, H] of [[3, 2, 3, 4], [2, 5, 2, 3], [2, 1, 1, 1]] as [number, number, number, number][]) {
  gruCases.push({
    op: 'gruLayer',
    label: `T=${T} B=${B} I=${I} H=${H}, dense weights and h0`,
    shapes: [[T, B, I], [3 * H, I], [3 * H, H], [3 * H], [3 * H], [B, H]],
    range: [-1.5, 1.5],
    run: ([x, ih, hh, bIh, bHh, h0]) => {
      const r = gruLayer(x!, { ih: ih!, hh: hh!, bIh: bIh!, bHh: bHh! }, h0);
      return [r.output, r.h];
    },
    oracle: (xs) => gruOracle(T, B, I, H, xs),
  });
}
{
  const [T, B, I, H] = [3, 2, 3, 4];
  const nIh = pattern(3 * H, I).row.length, nHh = pattern(3 * H, H).row.length;
  gruCases.push({
    op: 'gruLayer',
    label: `CSR W_ih and W_hh, zero state, T=${T} B=${B} I=${I} H=${H}`,
    shapes: [[T, B, I], [nIh], [nHh], [3 * H], [3 * H]],
    range: [-1.5, 1.5],
    run: ([x, vIh, vHh, bIh, bHh]: Tensor[]) => gruLayer(x!, { ih: sparse(vIh!, 3 * H, I), hh: sparse(vHh!, 3 * H, H), bIh: bIh!, bHh: bHh! }).output,
    oracle: ([x, vIh, vHh, bIh, bHh]) => gruOracle(T, B, I, H, [x!, densify(vIh!, 3 * H, I), densify(vHh!, 3 * H, H), bIh!, bHh!]).subarray(0, T * B * H),
    after: freeMade,
  });
}
