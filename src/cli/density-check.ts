// The density below which a sparse model has no weight left in its smallest recurrent matrix:
// `train` and `bench` refuse it alike (such a model computes nothing). The matrices are the
// family's declared weight shapes; a family that declares none is not checked.
import { modelFamily, type AnyModelConfig } from '../models/index.js';
import { grouped, UsageError } from './format.js';

/** Refuses a density whose expected weight count in the smallest recurrent matrix is below one. */
export function refuseEmptyDensity(lm: AnyModelConfig, density: number): void {
  const shapes = modelFamily(lm.kind).weightShapes?.(lm as never) ?? [];
  let smallest = Infinity;
  for (const s of shapes) if (s.role === 'recurrent' && (s.count ?? 1) > 0) smallest = Math.min(smallest, s.rows * s.cols);
  if (Number.isFinite(smallest) && density * smallest < 1) {
    throw new UsageError(`--density ${density} leaves no weight in the smallest recurrent matrix (${grouped(smallest)} weights × ${density} < 1); give --density ${(1 / smallest).toPrecision(2)} or more`);
  }
}
