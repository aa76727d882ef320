// CSRMatrix: construction, round trips, validation errors, transposed index, topology rebuild
// and the slot map, memory ownership, the width of the stored indices.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CSRMatrix, IndexArray, memoryStats, Random, remapSlots, tensor, Tensor, tidy } from '../src/index.js';
import { forceWideIndices } from '../src/csr.js';

/** A dense rows×cols array with about `density` of its entries nonzero (never exactly 0). */
function randomDense(rows: number, cols: number, density: number, rng: Random): Float32Array {
  const d = new Float32Array(rows * cols);
  for (let k = 0; k < d.length; k++) if (rng.uniform() < density) d[k] = Math.fround(rng.uniform() + 0.5) * (rng.uniform() < 0.5 ? -1 : 1);
  return d;
}

/** Checks the CSR invariants by hand: rowPtr monotone from 0 to nnz, columns ascending and in range. */
function assertWellFormed(W: CSRMatrix): void {
  const rp = W.rowPtr.data, ci = W.colIdx.data;
  assert.is(rp.length, W.rows + 1);
  assert.is(rp[0], 0);
  assert.is(rp[W.rows], W.nnz);
  assert.is(ci.length, W.nnz);
  for (let i = 0; i < W.rows; i++) {
    assert.ok(rp[i + 1]! >= rp[i]!, `rowPtr decreases at ${i}`);
    for (let s = rp[i]!; s < rp[i + 1]!; s++) {
      assert.ok(ci[s]! >= 0 && ci[s]! < W.cols, `column ${ci[s]} out of range`);
      if (s > rp[i]!) assert.ok(ci[s]! > ci[s - 1]!, `row ${i} not strictly ascending at slot ${s}`);
    }
  }
}

test('the documented 3×4 example has the documented arrays', () => {
  const dense = tensor([[0, 1.5, 0, 2], [0, 0, 0, 0], [0.7, 0, 0, 0]], undefined, { persistent: true });
  const W = CSRMatrix.fromDense(dense);
  assert.equal(Array.from(W.rowPtr.data), [0, 2, 2, 3]);
  assert.equal(Array.from(W.colIdx.data), [1, 3, 0]);
  assert.equal(Array.from(W.values.data), [1.5, 2, Math.fround(0.7)]);
  assert.is(W.nnz, 3);
  assert.ok(W.values.requiresGrad, 'values are a trainable leaf by default');
  assert.equal(W.values.shape, [3]);
  W.dispose();
  dense.dispose();
});

test('fromDense → toDense round trip on awkward shapes and densities', () => {
  const rng = new Random(3);
  for (const [rows, cols] of [[0, 0], [0, 5], [4, 0], [1, 1], [3, 5], [17, 33], [33, 17]] as [number, number][]) {
    for (const density of [0, 0.05, 0.33, 1]) {
      const d = randomDense(rows, cols, density, rng);
      const dense = tensor(d, [rows, cols], { persistent: true });
      const W = CSRMatrix.fromDense(dense);
      assertWellFormed(W);
      assert.is(W.nnz, d.filter((v) => v !== 0).length);
      const back = W.toDense();
      assert.equal(back.shape, [rows, cols]);
      assert.equal(Array.from(back.data), Array.from(d), `round trip ${rows}×${cols} at density ${density}`);
      back.dispose();
      W.dispose();
      dense.dispose();
    }
  }
});

