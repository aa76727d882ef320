// Plain-TypeScript references for the recurrent-cell kernels of assembly/rhn.ts and
// assembly/onlstm.ts, with the same arguments (byte pointers and sizes, see ./reference.ts for
// the memory convention). They are the specification those kernels are tested against, written
// for clarity (whole-array formulas, float64 arithmetic), not speed.
import type { RefMemory } from './reference.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

export function createCellReference(mem: RefMemory) {
  const F = (p: number) => p >>> 2;
  /** Element (row r, column b) of a matrix whose rows are `ld` floats apart. */
  const at = (p: number, r: number, b: number, ld: number) => F(p) + r * ld + b;

  return {
    rhn_block_forward(act: number, rec: number, bias: number, sPrev: number, mask: number, sOut: number, smOut: number, y: number, hasPre: number, writeY: number, H: number, B: number, ld: number) {
      const f = mem.f;
      for (let r = 0; r < H; r++) {
        for (let b = 0; b < B; b++) {
          const aH = (hasPre ? f[at(act, r, b, ld)]! : 0) + f[at(rec, r, b, B)]! + f[F(bias) + r]!;
          const aT = (hasPre ? f[at(act, H + r, b, ld)]! : 0) + f[at(rec, H + r, b, B)]! + f[F(bias) + H + r]!;
          const h = Math.tanh(aH), t = sigmoid(aT), sp = f[at(sPrev, r, b, B)]!;
          const s = h * t + sp * (1 - t);
          f[at(act, r, b, ld)] = h;
          f[at(act, H + r, b, ld)] = t;
          f[at(act, 2 * H + r, b, ld)] = sp;
          f[at(sOut, r, b, B)] = s;
          f[at(smOut, r, b, B)] = s * f[at(mask, r, b, B)]!;
          if (writeY) f[at(y, r, b, ld)] = s;
        }
      }
    },

    rhn_block_backward(act: number, dgate: number, ds: number, dy: number, hasDy: number, H: number, B: number, ld: number) {
      const f = mem.f;
      for (let r = 0; r < H; r++) {
        for (let b = 0; b < B; b++) {
          const d = f[at(ds, r, b, B)]! + (hasDy ? f[at(dy, r, b, ld)]! : 0);
          const h = f[at(act, r, b, ld)]!, t = f[at(act, H + r, b, ld)]!, sp = f[at(act, 2 * H + r, b, ld)]!;
          const dH = d * t * (1 - h * h), dT = d * (h - sp) * t * (1 - t);
          f[at(act, r, b, ld)] = dH;
          f[at(act, H + r, b, ld)] = dT;
          f[at(dgate, r, b, B)] = dH;
          f[at(dgate, H + r, b, B)] = dT;
          f[at(ds, r, b, B)] = d * (1 - t);
        }
      }
    },

    rhn_mask_columns(out: number, s: number, ld: number, mask: number, H: number, B: number, T: number) {
      const f = mem.f;
      for (let r = 0; r < H; r++) {
        for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) f[F(out) + r * T * B + t * B + b] = f[F(s) + r * ld + t * B + b]! * f[F(mask) + r * B + b]!;
      }
    },

    onlstm_gates_forward(pre: number, rec: number, bias: number, cPrev: number, c: number, tc: number, h: number, y: number, H: number, C: number, B: number, ld: number) {
      if (C <= 0) return;
      const f = mem.f;
      const chunk = H / C;
      const a = (r: number, b: number) => f[at(pre, r, b, ld)]! + f[at(rec, r, b, B)]! + f[F(bias) + r]!;
      for (let b = 0; b < B; b++) {
        // softmax of each master block, then cumulative sums
        const probs = [0, C].map((off) => {
          const z = Array.from({ length: C }, (_, k) => a(off + k, b));
          const m = z.reduce((x, y) => Math.max(x, y), -Infinity);
          const e = z.map((v) => Math.exp(v - m));
          const s = e.reduce((x, y2) => x + y2, 0);
          return e.map((v) => v / s);
        });
        const gates = Array.from({ length: 4 * H }, (_, r) => a(2 * C + r, b));
        for (let k = 0; k < C; k++) {
          f[at(pre, k, b, ld)] = probs[0]![k]!;
          f[at(pre, C + k, b, ld)] = probs[1]![k]!;
        }
        let cumI = 0, cumF = 0;
        for (let k = 0; k < C; k++) {
          cumI += probs[0]![k]!;
          cumF += probs[1]![k]!;
          const ci = 1 - cumI, cf = cumF, om = cf * ci;
          for (let j = 0; j < chunk; j++) {
            const r = k * chunk + j;
            const og = sigmoid(gates[r]!), g = Math.tanh(gates[H + r]!), i = sigmoid(gates[2 * H + r]!), fg = sigmoid(gates[3 * H + r]!);
            const Fv = fg * om + (cf - om), Iv = i * om + (ci - om);
            const cv = Fv * f[at(cPrev, r, b, B)]! + Iv * g;
            f[at(pre, 2 * C + r, b, ld)] = og;
            f[at(pre, 2 * C + H + r, b, ld)] = g;
            f[at(pre, 2 * C + 2 * H + r, b, ld)] = i;
            f[at(pre, 2 * C + 3 * H + r, b, ld)] = fg;
            f[at(c, r, b, B)] = cv;
            f[at(tc, r, b, B)] = Math.tanh(cv);
            f[at(h, r, b, B)] = og * Math.tanh(cv);
            f[at(y, r, b, ld)] = og * Math.tanh(cv);
          }
        }
      }
    },

    onlstm_gates_backward(dpre: number, dgate: number, dc: number, dy: number, dhRec: number, cPrev: number, tc: number, H: number, C: number, B: number, ld: number) {
      if (C <= 0) return;
      const f = mem.f;
      const chunk = H / C;
      const G = 4 * H + 2 * C;
      for (let b = 0; b < B; b++) {
        const p = Array.from({ length: C }, (_, k) => f[at(dpre, C + k, b, ld)]!);
        const q = Array.from({ length: C }, (_, k) => f[at(dpre, k, b, ld)]!);
        const out = new Float64Array(G);
        const dcf = new Float64Array(C), dci = new Float64Array(C);
        let cumI = 0, cumF = 0;
        for (let k = 0; k < C; k++) {
          cumI += q[k]!;
          cumF += p[k]!;
          const ci = 1 - cumI, cf = cumF, om = cf * ci;
          for (let j = 0; j < chunk; j++) {
            const r = k * chunk + j;
            const og = f[at(dpre, 2 * C + r, b, ld)]!, g = f[at(dpre, 2 * C + H + r, b, ld)]!;
            const i = f[at(dpre, 2 * C + 2 * H + r, b, ld)]!, fg = f[at(dpre, 2 * C + 3 * H + r, b, ld)]!;
            const t = f[at(tc, r, b, B)]!;
            const dh = f[at(dy, r, b, ld)]! + f[at(dhRec, r, b, B)]!;
            const dcT = f[at(dc, r, b, B)]! + dh * og * (1 - t * t);
            const Fv = fg * om + (cf - om), Iv = i * om + (ci - om);
            const dF = dcT * f[at(cPrev, r, b, B)]!, dI = dcT * g;
            const dom = dF * (fg - 1) + dI * (i - 1);
            dcf[k] += dF + dom * ci;
            dci[k] += dI + dom * cf;
            out[2 * C + r] = dh * t * og * (1 - og);
            out[2 * C + H + r] = dcT * Iv * (1 - g * g);
            out[2 * C + 2 * H + r] = dI * om * i * (1 - i);
            out[2 * C + 3 * H + r] = dF * om * fg * (1 - fg);
            f[at(dc, r, b, B)] = dcT * Fv;
          }
        }
        // d(cumsum) → d(softmax input): dp_j = Σ_{k≥j} dcf_k, da = p ⊙ (dp − p·dp); ci = 1 − cumsum(q).
        const dp = p.map((_, j) => dcf.slice(j).reduce((x, y2) => x + y2, 0));
        const dq = q.map((_, j) => -dci.slice(j).reduce((x, y2) => x + y2, 0));
        const sp = p.reduce((s, v, j) => s + v * dp[j]!, 0), sq = q.reduce((s, v, j) => s + v * dq[j]!, 0);
        for (let k = 0; k < C; k++) {
          out[k] = q[k]! * (dq[k]! - sq);
          out[C + k] = p[k]! * (dp[k]! - sp);
        }
        for (let r = 0; r < G; r++) {
          f[at(dpre, r, b, ld)] = out[r]!;
          f[at(dgate, r, b, B)] = out[r]!;
        }
      }
    },
  };
}

export type CellReference = ReturnType<typeof createCellReference>;
