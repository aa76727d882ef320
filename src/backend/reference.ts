// Plain-TypeScript references for every wasm kernel, with the same arguments (byte pointers and
// sizes). They are the specification the kernels are tested against, and run on any "heap":
// pointer p addresses element p/4 of `mem.f` (a Float32Array view of the wasm memory, or a
// Float64Array for float64 gradient checks) and of `mem.i` for integer ids.
// Accumulation is in f64 (plain JS numbers) for every reduction.

export interface RefMemory {
  f: Float32Array | Float64Array;
  i: Int32Array;
}

export function createReference(mem: RefMemory) {
  const F = (p: number) => p >>> 2;
  const f = () => mem.f;
  const ids = (p: number, n: number) => mem.i[F(p) + n]!;

  const unaryMap = (g: (x: number) => number) => (out: number, a: number, n: number) => {
    const h = f();
    for (let k = 0; k < n; k++) h[F(out) + k] = g(h[F(a) + k]!);
  };
  const binaryMap = (g: (x: number, y: number) => number) => (out: number, a: number, b: number, n: number) => {
    const h = f();
    for (let k = 0; k < n; k++) h[F(out) + k] = g(h[F(a) + k]!, h[F(b) + k]!);
  };
  const accMap = (g: (gy: number, v: number) => number) => (gx: number, gy: number, v: number, n: number) => {
    const h = f();
    for (let k = 0; k < n; k++) h[F(gx) + k] = h[F(gx) + k]! + g(h[F(gy) + k]!, h[F(v) + k]!);
  };

  /** Entry t of a 16-bit array at byte offset p (little-endian halves of the i32 view). */
  const u16 = (p: number, t: number) => {
    const b = p + 2 * t;
    return (mem.i[b >>> 2]! >>> (16 * ((b >>> 1) & 1))) & 0xffff;
  };
  function csrTimesDense(y: number, rowPtr: number, col: (t: number) => number, values: number, x: number, M: number, N: number, acc: number) {
    const h = f();
    for (let i = 0; i < M; i++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let t = ids(rowPtr, i); t < ids(rowPtr, i + 1); t++) s += h[F(values) + t]! * h[F(x) + col(t) * N + n]!;
        const o = F(y) + i * N + n;
        h[o] = acc ? h[o]! + s : s;
      }
    }
  }

  /** The sparse kernels, given how entry t of an index array at p is read (`ids`: i32, `u16`). */
  type IndexRead = (p: number, t: number) => number;
  const spmmWith = (col: IndexRead) => (y: number, rowPtr: number, colIdx: number, values: number, x: number, M: number, N: number, acc: number) => {
    csrTimesDense(y, rowPtr, (t) => col(colIdx, t), values, x, M, N, acc);
  };
  const spmmTWith = (col: IndexRead) => (y: number, rowPtr: number, colIdx: number, values: number, g: number, M: number, K: number, N: number, acc: number) => {
    const h = f();
    const sums = new Float64Array(K * N);
    for (let i = 0; i < M; i++) {
      for (let t = ids(rowPtr, i); t < ids(rowPtr, i + 1); t++) {
        for (let n = 0; n < N; n++) sums[col(colIdx, t) * N + n] += h[F(values) + t]! * h[F(g) + i * N + n]!;
      }
    }
    for (let k = 0; k < K * N; k++) h[F(y) + k] = acc ? h[F(y) + k]! + sums[k]! : sums[k]!;
  };
  const spmmTCscWith = (row: IndexRead) => (y: number, colPtr: number, rowIdx: number, slotOf: number, values: number, g: number, K: number, N: number, acc: number) => {
    const h = f();
    for (let j = 0; j < K; j++) {
      for (let n = 0; n < N; n++) {
        let s = 0;
        for (let t = ids(colPtr, j); t < ids(colPtr, j + 1); t++) s += h[F(values) + ids(slotOf, t)]! * h[F(g) + row(rowIdx, t) * N + n]!;
        const o = F(y) + j * N + n;
        h[o] = acc ? h[o]! + s : s;
      }
    }
  };
  const sddmmWith = (col: IndexRead) => (dvalues: number, rowPtr: number, colIdx: number, g: number, x: number, M: number, N: number, acc: number) => {
    const h = f();
    for (let i = 0; i < M; i++) {
      for (let t = ids(rowPtr, i); t < ids(rowPtr, i + 1); t++) {
        let s = 0;
        for (let n = 0; n < N; n++) s += h[F(g) + i * N + n]! * h[F(x) + col(colIdx, t) * N + n]!;
        h[F(dvalues) + t] = acc ? h[F(dvalues) + t]! + s : s;
      }
    }
  };
  const gatherRowsWith = (col: IndexRead) => (out: number, rowPtr: number, colIdx: number, values: number, idp: number, count: number, E: number) => {
    const h = f();
    for (let n = 0; n < count; n++) {
      h.fill(0, F(out) + n * E, F(out) + (n + 1) * E);
      const r = ids(idp, n);
      for (let t = ids(rowPtr, r); t < ids(rowPtr, r + 1); t++) h[F(out) + n * E + col(colIdx, t)] = h[F(values) + t]!;
    }
  };
  const gatherRowsGradWith = (col: IndexRead) => (gvalues: number, rowPtr: number, colIdx: number, g: number, idp: number, count: number, E: number) => {
    const h = f();
    for (let n = 0; n < count; n++) {
      const r = ids(idp, n);
      for (let t = ids(rowPtr, r); t < ids(rowPtr, r + 1); t++) h[F(gvalues) + t] = h[F(gvalues) + t]! + h[F(g) + n * E + col(colIdx, t)]!;
    }
  };

  function gemm(c: number, M: number, N: number, K: number, acc: number, A: (i: number, k: number) => number, B: (k: number, j: number) => number) {
    const h = f();
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += A(i, k) * B(k, j);
        const o = F(c) + i * N + j;
        h[o] = acc ? h[o]! + s : s;
      }
    }
  }

  /** Token n of a mixture from a_k = log π_k + log softmax_k(t): writes post and loss, returns log p. */
  function finishToken(loss: number, post: number, n: number, K: number, a: number[]): number {
    const h = f();
    const m = a.reduce((x, y) => Math.max(x, y), -Infinity);
    const logp = m + Math.log(a.reduce((s, v) => s + Math.exp(v - m), 0));
    a.forEach((v, k) => (h[F(post) + n * K + k] = Math.exp(v - logp)));
    h[F(loss) + n] = -logp;
    return logp;
  }

  function rowLse(x: number, r: number, cols: number): number {
    const h = f();
    let m = -Infinity;
    for (let j = 0; j < cols; j++) m = Math.max(m, h[F(x) + r * cols + j]!);
    let s = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(h[F(x) + r * cols + j]! - m);
    return m + Math.log(s);
  }

  return {
    gemm_nn(c: number, a: number, b: number, M: number, K: number, N: number, acc: number) {
      const h = f();
      gemm(c, M, N, K, acc, (i, k) => h[F(a) + i * K + k]!, (k, j) => h[F(b) + k * N + j]!);
    },
    gemm_tn(c: number, a: number, b: number, M: number, K: number, N: number, acc: number) {
      const h = f();
      gemm(c, M, N, K, acc, (i, k) => h[F(a) + k * M + i]!, (k, j) => h[F(b) + k * N + j]!);
    },
    gemm_nt(c: number, a: number, b: number, M: number, K: number, N: number, acc: number) {
      const h = f();
      gemm(c, M, N, K, acc, (i, k) => h[F(a) + i * K + k]!, (k, j) => h[F(b) + j * K + k]!);
    },
    add: binaryMap((x, y) => x + y),
    sub: binaryMap((x, y) => x - y),
    mul: binaryMap((x, y) => x * y),
    mul_acc(out: number, a: number, b: number, n: number) {
      const h = f();
      for (let k = 0; k < n; k++) h[F(out) + k] = h[F(out) + k]! + h[F(a) + k]! * h[F(b) + k]!;
    },
    scale(out: number, a: number, s: number, n: number) {
      const h = f();
      for (let k = 0; k < n; k++) h[F(out) + k] = h[F(a) + k]! * s;
    },
    add_scalar(out: number, a: number, s: number, n: number) {
      const h = f();
      for (let k = 0; k < n; k++) h[F(out) + k] = h[F(a) + k]! + s;
    },
    axpy(y: number, x: number, s: number, n: number) {
      const h = f();
      for (let k = 0; k < n; k++) h[F(y) + k] = h[F(y) + k]! + s * h[F(x) + k]!;
    },
    fill(out: number, v: number, n: number) {
      f().fill(v, F(out), F(out) + n);
    },
    add_row_bcast(out: number, a: number, b: number, rows: number, cols: number) {
      const h = f();
      for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) h[F(out) + r * cols + j] = h[F(a) + r * cols + j]! + h[F(b) + j]!;
    },
    sum_rows_acc(out: number, g: number, rows: number, cols: number) {
      const h = f();
      for (let j = 0; j < cols; j++) {
        let s = 0;
        for (let r = 0; r < rows; r++) s += h[F(g) + r * cols + j]!;
        h[F(out) + j] = h[F(out) + j]! + s;
      }
    },
    sum(a: number, n: number): number {
      const h = f();
      let s = 0;
      for (let k = 0; k < n; k++) s += h[F(a) + k]!;
      return s;
    },
    sum_squares(a: number, n: number): number {
      const h = f();
      let s = 0;
      for (let k = 0; k < n; k++) s += h[F(a) + k]! * h[F(a) + k]!;
      return s;
    },
    relu: unaryMap((x) => (x > 0 ? x : 0)),
    relu_backward: accMap((gy, x) => (x > 0 ? gy : 0)),
    tanh: unaryMap(Math.tanh),
    tanh_backward: accMap((gy, y) => gy * (1 - y * y)),
    sigmoid: unaryMap((x) => 1 / (1 + Math.exp(-x))),
    sigmoid_backward: accMap((gy, y) => gy * y * (1 - y)),
    exp: unaryMap(Math.exp),
    log: unaryMap(Math.log),
    div_acc: accMap((gy, x) => gy / x),
    transpose(out: number, a: number, rows: number, cols: number) {
      const h = f();
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) h[F(out) + j * rows + i] = h[F(a) + i * cols + j]!;
    },
    softmax_rows(out: number, x: number, rows: number, cols: number) {
      const h = f();
      for (let r = 0; r < rows; r++) {
        const lse = rowLse(x, r, cols);
        for (let j = 0; j < cols; j++) h[F(out) + r * cols + j] = Math.exp(h[F(x) + r * cols + j]! - lse);
      }
    },
    log_softmax_rows(out: number, x: number, rows: number, cols: number) {
      const h = f();
      for (let r = 0; r < rows; r++) {
        const lse = rowLse(x, r, cols);
        for (let j = 0; j < cols; j++) h[F(out) + r * cols + j] = h[F(x) + r * cols + j]! - lse;
      }
    },
    log_softmax_backward(gx: number, gy: number, y: number, rows: number, cols: number) {
      const h = f();
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let j = 0; j < cols; j++) s += h[F(gy) + r * cols + j]!;
        for (let j = 0; j < cols; j++) {
          const o = r * cols + j;
          h[F(gx) + o] = h[F(gx) + o]! + h[F(gy) + o]! - Math.exp(h[F(y) + o]!) * s;
        }
      }
    },
    softmax_backward(gx: number, gy: number, y: number, rows: number, cols: number) {
      const h = f();
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let j = 0; j < cols; j++) s += h[F(gy) + r * cols + j]! * h[F(y) + r * cols + j]!;
        for (let j = 0; j < cols; j++) {
          const o = r * cols + j;
          h[F(gx) + o] = h[F(gx) + o]! + h[F(y) + o]! * (h[F(gy) + o]! - s);
        }
      }
    },
    softmax_xent(probs: number, losses: number, logits: number, targets: number, rows: number, cols: number): number {
      const h = f();
      let total = 0;
      for (let r = 0; r < rows; r++) {
        const lse = rowLse(logits, r, cols);
        for (let j = 0; j < cols; j++) h[F(probs) + r * cols + j] = Math.exp(h[F(logits) + r * cols + j]! - lse);
        const loss = lse - h[F(logits) + r * cols + ids(targets, r)]!;
        h[F(losses) + r] = loss;
        total += loss;
      }
      return total;
    },
    softmax_xent_backward(gx: number, probs: number, targets: number, rows: number, cols: number, scale: number) {
      const h = f();
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < cols; j++) h[F(gx) + r * cols + j] = h[F(gx) + r * cols + j]! + scale * h[F(probs) + r * cols + j]!;
        h[F(gx) + r * cols + ids(targets, r)] = h[F(gx) + r * cols + ids(targets, r)]! - scale;
      }
    },
    mos_nll(loss: number, post: number, lse: number, logits: number, logprior: number, targets: number, N: number, K: number, V: number): number {
      const h = f();
      let total = 0;
      for (let n = 0; n < N; n++) {
        const t = ids(targets, n);
        const a: number[] = [];
        for (let k = 0; k < K; k++) {
          const nk = n * K + k;
          const l = rowLse(logits, nk, V);
          h[F(lse) + nk] = l;
          a.push(h[F(logprior) + nk]! + h[F(logits) + nk * V + t]! - l);
        }
        total -= finishToken(loss, post, n, K, a);
      }
      return total;
    },
    mos_nll_backward(glogits: number, glogprior: number, logits: number, lse: number, post: number, targets: number, N: number, K: number, V: number, scale: number) {
      const h = f();
      for (let n = 0; n < N; n++) {
        const t = ids(targets, n);
        for (let k = 0; k < K; k++) {
          const nk = n * K + k;
          const c = scale * h[F(post) + nk]!;
          for (let j = 0; j < V; j++) {
            const o = F(glogits) + nk * V + j;
            h[o] = h[o]! + c * (Math.exp(h[F(logits) + nk * V + j]! - h[F(lse) + nk]!) - (j === t ? 1 : 0));
          }
          if (glogprior) h[F(glogprior) + nk] = h[F(glogprior) + nk]! - c;
        }
      }
    },
    mos_fm_target_logits(tl: number, logitsT: number, bias: number, targets: number, N: number, K: number) {
      const h = f(), C = N * K;
      for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) h[F(tl) + n * K + k] = h[F(logitsT) + ids(targets, n) * C + n * K + k]! + h[F(bias) + ids(targets, n)]!;
    },
    mos_fm_lse(lse: number, sum: number, logitsT: number, bias: number, V: number, C: number, probs: number) {
      const h = f();
      for (let c = 0; c < C; c++) {
        let m = -Infinity;
        for (let v = 0; v < V; v++) m = Math.max(m, h[F(logitsT) + v * C + c]! + h[F(bias) + v]!);
        let s = 0;
        for (let v = 0; v < V; v++) {
          const e = Math.exp(h[F(logitsT) + v * C + c]! + h[F(bias) + v]! - m);
          if (probs) h[F(probs) + v * C + c] = e;
          s += e;
        }
        h[F(sum) + c] = s;
        h[F(lse) + c] = m + Math.log(s);
      }
    },
    mos_fm_nll(loss: number, post: number, lse: number, tl: number, logprior: number, N: number, K: number): number {
      const h = f();
      let total = 0;
      for (let n = 0; n < N; n++) {
        const a: number[] = [];
        for (let k = 0; k < K; k++) a.push(h[F(logprior) + n * K + k]! + h[F(tl) + n * K + k]! - h[F(lse) + n * K + k]!);
        total -= finishToken(loss, post, n, K, a);
      }
      return total;
    },
    mos_fm_coef(coef: number, post: number, sum: number, C: number, scale: number) {
      const h = f();
      for (let c = 0; c < C; c++) h[F(coef) + c] = (scale * h[F(post) + c]!) / h[F(sum) + c]!;
    },
    mos_fm_backward_probs(glT: number, gbias: number, probs: number, coef: number, V: number, C: number) {
      const h = f();
      for (let v = 0; v < V; v++) {
        let s = 0;
        for (let c = 0; c < C; c++) {
          const g = h[F(coef) + c]! * h[F(probs) + v * C + c]!;
          h[F(glT) + v * C + c] = g;
          s += g;
        }
        if (gbias) h[F(gbias) + v] = h[F(gbias) + v]! + s;
      }
    },
    mos_fm_backward(glT: number, gbias: number, logitsT: number, bias: number, lse: number, post: number, V: number, C: number, scale: number) {
      const h = f();
      for (let v = 0; v < V; v++) {
        let s = 0;
        for (let c = 0; c < C; c++) {
          const g = scale * h[F(post) + c]! * Math.exp(h[F(logitsT) + v * C + c]! + h[F(bias) + v]! - h[F(lse) + c]!);
          h[F(glT) + v * C + c] = g;
          s += g;
        }
        if (gbias) h[F(gbias) + v] = h[F(gbias) + v]! + s;
      }
    },
    mos_fm_backward_targets(glT: number, gbias: number, glogprior: number, post: number, targets: number, N: number, K: number, scale: number) {
      const h = f(), C = N * K;
      for (let n = 0; n < N; n++) {
        const t = ids(targets, n);
        for (let k = 0; k < K; k++) {
          const c = scale * h[F(post) + n * K + k]!;
          h[F(glT) + t * C + n * K + k] = h[F(glT) + t * C + n * K + k]! - c;
          if (gbias) h[F(gbias) + t] = h[F(gbias) + t]! - c;
          if (glogprior) h[F(glogprior) + n * K + k] = h[F(glogprior) + n * K + k]! - c;
        }
      }
    },
    gather_rows(out: number, table: number, idp: number, count: number, E: number) {
      const h = f();
      for (let n = 0; n < count; n++) for (let j = 0; j < E; j++) h[F(out) + n * E + j] = h[F(table) + ids(idp, n) * E + j]!;
    },
    scatter_add_rows(gtable: number, g: number, idp: number, count: number, E: number) {
      const h = f();
      for (let n = 0; n < count; n++) for (let j = 0; j < E; j++) h[F(gtable) + ids(idp, n) * E + j] = h[F(gtable) + ids(idp, n) * E + j]! + h[F(g) + n * E + j]!;
    },
    // lstm.ts (feature-major [rows × B] blocks; `ld` is the row stride of the strided ones)
    lstm_gates_forward(pre: number, rec: number, bias: number, cPrev: number, c: number, tc: number, hp: number, y: number, H: number, B: number, ld: number) {
      const h = f();
      const sig = (x: number) => 1 / (1 + Math.exp(-x));
      for (let r = 0; r < H; r++) {
        for (let b = 0; b < B; b++) {
          const a = (k: number) => h[F(pre) + (k * H + r) * ld + b]! + h[F(rec) + (k * H + r) * B + b]! + h[F(bias) + k * H + r]!;
          const i = sig(a(0)), fg = sig(a(1)), g = Math.tanh(a(2)), o = sig(a(3));
          const s = r * B + b;
          const cv = fg * h[F(cPrev) + s]! + i * g;
          const t = Math.tanh(cv);
          [i, fg, g, o].forEach((v, k) => (h[F(pre) + (k * H + r) * ld + b] = v));
          h[F(c) + s] = cv;
          h[F(tc) + s] = t;
          h[F(hp) + s] = o * t;
          h[F(y) + r * ld + b] = o * t;
        }
      }
    },
    lstm_gates_backward(dpre: number, dgate: number, dc: number, dy: number, dhRec: number, acts: number, cPrev: number, tc: number, H: number, B: number, ld: number) {
      const h = f();
      for (let r = 0; r < H; r++) {
        for (let b = 0; b < B; b++) {
          const [i, fg, g, o] = [0, 1, 2, 3].map((k) => h[F(acts) + (k * H + r) * ld + b]!) as [number, number, number, number];
          const s = r * B + b;
          const t = h[F(tc) + s]!;
          const dh = h[F(dy) + r * ld + b]! + h[F(dhRec) + s]!;
          const dcT = h[F(dc) + s]! + dh * o * (1 - t * t);
          const d = [dcT * g * i * (1 - i), dcT * h[F(cPrev) + s]! * fg * (1 - fg), dcT * i * (1 - g * g), dh * t * o * (1 - o)];
          h[F(dc) + s] = dcT * fg;
          d.forEach((v, k) => {
            h[F(dpre) + (k * H + r) * ld + b] = v;
            h[F(dgate) + (k * H + r) * B + b] = v;
          });
        }
      }
    },
    lstm_bias_backward(db: number, dpre: number, rows: number, cols: number) {
      const h = f();
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let j = 0; j < cols; j++) s += h[F(dpre) + r * cols + j]!;
        h[F(db) + r] = h[F(db) + r]! + s;
      }
    },
    // ---- sparse.ts: W is CSR (rowPtr, colIdx, values); slot s of row i has column colIdx[s] ----
    // Each kernel twice: i32 index arrays, and `_u16` (16-bit entries, read by `u16`).
    spmm: spmmWith(ids),
    spmm_u16: spmmWith(u16),
    spmm_t: spmmTWith(ids),
    spmm_t_u16: spmmTWith(u16),
    spmm_t_csc: spmmTCscWith(ids),
    spmm_t_csc_u16: spmmTCscWith(u16),
    sddmm: sddmmWith(ids),
    sddmm_u16: sddmmWith(u16),
    // ---- inference.ts: one token per step ----
    gemv(y: number, a: number, x: number, M: number, K: number, acc: number) {
      gemm(y, M, 1, K, acc, (i, k) => f()[F(a) + i * K + k]!, (k) => f()[F(x) + k]!);
    },
    spmv(y: number, rowPtr: number, colIdx: number, values: number, x: number, M: number, N: number, acc: number) {
      csrTimesDense(y, rowPtr, (t) => ids(colIdx, t), values, x, M, N, acc);
    },
    spmv_u16(y: number, rowPtr: number, colIdx16: number, values: number, x: number, M: number, N: number, acc: number) {
      csrTimesDense(y, rowPtr, (t) => u16(colIdx16, t), values, x, M, N, acc);
    },
    stream_sum(a: number, n: number): number {
      let s = 0;
      for (let k = 0; k < n; k++) s += f()[F(a) + k]!;
      return s;
    },
    csr_gather_rows: gatherRowsWith(ids),
    csr_gather_rows_u16: gatherRowsWith(u16),
    csr_gather_rows_grad: gatherRowsGradWith(ids),
    csr_gather_rows_grad_u16: gatherRowsGradWith(u16),
  };
}

export type ReferenceKernels = ReturnType<typeof createReference>;
