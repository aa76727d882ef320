// Relaxed SIMD, opt-in: setRelaxedSimd(true) moves the kernels to the active build's relaxed-SIMD
// twin (f32x4.relaxed_madd: one instruction per multiply-add instead of two), on the same memory,
// tensors and all, and restarts the worker pool on it. Opt-in because relaxed_madd may be fused
// on one machine and not on another, so the bits of a run can differ between machines (not
// between thread counts: the shares still give the single call's bits on any one machine).
// Engines: Node ≥ 22, Deno 2 and current Chromium have it; Node 20 only with the V8 flag
// --experimental-wasm-relaxed-simd.
import { getThreads, setThreads } from './threads.js';
import { activeBuild, buildSupported, relaxedSimdActive, swapToRelaxed } from './wasm.js';

/** Why relaxed SIMD cannot be used here, or null when it can. */
export function relaxedSimdUnavailableReason(): string | null {
  if (activeBuild === 'scalar') return 'this engine has no wasm SIMD';
  if (buildSupported(activeBuild === 'threads' ? 'threads-relaxed' : 'simd-relaxed')) return null;
  const node = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
  return node !== undefined && Number(node.split('.')[0]) < 22
    ? `Node ${node} has relaxed SIMD only behind a flag: run node --experimental-wasm-relaxed-simd (Node ≥ 22 has it by default)`
    : 'this engine does not support wasm relaxed SIMD';
}

/** True while the relaxed-SIMD kernels are in use. */
export function getRelaxedSimd(): boolean {
  return relaxedSimdActive;
}

/**
 * Uses the relaxed-SIMD kernels (on = true) or the standard ones. Throws, changing nothing, when
 * this engine lacks relaxed SIMD (see relaxedSimdUnavailableReason). The thread count is kept.
 */
export async function setRelaxedSimd(on: boolean): Promise<void> {
  if (typeof on !== 'boolean') throw new TypeError(`selfish-rnn: setRelaxedSimd takes true or false, got ${String(on)}`);
  if (on === relaxedSimdActive) return;
  const why = on ? relaxedSimdUnavailableReason() : null;
  if (why !== null) throw new Error(`selfish-rnn: relaxed SIMD is not available: ${why}`);
  const threads = getThreads();
  await setThreads(1);
  try {
    await swapToRelaxed(on);
  } finally {
    await setThreads(threads);
  }
}
