// Vectorised transcendental functions for the SIMD build (f32x4).
//
// exp4: Cephes-style expf. x = n·ln2 + r with |r| ≤ ln2/2 (ln2 split in two constants so the
// reduction is exact), e^r by a degree-6 polynomial, 2^n built in the exponent bits.
// Accuracy: ≤ 2 ulp relative for x in [−87.3, 88.7]; exp(x) = 0 below −87.3 (true value < 1.2e−38,
// a denormal), +Infinity above 88.72. NaN propagates.
// sigmoid4 = 1/(1 + e^−x); tanh4 = sign(x)·(1 − 2/(e^{2|x|} + 1)) for |x| ≥ 0.625 and Cephes'
// odd polynomial below. Max relative error against float64 over [−20, 20]: sigmoid 1.5e−7,
// tanh 1.3e−7 (≈ 1–2 ulp, the same as Mathf); test/kernels.test.ts and test/lstm.test.ts check it.

// ---- Constants from memory ----
//
// V8 does not hoist a v128 constant out of a loop: it rebuilds it at each use, from a 64-bit
// immediate with a move and a shuffle (three instructions, two of them on the vector ports that
// the arithmetic needs), and exp4 uses a dozen. So the fast paths load their constants from a
// table: one load each. The table is a constant data segment (re-written with the same bytes by
// every instantiation, like the panel function tables; assembly/README.md). A slot holds one
// value in all 4 lanes; each row of the tables is commented with its slot.

const F_EXP_LO = 0, F_EXP_PLAIN_HI = 1, F_LOG2E = 2, F_HALF = 3, F_LN2_HI = 4, F_LN2_LO = 5;
const F_EXP_P0 = 6, F_EXP_P1 = 7, F_EXP_P2 = 8, F_EXP_P3 = 9, F_EXP_P4 = 10, F_EXP_P5 = 11;
const F_ONE = 12, F_MAGIC = 13, F_TWO = 14, F_TANH_P0 = 15, F_TANH_P1 = 16, F_TANH_P2 = 17;
const F_TANH_P3 = 18, F_TANH_P4 = 19, F_TANH_SMALL = 20;
const I_MAGIC = 0, I_BIAS = 1, I_SIGN = 2;

/** exp4's lower limit: below it e^x is a denormal and exp4 returns 0. */
const EXP_LO: f32 = -87.3365478;
/** exp4's upper limit: above it e^x overflows f32 and exp4 returns +Infinity. */
const EXP_HI: f32 = 88.7228391;
/**
 * Up to here n = floor(x·log2(e) + 0.5) is at most 127 (n = 128 needs x ≥ 88.38), so 2^n has a
 * plain exponent field: see exp4's fast path.
 */
const EXP_PLAIN_HI: f32 = 88.0;

/** The f32 slots F_…, each repeated in 4 lanes. */
const F_TABLE: usize = memory.data<f32>([
  EXP_LO, EXP_LO, EXP_LO, EXP_LO, // F_EXP_LO
  EXP_PLAIN_HI, EXP_PLAIN_HI, EXP_PLAIN_HI, EXP_PLAIN_HI, // F_EXP_PLAIN_HI
  1.44269504088896341, 1.44269504088896341, 1.44269504088896341, 1.44269504088896341, // F_LOG2E
  0.5, 0.5, 0.5, 0.5, // F_HALF
  0.693359375, 0.693359375, 0.693359375, 0.693359375, // F_LN2_HI
  -2.12194440e-4, -2.12194440e-4, -2.12194440e-4, -2.12194440e-4, // F_LN2_LO
  1.9875691500e-4, 1.9875691500e-4, 1.9875691500e-4, 1.9875691500e-4, // F_EXP_P0
  1.3981999507e-3, 1.3981999507e-3, 1.3981999507e-3, 1.3981999507e-3, // F_EXP_P1
  8.3334519073e-3, 8.3334519073e-3, 8.3334519073e-3, 8.3334519073e-3, // F_EXP_P2
  4.1665795894e-2, 4.1665795894e-2, 4.1665795894e-2, 4.1665795894e-2, // F_EXP_P3
  1.6666665459e-1, 1.6666665459e-1, 1.6666665459e-1, 1.6666665459e-1, // F_EXP_P4
  5.0000001201e-1, 5.0000001201e-1, 5.0000001201e-1, 5.0000001201e-1, // F_EXP_P5
  1, 1, 1, 1, // F_ONE
  12582912.0, 12582912.0, 12582912.0, 12582912.0, // F_MAGIC
  2, 2, 2, 2, // F_TWO
  -5.70498872745e-3, -5.70498872745e-3, -5.70498872745e-3, -5.70498872745e-3, // F_TANH_P0
  2.06390887954e-2, 2.06390887954e-2, 2.06390887954e-2, 2.06390887954e-2, // F_TANH_P1
  -5.37397155531e-2, -5.37397155531e-2, -5.37397155531e-2, -5.37397155531e-2, // F_TANH_P2
  1.33314422036e-1, 1.33314422036e-1, 1.33314422036e-1, 1.33314422036e-1, // F_TANH_P3
  -3.33332819422e-1, -3.33332819422e-1, -3.33332819422e-1, -3.33332819422e-1, // F_TANH_P4
  0.625, 0.625, 0.625, 0.625, // F_TANH_SMALL
], 16);
/** The i32 slots I_…, each repeated in 4 lanes. */
const I_TABLE: usize = memory.data<i32>([
  0x4b400000, 0x4b400000, 0x4b400000, 0x4b400000, // I_MAGIC
  127, 127, 127, 127, // I_BIAS
  <i32>0x80000000, <i32>0x80000000, <i32>0x80000000, <i32>0x80000000, // I_SIGN
], 16);
@inline function kf(slot: i32): v128 { return v128.load(F_TABLE + (<usize>slot << 4)); }
@inline function ki(slot: i32): v128 { return v128.load(I_TABLE + (<usize>slot << 4)); }
/** 1.0 in 4 lanes, loaded (see above): for the kernels' loops, where f32x4.splat(1) would be rebuilt at each use. */
@inline export function one4(): v128 { return kf(F_ONE); }

