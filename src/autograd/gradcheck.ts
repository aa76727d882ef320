// Finite-difference gradient check, for any function of tensors on the tape (a built-in op, a
// composite, or an op of your own made with defineOp).
//
// With a fixed random projection w, L(x) = Σ w ⊙ f(x): the analytic gradient is backward(w) on the
// tape; the numeric one is a central difference of L. Tensors here are float32, so where float64
// matters the caller supplies `oracle`, a plain float64 forward of the same function written
// independently: the numeric gradient is then (L64(x + h) − L64(x − h)) / 2h of the oracle, in
// float64 with a small step, and the forward values are compared with it too (so an op and its
// oracle cannot silently disagree). Without an oracle the differences are taken of `fn` itself
// in float32, with a larger step and looser tolerances.
// Several outputs (returned as an array; the oracle returns their concatenation) are checked
// together; outputs listed in `detached` must carry no autodiff history and are compared in the
// forward only.
import { checkOptions } from '../config/options.js';
import { Random } from '../random.js';
import { Tensor, shapeString, tensor, tidy } from '../tensor.js';
import { noGrad } from './engine.js';

export interface GradcheckOptions {
  /**
   * Float64 reference of the same function: flat inputs → flat output (several outputs
   * concatenated). Makes the check float64 (see above).
   */
  oracle?: (inputs: Float64Array[]) => Float64Array;
  /** Inputs (by index) that get no gradient (masks, constants): not differentiated, not checked. */
  constant?: readonly number[];
  /** Outputs (by index) that must be detached (no autodiff history): compared in the forward only. */
  detached?: readonly number[];
  /** Relative tolerance on each gradient entry (default 2e-3 with an oracle, 1e-2 without). */
  tol?: number;
  /** Absolute tolerance, which also passes an entry (default 1e-4 with an oracle, 1e-3 without). */
  atol?: number;
  /** Step of the central difference relative to max(1, |x|) (default 1e-6 with an oracle, 3e-3 without). */
  eps?: number;
  /** Seed of the random projection w (default 1). */
  seed?: number;
  /** Name of the function in error messages (default fn.name). */
  label?: string;
}

export interface GradcheckReport {
  /** Gradient entries compared. */
  checked: number;
  /** Largest relative error |a − n| / max(1e-3, |a| + |n|) seen. */
  worstRelError: number;
}

const OPTIONS = ['oracle', 'constant', 'detached', 'tol', 'atol', 'eps', 'seed', 'label'];

function relErr(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(1e-3, Math.abs(a) + Math.abs(b));
}

function asList(result: unknown, label: string): Tensor[] {
  const outs = Array.isArray(result) ? result : [result];
  outs.forEach((o, k) => {
    if (!(o instanceof Tensor)) throw new TypeError(`selfish-rnn: gradcheck ${label}: output ${k} is not a Tensor (got ${typeof o})`);
  });
  return outs as Tensor[];
}

