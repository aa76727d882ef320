// Shape validation shared by the two file formats (checkpoints and safetensors).

/** Product of a shape's dimensions, or null if any dimension is not a non-negative safe integer. */
export function shapeProduct(shape: readonly unknown[]): number | null {
  if (!Array.isArray(shape)) return null;
  let p = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) return null;
    p *= d;
  }
  return Number.isSafeInteger(p) ? p : null;
}