/**
 * e^x for 4 lanes. When every lane is in [EXP_LO, EXP_PLAIN_HI] (so none is NaN), which is nearly
 * always, the clamp, the n = 128 split and the limit selects would leave every lane as it is, so
 * they are skipped: the same bits as expAnyRange4 on every input, a third fewer instructions.
 */
@inline export function exp4(x: v128): v128 {
  const plain = v128.and(f32x4.ge(x, kf(F_EXP_LO)), f32x4.le(x, kf(F_EXP_PLAIN_HI)));
  if (!i32x4.all_true(plain)) return expAnyRange4(x);
  const n = expExponent(x);
  return f32x4.mul(expMantissa(x, n), i32x4.shl(i32x4.add(expIntegerOf(n), ki(I_BIAS)), 23));
}

/** n = round(x·log2(e)), as a float: x = n·ln2 + r with |r| ≤ ln2/2. */
@inline function expExponent(x: v128): v128 {
  return f32x4.floor(f32x4.add(f32x4.mul(x, kf(F_LOG2E)), kf(F_HALF)));
}

/** e^r for r = x − n·ln2 (ln2 in two parts, so the reduction is exact): the degree-6 polynomial. */
@inline function expMantissa(x: v128, n: v128): v128 {
  let r = f32x4.sub(x, f32x4.mul(n, kf(F_LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, kf(F_LN2_LO)));
  let p = kf(F_EXP_P0);
  p = f32x4.add(f32x4.mul(p, r), kf(F_EXP_P1));
  p = f32x4.add(f32x4.mul(p, r), kf(F_EXP_P2));
  p = f32x4.add(f32x4.mul(p, r), kf(F_EXP_P3));
  p = f32x4.add(f32x4.mul(p, r), kf(F_EXP_P4));
  p = f32x4.add(f32x4.mul(p, r), kf(F_EXP_P5));
  const r2 = f32x4.mul(r, r);
  return f32x4.add(f32x4.add(f32x4.mul(p, r2), r), kf(F_ONE));
}

/**
 * The integer n (as i32 lanes) of a float n in [−126, 128]: adding 1.5·2²³ puts it in the low
 * mantissa bits exactly, a cheaper conversion than trunc_sat's out-of-range handling.
 */
@inline function expIntegerOf(n: v128): v128 {
  return i32x4.sub(f32x4.add(n, kf(F_MAGIC)), ki(I_MAGIC));
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
  const one = kf(F_ONE);
  return f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(x))));
}

@inline export function tanh4(x: v128): v128 {
  const ax = f32x4.abs(x);
  const one = kf(F_ONE);
  // Large |x|: 1 − 2/(e^{2|x|} + 1), sign restored below; saturates to exactly 1.
  const big = f32x4.sub(one, f32x4.div(kf(F_TWO), f32x4.add(exp4(f32x4.add(ax, ax)), one)));
  // Small |x| < 0.625: Cephes tanhf's odd polynomial x + x³·P(x²), no cancellation near 0.
  const z = f32x4.mul(x, x);
  let p = kf(F_TANH_P0);
  p = f32x4.add(f32x4.mul(p, z), kf(F_TANH_P1));
  p = f32x4.add(f32x4.mul(p, z), kf(F_TANH_P2));
  p = f32x4.add(f32x4.mul(p, z), kf(F_TANH_P3));
  p = f32x4.add(f32x4.mul(p, z), kf(F_TANH_P4));
  const small = f32x4.add(x, f32x4.mul(f32x4.mul(p, z), x));
  const large = v128.or(big, v128.and(x, ki(I_SIGN)));
  return v128.bitselect(small, large, f32x4.lt(ax, kf(F_TANH_SMALL)));
}