/**
 * Checks the gradients of `fn` at `inputs` against finite differences; throws an Error naming the
 * first entry out of tolerance (input, index, analytic and numeric values), else returns a report.
 * `fn` must be deterministic (seed any randomness inside it). The inputs are copied: the caller's
 * tensors and their gradients are left as they are. Everything allocated is freed.
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor | readonly Tensor[], inputs: readonly Tensor[], opts: GradcheckOptions = {}): GradcheckReport {
  checkOptions('gradcheck', opts, OPTIONS);
  if (typeof fn !== 'function') throw new TypeError(`selfish-rnn: gradcheck expects a function, got ${typeof fn}`);
  if (!Array.isArray(inputs)) throw new TypeError(`selfish-rnn: gradcheck expects an array of input tensors, got ${typeof inputs}`);
  inputs.forEach((t, k) => {
    if (!(t instanceof Tensor)) throw new TypeError(`selfish-rnn: gradcheck: input ${k} is not a Tensor (got ${typeof t})`);
    t.assertLive();
  });
  const label = opts.label ?? (fn.name || 'fn');
  const { oracle } = opts;
  const f64 = oracle !== undefined;
  const tol = opts.tol ?? (f64 ? 2e-3 : 1e-2);
  const atol = opts.atol ?? (f64 ? 1e-4 : 1e-3);
  const eps = opts.eps ?? (f64 ? 1e-6 : 3e-3);
  const constant = new Set(opts.constant ?? []);
  const detached = new Set(opts.detached ?? []);
  const xs64 = inputs.map((t) => Float64Array.from(t.data));
  const rng = new Random(opts.seed ?? 1);
  const fail = (msg: string): never => {
    throw new Error(`selfish-rnn: gradcheck ${label}: ${msg}`);
  };

  const leaves: Tensor[] = [];
  try {
    return tidy(() => {
      inputs.forEach((t, k) => leaves.push(tensor(xs64[k]!, t.shape, { requiresGrad: !constant.has(k) })));
      const outs = asList(fn(...leaves), label);
      const offsets: number[] = [];
      const total = outs.reduce((at, o) => (offsets.push(at), at + o.size), 0);
      const got = new Float64Array(total);
      outs.forEach((o, k) => got.set(o.data, offsets[k]!));
      if (oracle !== undefined) {
        const ref = oracle(xs64.map((x) => x.slice()));
        if (ref.length !== total) fail(`the outputs have ${total} elements, the oracle returns ${ref.length}`);
        for (let i = 0; i < total; i++) {
          // Written as 'not close' so that a NaN on either side fails.
          if (!(relErr(got[i]!, ref[i]!) <= 1e-4 || Math.abs(got[i]! - ref[i]!) <= 1e-5)) fail(`forward[${i}] = ${got[i]} but the oracle says ${ref[i]}`);
        }
      }
      const w = Float64Array.from(got, () => Math.fround(rng.uniform() * 2 - 1));
      for (const k of detached) {
        const o = outs[k];
        if (o === undefined) fail(`detached output ${k} does not exist (${outs.length} outputs)`);
        if (o!.requiresGrad) fail(`output ${k} ${shapeString(o!.shape)} should be detached but carries autodiff history`);
        w.fill(0, offsets[k]!, offsets[k]! + o!.size);
      }

      // Analytic: one backward per output, each seeded with its part of w, accumulating in the leaves.
      const seeded = outs.map((o, k) => ({ o, k })).filter(({ o, k }) => !detached.has(k) && o.requiresGrad);
      seeded.forEach(({ o, k }, j) => o.backward(tensor(w.subarray(offsets[k]!, offsets[k]! + o.size), o.shape), { retainGraph: j < seeded.length - 1 }));

      const project = (y: ArrayLike<number>, at = 0): number => {
        let s = 0;
        for (let i = 0; i < y.length; i++) s += w[at + i]! * y[i]!;
        return s;
      };
      const L32 = (): number => noGrad(() => tidy(() => asList(fn(...leaves), label).reduce((s, o, k) => s + project(o.data, offsets[k]!), 0)));
      let worst = 0, checked = 0;
      leaves.forEach((leaf, k) => {
        if (constant.has(k)) return;
        if (leaf.grad === null) fail(`input ${k} ${shapeString(leaf.shape)} received no gradient`);
        const analytic = leaf.grad!.toArray();
        const x = xs64[k]!;
        for (let i = 0; i < x.length; i++) {
          const orig = x[i]!;
          const h = eps * Math.max(1, Math.abs(orig));
          let numeric: number;
          if (oracle !== undefined) {
            x[i] = orig + h;
            const up = project(oracle(xs64));
            x[i] = orig - h;
            const down = project(oracle(xs64));
            x[i] = orig;
            numeric = (up - down) / (2 * h);
          } else {
            const hi = Math.fround(orig + h), lo = Math.fround(orig - h);
            leaf.data[i] = hi;
            const up = L32();
            leaf.data[i] = lo;
            const down = L32();
            leaf.data[i] = orig;
            numeric = (up - down) / (hi - lo);
          }
          const a = analytic[i]!;
          const err = relErr(a, numeric);
          worst = Math.max(worst, Number.isNaN(err) ? Infinity : err);
          checked++;
          if (!(err <= tol || Math.abs(a - numeric) <= atol)) {
            fail(`d/d(input ${k})[${i}]: analytic ${a} vs numeric ${numeric} (relative error ${err.toExponential(2)}, tolerance ${tol})`);
          }
        }
      });
      return { checked, worstRelError: worst };
    });
  } finally {
    for (const leaf of leaves) {
      leaf.grad?.dispose();
      leaf.grad = null;
    }
  }
}
