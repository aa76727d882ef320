// The gradient-check cases of the built-in ops, run through the public `gradcheck` with each
// case's float64 oracle (see src/autograd/gradcheck.ts), on seeded random inputs rounded to f32.
// `checkedOps` records which registered ops were covered, for the coverage test.
import { Random, gradcheck as check, tensor, tidy, type Tensor } from '../../src/index.js';

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

export function gradcheck(c: GradCase, seed = 1): void {
  const rng = new Random(seed);
  const lo = c.range?.[0] ?? -1, hi = c.range?.[1] ?? 1;
  tidy(() => {
    const inputs = c.shapes.map((s) => tensor(Float64Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => lo + (hi - lo) * rng.uniform()), s));
    check((...xs) => c.run(xs), inputs, { oracle: c.oracle, constant: c.constant, detached: c.detached, tol: c.tol, seed: seed + 1, label: `${c.op} (${c.label})` });
  });
  c.after?.();
  checked.add(c.op);
}
