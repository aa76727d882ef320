// Checks shared by the language-model tests: PyTorch golden fixtures (test/fixtures/golden-*.json,
// made by make_golden.py), their relative error, a finite-difference check of a whole model, and
// a sparsifier that turns every weight matrix of a model into CSR.
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { CSRMatrix, disposeState, IntTensor, Random, tidy, type LanguageModel, type LMState, type Module, type Tensor } from '../../src/index.js';

export interface Golden {
  config: Record<string, number>;
  inputs: number[];
  targets: number[];
  shape: [number, number];
  loss: number;
  params: Record<string, { shape: number[]; data: number[] }>;
  grads: Record<string, number[]>;
  nll?: number;
  /** Initial hidden state [L, B, H] flattened, when the fixture starts from one. */
  h0?: number[];
  /** Dropout masks by the names the model draws them by (the -masks fixtures). */
  masks?: Record<string, number[]>;
}

export const goldenFixture = (name: string): Golden => JSON.parse(readFileSync(new URL(`../../../test/fixtures/golden-${name}.json`, import.meta.url), 'utf8'));

/** Copies the fixture's parameters into the model (names must match exactly). */
export function loadGolden(model: Module, g: Golden): void {
  const state = new Map<string, Float32Array>();
  for (const [n, p] of Object.entries(g.params)) state.set(n, Float32Array.from(p.data));
  model.loadStateDict(state);
}

/**
 * One golden step: the fixture's parameters loaded, one forward from `state` (default zero), the
 * loss and every parameter gradient against PyTorch's within `tolerance` (relative), and the
 * parameter names exactly PyTorch's.
 */
export function checkGoldenStep(label: string, model: LanguageModel, g: Golden, state?: LMState, tolerance = 1e-4): void {
  loadGolden(model, g);
  assert.equal(model.namedParameters().map(([n]) => n).sort(), Object.keys(g.params).sort(), `${label}: parameter names follow PyTorch`);
  tidy(() => {
    const out = model.forward(new IntTensor(g.inputs, g.shape), new IntTensor(g.targets), state);
    const loss = out.loss.item();
    assert.ok(Math.abs(loss - g.loss) / Math.abs(g.loss) <= tolerance, `${label}: loss ${loss} vs PyTorch ${g.loss}`);
    out.loss.backward();
    disposeState(out.state);
  });
  for (const [n, p] of model.namedParameters()) {
    const e = relErr(p.grad!.data, g.grads[n]!);
    assert.ok(e <= tolerance, `${label}: gradient of ${n}: relative error ${e.toExponential(2)}`);
  }
}

/** Max absolute error over the largest reference magnitude (the golden tests' relative error). */
export function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < want.length; i++) { num = Math.max(num, Math.abs(got[i]! - want[i]!)); den = Math.max(den, Math.abs(want[i]!)); }
  return num / Math.max(den, 1e-12);
}

/**
 * Central differences of the float32 model's loss on a sample of parameter entries, with every
 * dropout mask replayed identically (the model's generator is reset before each evaluation).
 * float32 losses limit the precision, so entries with tiny gradients are skipped and the
 * tolerance is 2%: this catches a wrong or missing gradient path, the goldens check the digits.
 */
export function finiteDifferenceCheck(label: string, model: LanguageModel & { rng: Random }, T: number, B: number, V: number): void {
  const ids = Array.from({ length: T * B }, (_, i) => (i * 7 + 3) % V);
  const tg = Array.from({ length: T * B }, (_, i) => (i * 5 + 1) % V);
  const rngState = model.rng.getState();
  const lossAt = (backward: boolean) => tidy(() => {
    model.rng.setState(rngState);
    const out = model.forward(new IntTensor(ids, [T, B]), new IntTensor(tg));
    if (backward) out.loss.backward();
    disposeState(out.state);
    return out.loss.item();
  });
  model.zeroGrad();
  lossAt(true);
  const pick = new Random(77);
  let checked = 0;
  for (const [name, p] of model.namedParameters()) {
    const grad = p.grad!.toArray();
    for (let trial = 0; trial < 6; trial++) {
      const i = pick.int(p.size);
      if (Math.abs(grad[i]!) < 2e-3) continue;
      const orig = p.data[i]!;
      const h = 3e-3;
      p.data[i] = orig + h;
      const up = lossAt(false);
      p.data[i] = orig - h;
      const down = lossAt(false);
      p.data[i] = orig;
      const numeric = (up - down) / (2 * h);
      const err = Math.abs(numeric - grad[i]!) / Math.max(Math.abs(grad[i]!), Math.abs(numeric));
      assert.ok(err < 0.02, `${label}: d loss / d ${name}[${i}] analytic ${grad[i]} vs numeric ${numeric}`);
      checked++;
    }
  }
  assert.ok(checked >= 10, `${label}: only ${checked} entries had a gradient large enough to check`);
}

/** Replaces every weight matrix by a CSR matrix keeping a random ~half of its entries. */
export function sparsify(model: Module, rng: Random): void {
  for (const [name, w] of model.namedWeights()) {
    if (name.endsWith('bias') || name.includes('bias_') || (w as Tensor).rank !== 2) continue;
    const dense = w as Tensor;
    const keep = Array.from({ length: dense.size }, () => rng.uniform() < 0.5);
    const csr = CSRMatrix.fromDense(dense, keep, { name });
    const path = name.split('.');
    const owner = path.slice(0, -1).join('.');
    const m = owner === '' ? model : model.namedModules().find(([n]) => n === owner)![1];
    m.setWeight(path[path.length - 1]!, csr);
    dense.dispose();
  }
}