test('fromDense with a mask tensor, a boolean array and a predicate; masked zeros are kept', () => {
  const dense = tensor([[1, 0, 3], [4, 5, 0]], undefined, { persistent: true });
  const maskT = tensor([[1, 1, 0], [0, 1, 1]], undefined, { persistent: true });
  const a = CSRMatrix.fromDense(dense, maskT);
  assert.equal(Array.from(a.rowPtr.data), [0, 2, 4]);
  assert.equal(Array.from(a.colIdx.data), [0, 1, 1, 2]);
  assert.equal(Array.from(a.values.data), [1, 0, 5, 0], 'kept entries keep their value, even 0');
  const b = CSRMatrix.fromDense(dense, [true, true, false, false, true, true]);
  assert.equal(Array.from(b.colIdx.data), Array.from(a.colIdx.data));
  const c = CSRMatrix.fromDense(dense, (v, i, j) => i === j || v > 3);
  assert.equal(Array.from(c.rowPtr.data), [0, 1, 3]);
  assert.equal(Array.from(c.colIdx.data), [0, 0, 1]);
  assert.equal(Array.from(c.values.data), [1, 4, 5]);
  assert.throws(() => CSRMatrix.fromDense(dense, [1, 0, 1]), /mask must have 6 entries \(shape \[2, 3\]\), got 3 entries/);
  assert.throws(() => CSRMatrix.fromDense(tensor([1, 2, 3])), /expects a 2-D tensor, got \[3\]/);
  for (const t of [a, b, c, dense, maskT]) t.dispose();
});

test('fromCoords accepts unsorted input and sorts rows and columns, values follow their entries', () => {
  const W = CSRMatrix.fromCoords([3, 4], { row: [2, 0, 0, 2, 1], col: [1, 3, 0, 0, 2], value: [5, 4, 3, 2, 1] });
  assertWellFormed(W);
  assert.equal(Array.from(W.rowPtr.data), [0, 2, 3, 5]);
  assert.equal(Array.from(W.colIdx.data), [0, 3, 2, 0, 1]);
  assert.equal(Array.from(W.values.data), [3, 4, 1, 2, 5]);
  const c = W.coords();
  assert.equal(Array.from(c.row), [0, 0, 1, 2, 2]);
  const noValues = CSRMatrix.fromCoords([2, 2], { row: [1, 0], col: [1, 1] }, { requiresGrad: false, name: 'w' });
  assert.equal(Array.from(noValues.values.data), [0, 0]);
  assert.not.ok(noValues.values.requiresGrad);
  assert.is(noValues.name, 'w');
  const empty = CSRMatrix.fromCoords([5, 7], { row: [], col: [] });
  assert.is(empty.nnz, 0);
  assert.equal(Array.from(empty.rowPtr.data), [0, 0, 0, 0, 0, 0]);
  for (const t of [W, noValues, empty]) t.dispose();
});

test('fromCoords on a random permutation equals fromDense', () => {
  const rng = new Random(11);
  const rows = 23, cols = 31;
  const d = randomDense(rows, cols, 0.3, rng);
  const entries: [number, number, number][] = [];
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) if (d[i * cols + j] !== 0) entries.push([i, j, d[i * cols + j]!]);
  for (let k = entries.length - 1; k > 0; k--) {
    const r = rng.int(k + 1);
    [entries[k], entries[r]] = [entries[r]!, entries[k]!];
  }
  const W = CSRMatrix.fromCoords([rows, cols], { row: entries.map((e) => e[0]), col: entries.map((e) => e[1]), value: entries.map((e) => e[2]) });
  const dense = tensor(d, [rows, cols], { persistent: true });
  const V = CSRMatrix.fromDense(dense);
  assert.equal(Array.from(W.rowPtr.data), Array.from(V.rowPtr.data));
  assert.equal(Array.from(W.colIdx.data), Array.from(V.colIdx.data));
  assert.equal(Array.from(W.values.data), Array.from(V.values.data));
  for (const t of [W, V, dense]) t.dispose();
});

