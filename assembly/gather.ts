// Row gather / scatter-add for embeddings. table is V×E row-major f32, ids an i32 array.

/** out[n, :] = table[ids[n], :] for n < count. */
export function gather_rows(out: usize, table: usize, ids: usize, count: i32, E: i32): void {
  const rb = <usize>E << 2;
  for (let n = 0; n < count; n++) {
    const id = load<i32>(ids + (<usize>n << 2));
    memory.copy(out + <usize>n * rb, table + <usize>id * rb, rb);
  }
}

/** gtable[ids[n], :] += g[n, :] for n < count (repeated ids accumulate). */
export function scatter_add_rows(gtable: usize, g: usize, ids: usize, count: i32, E: i32): void {
  const rb = <usize>E << 2;
  for (let n = 0; n < count; n++) {
    const id = load<i32>(ids + (<usize>n << 2));
    const dst = gtable + <usize>id * rb, src = g + <usize>n * rb;
    let j = 0;
    if (ASC_FEATURE_SIMD) for (; j + 4 <= E; j += 4) { const o = <usize>j << 2; v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o))); }
    for (; j < E; j++) { const o = <usize>j << 2; store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o)); }
  }
}
