// The index arrays of the CSR kernels (a CSR matrix's column indices, a CSC index's row indices)
// come in two widths: 16-bit (u16, when every index is < 65,536: 2 bytes per nonzero) and 32-bit
// (i32). The width is the `wide` argument of the @inline kernel templates (true: i32), always a
// literal in each specialisation, so the optimiser folds the choice away and the hot loops stay
// straight-line: one exported kernel per width (spmm / spmm_u16, …), never a branch per nonzero.
// Both widths compute the same bits: only the load of the index differs.

/** Index k of an index array at byte offset p: i32 entries when `wide`, u16 otherwise. */
@inline export function idxAt(wide: bool, p: usize, k: i32): i32 {
  return wide ? load<i32>(p + (<usize>k << 2)) : <i32>load<u16>(p + (<usize>k << 1));
}

/** log2 of the bytes of one index entry (2 for i32, 1 for u16). */
@inline export function idxShift(wide: bool): usize {
  return wide ? 2 : 1;
}

/** The index at byte address p (a pointer walking an index array), as a byte-offset multiplier. */
@inline export function idxLoad(wide: bool, p: usize): usize {
  return wide ? <usize>load<i32>(p) : <usize>load<u16>(p);
}
