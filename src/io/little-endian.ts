// Typed arrays ↔ little-endian bytes, for the file formats (checkpoints, safetensors), which are
// little-endian whatever the host. Typed arrays use the host's byte order: on little-endian hosts
// (every current browser/Node/Deno platform) the bytes are used as they are, with no copy; the
// swapping path exists so a big-endian host writes and reads the same files.

export type NumericArray = Float32Array | Int32Array | Uint8Array;

export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The little-endian bytes of `data`: a view of its memory on little-endian hosts, else a swapped copy. */
export function littleEndianBytes(data: NumericArray): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (HOST_IS_LITTLE_ENDIAN || data.BYTES_PER_ELEMENT === 1) return view;
  return swapped(view, data.BYTES_PER_ELEMENT);
}

/** Fills `out` (host order) from little-endian `bytes` of the same byte length; copies, never aliases. */
export function readLittleEndian<T extends NumericArray>(bytes: Uint8Array, out: T): T {
  const raw = HOST_IS_LITTLE_ENDIAN || out.BYTES_PER_ELEMENT === 1 ? bytes : swapped(bytes, out.BYTES_PER_ELEMENT);
  new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(raw);
  return out;
}

function swapped(bytes: Uint8Array, width: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += width) {
    for (let k = 0; k < width; k++) out[i + k] = bytes[i + width - 1 - k]!;
  }
  return out;
}