test('fromCoords rejects duplicates, out-of-range and non-integer coordinates with clear errors', () => {
  assert.throws(() => CSRMatrix.fromCoords([3, 3], { row: [0, 2, 0], col: [1, 2, 1] }), /duplicate entry \(0, 1\) at positions 0 and 2/);
  assert.throws(() => CSRMatrix.fromCoords([3, 3], { row: [0, 3], col: [0, 0] }), /entry 1 has row 3, outside \[0, 3\)/);
  assert.throws(() => CSRMatrix.fromCoords([3, 3], { row: [0, 1], col: [-1, 0] }), /entry 0 has column -1, outside \[0, 3\)/);
  assert.throws(() => CSRMatrix.fromCoords([3, 3], { row: [0.5], col: [0] }), /entry 0 has row 0.5/);
  assert.throws(() => CSRMatrix.fromCoords([3, 3], { row: [0, 1], col: [0] }), /same length, got 2, 1/);
  assert.throws(() => CSRMatrix.fromCoords([3, 3], { row: [0], col: [0], value: [1, 2] }), /same length, got 1, 1 and 2/);
  assert.throws(() => CSRMatrix.fromCoords([-1, 3], { row: [], col: [] }), /shape must be \[rows, cols\]/);
});

test('fromParts validates raw arrays and can adopt a values tensor', () => {
  assert.throws(() => CSRMatrix.fromParts([2, 3], [0, 1], [0], [1]), /fromParts: the matrix \(2×3\) needs 3 row pointers, got 2/);
  assert.throws(() => CSRMatrix.fromParts([2, 3], [1, 1, 1], [0], [1]), /has rowPtr\[0\] = 1, expected 0/);
  assert.throws(() => CSRMatrix.fromParts([2, 3], [0, 1, 1], [0, 1], [1]), /has 1 values but 2 column indices/);
  assert.throws(() => CSRMatrix.fromParts([2, 3], [0, 2, 1], [0], [1]), /has decreasing row pointers at row 1 \(2 → 1\)/);
  assert.throws(() => CSRMatrix.fromParts([2, 3], [0, 2, 2], [1, 0], [1, 2]), /has columns 1 then 0 in row 0 \(entry 1\); they must be strictly ascending/);
  assert.throws(() => CSRMatrix.fromParts([2, 3], [0, 1, 1], [3], [1]), /has column index 3 at entry 0 \(row 0\), outside \[0, 3\)/);
  assert.throws(() => CSRMatrix.fromParts([2, 3], [0, 1, 1], [0], [1, 2]), /has 2 values but rowPtr\[2\] = 1/);
  const v = tensor([7, 8], [2], { requiresGrad: true, persistent: true });
  const W = CSRMatrix.fromParts([2, 3], [0, 1, 2], [2, 0], v);
  assert.is(W.values, v, 'the tensor is adopted, not copied');
  const d = W.toDense();
  assert.equal(Array.from(d.data), [0, 0, 7, 8, 0, 0]);
  W.dispose();
  assert.ok(v.isDisposed, 'an adopted values tensor is disposed with the matrix');
  d.dispose();
});

test('random topology: Bernoulli density, values from init, deterministic per seed', () => {
  const a = CSRMatrix.random([200, 300], 0.33, { rng: new Random(5), init: () => 0.25 });
  const b = CSRMatrix.random([200, 300], 0.33, { rng: new Random(5), init: () => 0.25 });
  assertWellFormed(a);
  assert.ok(Math.abs(a.density - 0.33) < 0.01, `density ${a.density}`);
  assert.ok(a.values.data.every((v) => v === 0.25));
  assert.equal(Array.from(a.colIdx.data), Array.from(b.colIdx.data));
  const full = CSRMatrix.random([3, 4], 1), none = CSRMatrix.random([3, 4], 0);
  assert.is(full.nnz, 12);
  assert.is(none.nnz, 0);
  assert.throws(() => CSRMatrix.random([3, 4], 1.5), /density must be in \[0, 1\], got 1.5/);
  for (const t of [a, b, full, none]) t.dispose();
});

