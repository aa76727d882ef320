// Vectorised transcendental functions for the SIMD build (f32x4).
//
// exp4: Cephes-style expf. x = n·ln2 + r with |r| ≤ ln2/2 (ln2 split in two constants so the
// reduction is exact), e^r by a degree-6 polynomial, 2^n built in the exponent bits.
// Accuracy: ≤ 2 ulp relative for x in [−87.3, 88.7]; exp(x) = 0 below −87.3 (true value < 1.2e−38,
// a denormal), +Infinity above 88.72. NaN propagates.
// sigmoid4 = 1/(1 + e^−x); tanh4 = sign(x)·(1 − 2/(e^{2|x|} + 1)) for |x| ≥ 0.625 and Cephes'
// odd polynomial below. Max relative error against float64 over [−20, 20]: sigmoid 1.5e−7,
// tanh 1.3e−7 (≈ 1–2 ulp, the same as Mathf); test/kernels.test.ts and test/lstm.test.ts check it.

/** exp4's lower limit: below it e^x is a denormal and exp4 returns 0. */
const EXP_LO: f32 = -87.3365478;
/** exp4's upper limit: above it e^x overflows f32 and exp4 returns +Infinity. */
const EXP_HI: f32 = 88.7228391;
/**
 * Up to here n = floor(x·log2(e) + 0.5) is at most 127 (n = 128 needs x ≥ 88.38), so 2^n has a
 * plain exponent field: see exp4's fast path.
 */
const EXP_PLAIN_HI: f32 = 88.0;

/**
 * e^x for 4 lanes. When every lane is in [EXP_LO, EXP_PLAIN_HI] (so none is NaN), which is nearly
 * always, the clamp, the n = 128 split and the limit selects would leave every lane as it is, so
 * they are skipped: the same bits as expAnyRange4 on every input, a third fewer instructions.
 */
@inline export function exp4(x: v128): v128 {
  const plain = v128.and(f32x4.ge(x, f32x4.splat(EXP_LO)), f32x4.le(x, f32x4.splat(EXP_PLAIN_HI)));
  if (!i32x4.all_true(plain)) return expAnyRange4(x);
  const n = expExponent(x);
  return f32x4.mul(expMantissa(x, n), i32x4.shl(i32x4.add(expIntegerOf(n), i32x4.splat(127)), 23));
}

/** n = round(x·log2(e)), as a float: x = n·ln2 + r with |r| ≤ ln2/2. */
@inline function expExponent(x: v128): v128 {
  return f32x4.floor(f32x4.add(f32x4.mul(x, f32x4.splat(1.44269504088896341)), f32x4.splat(0.5)));
}

/** e^r for r = x − n·ln2 (ln2 in two parts, so the reduction is exact): the degree-6 polynomial. */
@inline function expMantissa(x: v128, n: v128): v128 {
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const r2 = f32x4.mul(r, r);
  return f32x4.add(f32x4.add(f32x4.mul(p, r2), r), f32x4.splat(1));
}

/**
 * The integer n (as i32 lanes) of a float n in [−126, 128]: adding 1.5·2²³ puts it in the low
 * mantissa bits exactly, a cheaper conversion than trunc_sat's out-of-range handling.
 */
@inline function expIntegerOf(n: v128): v128 {
  return i32x4.sub(f32x4.add(n, f32x4.splat(12582912.0)), i32x4.splat(0x4b400000));
}

/** exp4 for any input: clamped to [EXP_LO, EXP_HI], then the exact limits (0 below, +Inf above, NaN kept). */
function expAnyRange4(x: v128): v128 {
  const lo = f32x4.splat(EXP_LO), hi = f32x4.splat(EXP_HI);
  // pmin/pmax (one x86 instruction each, where min/max take several for wasm's NaN and ±0 rules)
  // give the same clamp: a NaN x passes through both (and is returned as x at the end), and ±0
  // lies strictly inside [lo, hi].
  const xc = f32x4.pmin(f32x4.pmax(x, lo), hi);
  const n = expExponent(xc);
  const y = expMantissa(xc, n);
  // 2^n: n in [−126, 128] (NaN only for a NaN x, replaced at the end); n = 128 is split as
  // 2^127·2 to avoid an infinite exponent field.
  const ni = expIntegerOf(n);
  const big = i32x4.gt_s(ni, i32x4.splat(127));
  const n1 = v128.bitselect(i32x4.splat(127), ni, big);
  const pow = i32x4.shl(i32x4.add(n1, i32x4.splat(127)), 23);
  let out = f32x4.mul(y, pow);
  out = v128.bitselect(f32x4.mul(out, f32x4.splat(2)), out, big);
  // Exact limits: underflow to 0, overflow to +inf, NaN stays NaN.
  out = v128.bitselect(f32x4.splat(0), out, f32x4.lt(x, lo));
  out = v128.bitselect(f32x4.splat(Infinity), out, f32x4.gt(x, hi));
  return v128.bitselect(x, out, f32x4.ne(x, x));
}

@inline export function sigmoid4(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(x))));
}

@inline export function tanh4(x: v128): v128 {
  const ax = f32x4.abs(x);
  const one = f32x4.splat(1);
  // Large |x|: 1 − 2/(e^{2|x|} + 1), sign restored below; saturates to exactly 1.
  const big = f32x4.sub(one, f32x4.div(f32x4.splat(2), f32x4.add(exp4(f32x4.add(ax, ax)), one)));
  // Small |x| < 0.625: Cephes tanhf's odd polynomial x + x³·P(x²), no cancellation near 0.
  const z = f32x4.mul(x, x);
  let p = f32x4.splat(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), f32x4.splat(-3.33332819422e-1));
  const small = f32x4.add(x, f32x4.mul(f32x4.mul(p, z), x));
  const large = v128.or(big, v128.and(x, i32x4.splat(<i32>0x80000000)));
  return v128.bitselect(small, large, f32x4.lt(ax, f32x4.splat(0.625)));
}
