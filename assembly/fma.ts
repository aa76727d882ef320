// The one multiply-add of the SIMD kernels: acc + a·b per f32 lane.
//
// The plain SIMD builds compute it as two instructions (f32x4.mul, then f32x4.add), rounding
// twice. The relaxed-SIMD builds (asconfig targets simd-relaxed and threads-relaxed, opt-in
// through setRelaxedSimd / --relaxed-simd) use f32x4.relaxed_madd: one instruction where the
// CPU has FMA, fused or not as the engine chooses. So its bits may differ between machines (never
// between thread counts on one machine: every output is still computed by one thread in one
// order). The sparse inner loops are bound by instruction count, which is why it pays.
@inline export function fma4(acc: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}
