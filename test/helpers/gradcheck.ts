// The one finite-difference gradient check used for every differentiable op.
//
// The op under test runs in float32 through the wasm kernels and the tape; its oracle is a
// plain float64 forward written independently in the test. With a fixed random projection w,
// L(x) = Σ w ⊙ f(x): the analytic gradient is backward(w) on the tape, the numeric one is the
// central difference (L64(x + h) − L64(x − h)) / 2h of the float64 oracle. The forward values
// are compared too, so an op and its oracle cannot silently disagree.
// An op with several outputs (the LSTM's y, hT, cT) returns them as an array; the oracle returns
// their concatenation. Outputs listed in `detached` must carry no autodiff history: they are
// compared in the forward only and left out of L.
import * as assert from 'uvu/assert';
import { Random, Tensor, add, mul, sum, tensor, tidy } from '../../src/index.js';

export interface GradCase {
  /** Registered op name this case covers. */
  op: string;
  /** Human-readable variant, e.g. "broadcast [3,5] + [5]". */
  label: string;
  /** Input shapes; each becomes a random tensor requiring grad. */
  shapes: number[][];
  /** Value range of the random inputs (default [-1, 1]). */
  range?: [number, number];
  /** Inputs that must not receive gradient (e.g. constant masks), by index. */
  constant?: number[];
  /** The op on the tape: one output, or several. */
  run(inputs: Tensor[]): Tensor | Tensor[];
  /** Float64 oracle of the same function: flat inputs → flat output (outputs concatenated). */
  oracle(inputs: Float64Array[]): Float64Array;
  /** Outputs of `run` (by index) returned without autodiff history: checked in the forward only. */
  detached?: number[];
  /** Tolerance on the relative error (default 2e-3). */
  tol?: number;
  /** Frees what `run` created outside the tape (e.g. sparse index arrays), after the check. */
  after?: () => void;
}

const checked = new Set<string>();

/** Names of ops that went through `gradcheck` so far (for the coverage test). */
export function checkedOps(): ReadonlySet<string> {
  return checked;
}

function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(1e-3, Math.abs(a) + Math.abs(b));
}

export function gradcheck(c: GradCase, seed = 1): void {
  const rng = new Random(seed);
  const lo = c.range?.[0] ?? -1, hi = c.range?.[1] ?? 1;
  const xs64 = c.shapes.map((s) => Float64Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * rng.uniform()));
  // Round the inputs to f32 so the f32 op and the f64 oracle see the same numbers.
  for (const x of xs64) for (let i = 0; i < x.length; i++) x[i] = Math.fround(x[i]!);
  const ref = c.oracle(xs64.map((x) => x.slice()));
  const w = Float64Array.from(ref, () => Math.fround(rng.uniform() * 2 - 1));

  tidy(() => {
    const inputs = c.shapes.map((s, k) => tensor(xs64[k]!, s, { requiresGrad: !(c.constant ?? []).includes(k) }));
    const result = c.run(inputs);
    const outs = Array.isArray(result) ? result : [result];
    assert.is(outs.reduce((n, o) => n + o.size, 0), ref.length, `${c.op} (${c.label}): output size`);
    const got = new Float32Array(ref.length);
    const offsets: number[] = [];
    outs.reduce((at, o) => (offsets.push(at), got.set(o.toArray(), at), at + o.size), 0);
    for (const k of c.detached ?? []) {
      assert.not.ok(outs[k]!.requiresGrad, `${c.op} (${c.label}): output ${k} should be detached`);
      w.fill(0, offsets[k]!, offsets[k]! + outs[k]!.size);
    }
    for (let i = 0; i < ref.length; i++) {
      // Written as 'not close' so that a NaN on either side fails (NaN > x is false).
      if (!(relErr(got[i]!, ref[i]!) <= 1e-4 || Math.abs(got[i]! - ref[i]!) <= 1e-5)) {
        assert.unreachable(`${c.op} (${c.label}): forward[${i}] = ${got[i]} but oracle says ${ref[i]}`);
      }
    }
    const weighted = outs.flatMap((o, k) => ((c.detached ?? []).includes(k) ? [] : [{ o, w: w.subarray(offsets[k]!, offsets[k]! + o.size) }]));
    if (weighted.length === 1) {
      const { o, w: wk } = weighted[0]!;
      if (o.requiresGrad) o.backward(tensor(wk, o.shape));
    } else if (weighted.length > 1) {
      // L = Σ_k Σ w_k ⊙ out_k on the tape: the engine backpropagates from one root only.
      weighted.map(({ o, w: wk }) => sum(mul(o, tensor(wk, o.shape)))).reduce((a, b) => add(a, b)).backward();
    }

    const L = (xs: Float64Array[]) => {
      const y = c.oracle(xs);
      let s = 0;
      for (let i = 0; i < y.length; i++) s += w[i]! * y[i]!;
      return s;
    };
    let worst = 0;
    inputs.forEach((inp, k) => {
      if ((c.constant ?? []).includes(k)) return;
      assert.ok(inp.grad, `${c.op} (${c.label}): input ${k} received no gradient`);
      const analytic = inp.grad!.toArray();
      const x = xs64[k]!;
      for (let i = 0; i < x.length; i++) {
        const orig = x[i]!;
        const h = 1e-6 * Math.max(1, Math.abs(orig));
        x[i] = orig + h;
        const up = L(xs64);
        x[i] = orig - h;
        const down = L(xs64);
        x[i] = orig;
        const numeric = (up - down) / (2 * h);
        const err = relErr(analytic[i]!, numeric);
        worst = Math.max(worst, err);
        if (!(err <= (c.tol ?? 2e-3) || Math.abs(analytic[i]! - numeric) <= 1e-4)) {
          assert.unreachable(`${c.op} (${c.label}): d/dx${k}[${i}] analytic ${analytic[i]} vs numeric ${numeric} (rel err ${err.toExponential(2)})`);
        }
      }
      inp.grad!.dispose();
      inp.grad = null;
    });
  });
  c.after?.();
  checked.add(c.op);
}
