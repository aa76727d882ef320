// Horizontal sums of f32x4 vectors, shared by the sparse and inference kernels. hsum4's lane j
// equals hsum(p_j) bit for bit (both add lanes (0 + 2) + (1 + 3)), so a kernel may sum one row
// or four rows at once and get the same bits.

/** v[0] + v[1] + v[2] + v[3], as (v0 + v2) + (v1 + v3). */
@inline export function hsum(v: v128): f32 {
  const h = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 2, 3));
  return f32x4.extract_lane(h, 0) + f32x4.extract_lane(h, 1);
}

/** [Σ p0, Σ p1, Σ p2, Σ p3]: four horizontal sums with 6 shuffles and 4 adds. */
@inline export function hsum4(p0: v128, p1: v128, p2: v128, p3: v128): v128 {
  const u0 = f32x4.add(v128.shuffle<f32>(p0, p1, 0, 4, 1, 5), v128.shuffle<f32>(p0, p1, 2, 6, 3, 7)); // [p0 02, p1 02, p0 13, p1 13]
  const u1 = f32x4.add(v128.shuffle<f32>(p2, p3, 0, 4, 1, 5), v128.shuffle<f32>(p2, p3, 2, 6, 3, 7)); // [p2 02, p3 02, p2 13, p3 13]
  return f32x4.add(v128.shuffle<f32>(u0, u1, 0, 1, 4, 5), v128.shuffle<f32>(u0, u1, 2, 3, 6, 7));
}
