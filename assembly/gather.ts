// Row gather / scatter-add for embeddings. table is V×E row-major f32, ids an i32 array.
import { partLo } from './scratch';

/** out[n, :] = table[ids[n], :] for n < count. */
export function gather_rows(out: usize, table: usize, ids: usize, count: i32, E: i32): void {
  if (E == 1) {
    // One float per row (a CSR matrix's values put in CSC order): a plain load/store per element,
    // not a bulk-memory call per 4 bytes (≈ 10× faster).
    for (let n = 0; n < count; n++) store<f32>(out + (<usize>n << 2), load<f32>(table + (<usize>load<i32>(ids + (<usize>n << 2)) << 2)));
    return;
  }
  const rb = <usize>E << 2;
  for (let n = 0; n < count; n++) {
    const id = load<i32>(ids + (<usize>n << 2));
    memory.copy(out + <usize>n * rb, table + <usize>id * rb, rb);
  }
}

/** gtable[ids[n], :] += g[n, :] for n < count (repeated ids accumulate). */
export function scatter_add_rows(gtable: usize, g: usize, ids: usize, count: i32, E: i32): void {
  scatterAddColumns(gtable, g, ids, count, E, 0, E);
}

/** Columns [c0, c1) of scatter_add_rows (c0 a multiple of 4). */
function scatterAddColumns(gtable: usize, g: usize, ids: usize, count: i32, E: i32, c0: i32, c1: i32): void {
  const rb = <usize>E << 2;
  for (let n = 0; n < count; n++) {
    const id = load<i32>(ids + (<usize>n << 2));
    const dst = gtable + <usize>id * rb, src = g + <usize>n * rb;
    let j = c0;
    if (ASC_FEATURE_SIMD) for (; j + 4 <= c1; j += 4) { const o = <usize>j << 2; v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o))); }
    for (; j < c1; j++) { const o = <usize>j << 2; store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o)); }
  }
}

/**
 * `part`'s share of scatter_add_rows: a range of columns (whole vectors; the E mod 4 tail to the
 * last share), so repeated ids still accumulate in the order of n.
 */
export function scatter_add_rows_part(gtable: usize, g: usize, ids: usize, count: i32, E: i32, part: i32, parts: i32): void {
  const vectors = E >> 2;
  const lo = partLo(vectors, part, parts) << 2;
  const hi = part == parts - 1 ? E : partLo(vectors, part + 1, parts) << 2;
  if (hi > lo) scatterAddColumns(gtable, g, ids, count, E, lo, hi);
}