test('transposed index lists each column\'s entries by ascending row and maps back to CSR slots', () => {
  const rng = new Random(9);
  for (const [rows, cols, density] of [[0, 4, 0.5], [5, 0, 0.5], [1, 1, 1], [17, 33, 0.33], [33, 17, 0.05], [8, 8, 1]] as [number, number, number][]) {
    const dense = tensor(randomDense(rows, cols, density, rng), [rows, cols], { persistent: true });
    const W = CSRMatrix.fromDense(dense);
    const t = W.transposedIndex();
    assert.is(W.transposedIndex(), t, 'cached');
    const cp = t.colPtr.data, ri = t.rowIdx.data, so = t.slotOf.data;
    const rowOf = W.rowOfSlots(), ci = W.colIdx.data;
    assert.is(cp.length, cols + 1);
    assert.is(cp[cols], W.nnz);
    const seen = new Uint8Array(W.nnz);
    for (let j = 0; j < cols; j++) {
      for (let e = cp[j]!; e < cp[j + 1]!; e++) {
        const s = so[e]!;
        assert.is(ci[s], j, 'slot belongs to this column');
        assert.is(rowOf[s], ri[e], 'rowIdx is the slot\'s row');
        if (e > cp[j]!) assert.ok(ri[e]! > ri[e - 1]!, 'rows ascending');
        seen[s]++;
      }
    }
    assert.ok(seen.every((c) => c === 1), 'every slot appears exactly once');
    W.dispose();
    dense.dispose();
  }
});

test('rebuild keeps surviving values, adds zeros, and the slot map points at the right old slots', () => {
  const rng = new Random(21);
  for (const [rows, cols, density] of [[1, 1, 1], [7, 9, 0.33], [40, 25, 0.05], [12, 12, 1], [30, 50, 0.33]] as [number, number, number][]) {
    const dense = tensor(randomDense(rows, cols, density, rng), [rows, cols], { persistent: true });
    const W = CSRMatrix.fromDense(dense, undefined, { name: 'w' });
    const old = W.coords();
    // Remove about a third of the slots; add about as many absent positions (in a random order),
    // plus one removed position re-added (allowed: it restarts at 0).
    const removed: number[] = [];
    for (let s = 0; s < W.nnz; s++) if (rng.uniform() < 0.33) removed.push(s);
    removed.reverse();
    const present = new Set(Array.from({ length: W.nnz }, (_, s) => old.row[s]! * cols + old.col[s]!));
    const absent: number[] = [];
    for (let k = 0; k < rows * cols; k++) if (!present.has(k)) absent.push(k);
    for (let k = absent.length - 1; k > 0; k--) {
      const r = rng.int(k + 1);
      [absent[k], absent[r]] = [absent[r]!, absent[k]!];
    }
    const addKeys = absent.slice(0, removed.length);
    if (removed.length > 0) addKeys.push(old.row[removed[0]!]! * cols + old.col[removed[0]!]!);
    const added = { row: addKeys.map((k) => Math.floor(k / cols)), col: addKeys.map((k) => k % cols) };

    const { matrix: R, oldSlotOf } = W.rebuild(removed, added);
    assertWellFormed(R);
    assert.is(R.nnz, W.nnz - removed.length + addKeys.length);
    assert.is(oldSlotOf.length, R.nnz);
    assert.is(R.name, 'w');
    assert.is(R.values.requiresGrad, W.values.requiresGrad);
    // Expected dense matrix: the old one without the removed entries, added entries at 0.
    const expected = dense.toArray();
    for (const s of removed) expected[old.row[s]! * cols + old.col[s]!] = 0;
    const Rd = R.toDense();
    assert.equal(Array.from(Rd.data), Array.from(expected));
    const nw = R.coords();
    const gone = new Set(removed), addedSet = new Set(addKeys), survivorsSeen = new Set<number>();
    for (let s = 0; s < R.nnz; s++) {
      const o = oldSlotOf[s]!;
      const key = nw.row[s]! * cols + nw.col[s]!;
      if (o < 0) {
        assert.ok(addedSet.has(key), `new slot ${s} is an added entry`);
        assert.is(nw.value[s], 0);
      } else {
        assert.not.ok(gone.has(o), 'a removed slot does not survive');
        assert.is(old.row[o]! * cols + old.col[o]!, key, 'same coordinate as the old slot');
        assert.is(nw.value[s], old.value[o]);
        survivorsSeen.add(o);
      }
    }
    assert.is(survivorsSeen.size, W.nnz - removed.length, 'every survivor mapped exactly once');
    // The old matrix is intact.
    assert.equal(Array.from(W.values.data), Array.from(old.value));
    Rd.dispose();
    for (const t of [W, R, dense]) t.dispose();
  }
});

