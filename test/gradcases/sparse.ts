// Gradient-check cases for the sparse-weight ops (src/ops/sparse.ts): the oracle is the dense
// product with the missing entries at zero; gradients are checked for the nonzero values and for
// the dense input.
import { CSRMatrix, IntTensor, sparseEmbedding, sparseLinear, sparseMatmul, type Tensor } from '../../src/index.js';
import type { GradCase } from '../helpers/gradcheck.js';

/** A fixed pattern with an empty row and a full row: row r keeps column c when (r·7 + c·3) % 5 < 2, row 1 empty, row 2 full. */
function pattern(rows: number, cols: number): { row: number[]; col: number[] } {
  const row: number[] = [], col: number[] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) {
    if (r === 1) continue;
    if (r === 2 || (r * 7 + c * 3) % 5 < 2) { row.push(r); col.push(c); }
  }
  return { row, col };
}

/** CSR matrix with the pattern and the given values (the gradcheck's leaf becomes its values). */
const made: CSRMatrix[] = [];
const freeMatrices = () => { for (const m of made.splice(0)) m.dispose(); };

function csrWith(values: Tensor, rows: number, cols: number): CSRMatrix {
  const p = pattern(rows, cols);
  const m = CSRMatrix.fromCoords([rows, cols], { ...p, value: values.toArray() }, { requiresGrad: false });
  // Use the gradcheck's tensor as the values leaf so its gradient is checked.
  (m as unknown as { values: Tensor }).values.dispose();
  Object.defineProperty(m, 'values', { value: values });
  made.push(m);
  return m;
}

function dense64(vals: Float64Array, rows: number, cols: number): Float64Array {
  const p = pattern(rows, cols), d = new Float64Array(rows * cols);
  p.row.forEach((r, k) => (d[r * cols + p.col[k]!] = vals[k]!));
  return d;
}

const nnz = (rows: number, cols: number) => pattern(rows, cols).row.length;
const IDS = [3, 1, 0, 3, 4];

export const sparseCases: GradCase[] = [
  {
    op: 'sparseMatmul', label: 'W 5×7 (empty and full rows) · X 7×3', shapes: [[nnz(5, 7)], [7, 3]],
    after: freeMatrices,
    run: ([v, x]) => sparseMatmul(csrWith(v!, 5, 7), x!),
    oracle: ([v, x]) => {
      const w = dense64(v!, 5, 7), out = new Float64Array(15);
      for (let i = 0; i < 5; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 7; k++) out[i * 3 + j] += w[i * 7 + k]! * x![k * 3 + j]!;
      return out;
    },
  },
  {
    op: 'sparseLinear', label: 'x 3×6 · W(5×6)ᵀ + b', shapes: [[nnz(5, 6)], [3, 6], [5]],
    after: freeMatrices,
    run: ([v, x, b]) => sparseLinear(x!, csrWith(v!, 5, 6), b!),
    oracle: ([v, x, b]) => {
      const w = dense64(v!, 5, 6), out = new Float64Array(15);
      for (let n = 0; n < 3; n++) for (let o = 0; o < 5; o++) {
        let s = b![o]!;
        for (let k = 0; k < 6; k++) s += x![n * 6 + k]! * w[o * 6 + k]!;
        out[n * 5 + o] = s;
      }
      return out;
    },
  },
  {
    op: 'sparseEmbedding', label: 'table 5×4, repeated ids, an empty row', shapes: [[nnz(5, 4)]],
    after: freeMatrices,
    run: ([v]) => sparseEmbedding(csrWith(v!, 5, 4), new IntTensor(IDS)),
    oracle: ([v]) => {
      const w = dense64(v!, 5, 4);
      return Float64Array.from(IDS.flatMap((i) => [...w.subarray(i * 4, i * 4 + 4)]));
    },
  },
];
