// --threads N, on every command that computes (train, eval, generate, bench): the kernels' thread
// count, default every core. Results do not depend on it (the kernels split work deterministically),
// so a resumed run may use another count than the run it continues.
import type { Args, OptionSpec } from 'yargs';
import { getRelaxedSimd, setRelaxedSimd } from '../backend/kernel-build.js';
import { availableCores, getThreads, setThreads, threadsUnavailableReason } from '../backend/threads.js';
import { activeBuild } from '../backend/wasm.js';
import { int, UsageError } from './format.js';

export const THREADS_OPTION: OptionSpec = {
  type: 'number',
  defaultDescription: 'all cores',
  describe: 'threads for the kernels (results are identical for any count)',
};

export const RELAXED_SIMD_OPTION: OptionSpec = {
  type: 'boolean',
  defaultDescription: 'off',
  describe: 'relaxed-SIMD kernels (one-instruction multiply-add): faster, but the bits may differ between machines; Node ≥ 22, Deno 2, Chromium (Node 20: only with V8\'s experimental-wasm-relaxed-simd flag)',
};

/** Threads per core beyond which --threads is capped (each thread costs memory and only adds contention). */
export const MAX_THREADS_PER_CORE = 4;

/**
 * Applies --threads (default: every core) and --relaxed-simd. Usage errors for a bad value; more
 * threads than cores draws a warning, and more than MAX_THREADS_PER_CORE per core is capped
 * (results are the same for any count).
 */
export async function applyThreads(a: Args, warn: (line: string) => void = (line) => { process.stderr.write(line + '\n'); }): Promise<number> {
  let n = int(a, 'threads', 1);
  if (n !== undefined && n > 256) throw new UsageError(`--threads needs an integer from 1 to 256, got ${n}`);
  if (n !== undefined) {
    const cores = await availableCores();
    const cap = MAX_THREADS_PER_CORE * cores;
    if (n > cap) {
      warn(`selfish-rnn: --threads ${n} is far above the ${cores} core${cores === 1 ? '' : 's'} of this machine; using ${cap} (results are the same for any count)`);
      n = cap;
    } else if (n > cores) {
      warn(`selfish-rnn: warning: --threads ${n} is more than the ${cores} core${cores === 1 ? '' : 's'} of this machine: the kernels will be slower, not faster`);
    }
  }
  if (a['relaxed-simd'] === true) {
    try {
      await setRelaxedSimd(true);
    } catch (e) {
      throw new UsageError(`--relaxed-simd: ${e instanceof Error ? e.message.replace(/^selfish-rnn: /, '') : String(e)}`);
    }
  }
  return setThreads(n);
}

/** "2 threads (wasm SIMD, shared memory)", or why there is one thread. */
export function describeThreads(): string {
  const n = getThreads();
  const simd = getRelaxedSimd() ? 'wasm relaxed SIMD' : 'wasm SIMD';
  const build = activeBuild === 'threads' ? `${simd}, shared memory` : activeBuild === 'simd' ? simd : 'wasm scalar';
  const why = n === 1 ? threadsUnavailableReason() : null;
  return `${n} thread${n === 1 ? '' : 's'} (${build}${why ? `; threads unavailable: ${why}` : ''})`;
}