test('rebuild handles emptying a matrix and filling an empty one', () => {
  const W = CSRMatrix.fromCoords([2, 3], { row: [0, 1], col: [2, 0], value: [1, 2] });
  const { matrix: E, oldSlotOf: m1 } = W.rebuild([1, 0], { row: [], col: [] });
  assert.is(E.nnz, 0);
  assert.equal(Array.from(E.rowPtr.data), [0, 0, 0]);
  assert.is(m1.length, 0);
  const { matrix: F, oldSlotOf: m2 } = E.rebuild([], { row: [1, 0, 1], col: [2, 1, 0] });
  assert.equal(Array.from(F.rowPtr.data), [0, 1, 3]);
  assert.equal(Array.from(F.colIdx.data), [1, 0, 2]);
  assert.equal(Array.from(m2), [-1, -1, -1]);
  for (const t of [W, E, F]) t.dispose();
});

test('rebuild errors name the offending slot or coordinate', () => {
  const W = CSRMatrix.fromCoords([2, 3], { row: [0, 1], col: [2, 0], value: [1, 2] }, { name: 'enc' });
  const none = { row: [], col: [] };
  assert.throws(() => W.rebuild([2], none), /rebuild 'enc': removed slot 2 \(entry 0\) is outside \[0, 2\)/);
  assert.throws(() => W.rebuild([1, 1], none), /slot 1 is removed twice/);
  assert.throws(() => W.rebuild([], { row: [0], col: [2] }), /added entry \(0, 2\) is already present \(slot 0\) and not removed/);
  assert.throws(() => W.rebuild([], { row: [1, 1], col: [1, 1] }), /duplicate entry \(1, 1\)/);
  assert.throws(() => W.rebuild([], { row: [2], col: [0] }), /entry 0 has row 2, outside \[0, 2\)/);
  assert.throws(() => W.rebuild([], { row: [0, 1], col: [1] }), /differ in length \(2 vs 1\)/);
  W.dispose();
});

test('remapSlots carries slot-aligned state over a rebuild', () => {
  const W = CSRMatrix.fromCoords([2, 3], { row: [0, 0, 1], col: [0, 2, 1], value: [1, 2, 3] });
  const { matrix: R, oldSlotOf } = W.rebuild([1], { row: [1], col: [0] });
  assert.equal(Array.from(oldSlotOf), [0, -1, 2]);
  const momentum = tensor([10, 20, 30], [3], { persistent: true });
  const carried = remapSlots(momentum, oldSlotOf);
  assert.equal(Array.from(carried.data), [10, 0, 30]);
  assert.equal(Array.from(remapSlots(new Float32Array([1, 2, 3]), oldSlotOf, -1)), [1, -1, 3]);
  assert.throws(() => remapSlots(new Float32Array(1), oldSlotOf), /refers to old slot 2 but the array has 1 entries/);
  for (const t of [W, R, momentum, carried]) t.dispose();
});

test('dispose frees every buffer (indices, values, grad, transposed index); use after dispose throws', () => {
  const before = memoryStats().liveBytes;
  const W = CSRMatrix.random([50, 40], 0.2);
  W.transposedIndex();
  W.values.grad = new Tensor([W.nnz], { persistent: true });
  assert.ok(memoryStats().liveBytes > before);
  W.dispose();
  W.dispose();
  assert.is(memoryStats().liveBytes, before);
  assert.throws(() => W.toDense(), /CSRMatrix \[50, 40\] used after dispose\(\)/);
});

test('persistent: false puts every buffer in the enclosing tidy scope (rebuilds and transposed index too)', () => {
  const before = memoryStats().liveBytes;
  const nnz = tidy(() => {
    const W = CSRMatrix.random([20, 30], 0.3, { persistent: false, rng: new Random(2) });
    W.transposedIndex();
    const { matrix } = W.rebuild([0], { row: [], col: [] });
    matrix.transposedIndex();
    assert.is(matrix.nnz, W.nnz - 1);
    return matrix.nnz;
  });
  assert.ok(nnz > 0);
  assert.is(memoryStats().liveBytes, before);
});

test('indices are stored in 16 bits up to 65,536 columns (rows, for the transposed index) and in 32 beyond, through every constructor and rebuild', () => {
  for (const [rows, cols] of [[3, 65536], [3, 65537], [65536, 3], [65537, 3], [0, 0], [2, 1]] as const) {
    const wideCols = cols > 65536, wideRows = rows > 65536;
    const last = Math.max(rows, 1) - 1, lastCol = Math.max(cols, 1) - 1;
    const coords = rows * cols === 0 ? { row: [], col: [] } : { row: [0, last], col: [lastCol, 0] };
    const base = CSRMatrix.fromCoords([rows, cols], coords, { requiresGrad: false });
    const made = [base, CSRMatrix.fromParts([rows, cols], base.rowPtr.data, base.colIdx.data, coords.row.map(() => 1))];
    // Slot 0 removed and its coordinate added back (a regrown weight).
    if (rows * cols > 0) made.push(base.rebuild([0], { row: [coords.row[0]!], col: [coords.col[0]!] }).matrix);
    for (const W of made) {
      const what = `[${rows} × ${cols}]`;
      assert.is(W.colIdx.wide, wideCols, `${what}: column indices`);
      assert.is(W.transposedIndex().rowIdx.wide, wideRows, `${what}: transposed row indices`);
      assertWellFormed(W);
      assert.equal(Array.from(W.colIdx.toInt32Array()), Array.from(W.colIdx.data));
      assert.is(W.storageBytes, 4 * W.nnz + (wideCols ? 4 : 2) * W.nnz + 4 * (rows + 1));
      const t = W.transposedIndex(), rowOf = W.rowOfSlots(), ri = t.rowIdx.data, so = t.slotOf.data;
      for (let e = 0; e < W.nnz; e++) assert.is(ri[e], rowOf[so[e]!], `${what}: entry ${e} of the transposed index`);
    }
    for (const W of made) W.dispose();
  }
  // forceWideIndices: i32 storage whatever the size (tests and benchmarks compare the kernels with it).
  const prev = forceWideIndices(true);
  const W = CSRMatrix.fromCoords([2, 3], { row: [0, 1], col: [2, 0] });
  const T = W.transposedIndex(); // built (and its width chosen) on first use
  forceWideIndices(prev);
  assert.ok(W.colIdx.wide && T.rowIdx.wide);
  const R = W.rebuild([], { row: [1], col: [1] }).matrix;
  assert.is(R.colIdx.wide, false, 'a rebuild follows the size again');
  W.dispose();
  R.dispose();
});

test('IndexArray: a 16-bit array refuses indices it cannot hold; views, copies and the tidy scope', () => {
  assert.throws(() => new IndexArray([0, 65536], false), /16-bit index array cannot hold 65536 \(entry 1\); indices must be integers in \[0, 65536\)/);
  assert.throws(() => new IndexArray([-1], false), /cannot hold -1/);
  const before = memoryStats().liveBytes;
  tidy(() => {
    const a = new IndexArray([0, 7, 65535], false), b = new IndexArray([0, 7, 1 << 20], true);
    assert.ok(a.data instanceof Uint16Array && b.data instanceof Int32Array);
    assert.equal([a.bytes, b.bytes], [6, 12]);
    assert.equal(Array.from(a.toInt32Array()), [0, 7, 65535]);
    assert.equal(Array.from(b.toInt32Array()), [0, 7, 1 << 20]);
    assert.equal(Array.from(new Uint16Array(a.data.buffer, a.ptr, 3)), [0, 7, 65535], 'ptr addresses the u16 entries');
  });
  assert.is(memoryStats().liveBytes, before, 'freed with the scope');
});

test.run();
