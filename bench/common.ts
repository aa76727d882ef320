// Shared helpers for the benchmark suites (bench/<suite>.bench.ts, run by scripts/bench.mjs).
// Each suite prints a readable table and, as its last line, one JSON object with its headline
// figures. The machine has few cores shared with other work, so suites time short samples in
// several rounds and keep the fastest sample of each task: interference only ever adds time.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { CSRMatrix, getThreads, kernels, Tensor, simdSupported, type Random } from '../src/index.js';

export interface BenchTask {
  name: string;
  fn: () => void;
  /** Minimum samples per round (tinybench `iterations`); keep it small for slow tasks. */
  iterations?: number;
}

export interface RunOptions {
  /** Rounds over all tasks; the tasks alternate, so a burst of load hits all of them alike. */
  rounds?: number;
  /** Milliseconds per task per round (tinybench `time`). */
  time?: number;
  warmupTime?: number;
  /** Warm-up samples before the first round (default 2) and before each later round (default 1). */
  warmupIterations?: number;
}

/** Runs every task with tinybench in `rounds` rounds; returns each task's fastest sample in ms. */
export async function bestTimes(tasks: BenchTask[], opts: RunOptions = {}): Promise<Map<string, number>> {
  const { rounds = 3, time = 150, warmupTime = 30, warmupIterations } = opts;
  const best = new Map<string, number>();
  for (let r = 0; r < rounds; r++) {
    for (const t of tasks) {
      // One Bench per task so that each can have its own minimum iteration count.
      const bench = new Bench({ time, iterations: t.iterations ?? 10, warmupTime, warmupIterations: warmupIterations ?? (r === 0 ? 2 : 1) });
      bench.add(t.name, t.fn);
      await bench.warmup();
      await bench.run();
      const result = bench.tasks[0]!.result;
      if (!result || result.error) throw new Error(`bench task ${t.name} failed: ${String(result?.error)}`);
      best.set(t.name, Math.min(best.get(t.name) ?? Infinity, result.min));
    }
  }
  return best;
}

/** A persistent tensor of uniform values in [−1, 1). */
export function randomTensor(rng: Random, shape: number[]): Tensor {
  const t = new Tensor(shape, { persistent: true });
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniform() * 2 - 1;
  return t;
}

/** An M×K CSR matrix with each entry present with probability d, values uniform in [−1, 1). */
export function randomCsr(rng: Random, M: number, K: number, d: number): CSRMatrix {
  const w = randomTensor(rng, [M, K]);
  const s = CSRMatrix.fromDense(w, () => rng.uniform() < d, { requiresGrad: false });
  w.dispose();
  return s;
}

type Kernel = (...a: number[]) => void;

/**
 * The sparse kernels of W's index width (the `_u16` ones for 16-bit indices), as CsrOperator picks
 * them: call them with W's own arrays. Looked up per call (setThreads swaps the kernel functions).
 * `spmm_t_csc` goes with W's transposed index (its row indices have their own width).
 */
export function csrKernels(W: CSRMatrix): { spmm: Kernel; spmm_t: Kernel; spmm_t_csc: Kernel; sddmm: Kernel } {
  const u = W.colIdx.wide ? '' : '_u16';
  const k = kernels as unknown as Record<string, Kernel>;
  return {
    spmm: (...a) => k[`spmm${u}`]!(...a),
    spmm_t: (...a) => k[`spmm_t${u}`]!(...a),
    spmm_t_csc: (...a) => k[`spmm_t_csc${W.transposedIndex().rowIdx.wide ? '' : '_u16'}`]!(...a),
    sddmm: (...a) => k[`sddmm${u}`]!(...a),
  };
}

/**
 * The best time (ms) of each task under each setting (e.g. 1 vs T threads, standard vs relaxed
 * kernels): rounds alternate the settings, so load hits them alike; index i of the result is
 * settings[i].
 */
export async function bestAcross(tasks: BenchTask[], settings: (() => Promise<unknown>)[], rounds: number, time: number, warmupIterations?: number): Promise<Map<string, number[]>> {
  const best = new Map<string, number[]>();
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < settings.length; k++) {
      await settings[k]!();
      const times = await bestTimes(tasks, { rounds: 1, time, warmupTime: 10, warmupIterations });
      for (const [name, ms] of times) {
        const b = best.get(name) ?? settings.map(() => Infinity);
        b[k] = Math.min(b[k]!, ms);
        best.set(name, b);
      }
    }
  }
  return best;
}

/** GFLOP/s for `flops` floating-point operations done in `ms` milliseconds. */
export function gflops(flops: number, ms: number): number {
  return flops / ms / 1e6;
}

/** Rounds to `digits` decimals (for the JSON line). */
export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** A plain-text table with right-aligned columns. */
export function formatTable(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => line(r.map(String)))].join('\n');
}

/** One line describing the machine and engine, printed by every suite. */
export function machineLine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `machine: ${cpu}, ${cpus().length} logical cores; node ${process.version}; wasm SIMD ${simdSupported ? 'on' : 'off'}`;
}

/**
 * Prints the suite's headline figures as one JSON object; must be the suite's last output. Adds
 * the kernels' thread count (`threads`) unless the suite set it.
 */
export function printJsonLine(obj: Record<string, unknown>): void {
  console.log(JSON.stringify({ ...obj, threads: obj.threads ?? getThreads() }));
}

// ---- PyTorch peers (bench/pytorch/) ---------------------------------------------------------------

/** The project root (this file runs as build/bench/common.js). */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let unavailable: string | null | undefined;

/** Why PyTorch cannot be measured here (PYTORCH=0, no Debian python3 or no torch in it), or null. */
export function pytorchUnavailable(): string | null {
  if (unavailable !== undefined) return unavailable;
  unavailable = process.env.PYTORCH === '0' ? 'PYTORCH=0'
    : !existsSync('/usr/bin/python3') ? '/usr/bin/python3 not found'
    : spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status !== 0 ? '/usr/bin/python3 has no torch (apt-get install python3-torch)'
    : null;
  if (unavailable !== null) console.log(`PyTorch skipped (${unavailable})`);
  return unavailable;
}

/**
 * Runs bench/pytorch/<script> in PyTorch's best CPU set-up (bench/pytorch/best-setup.sh) and
 * returns its last stdout line parsed as JSON; null when PyTorch is unavailable or the script
 * fails (the reason is printed). The set-up's report (which BLAS kernel runs) goes to stderr.
 */
export function runPytorch<T>(suite: string, script: string, args: string[], timeoutMs = 1_200_000): T | null {
  if (pytorchUnavailable() !== null) return null;
  const r = spawnSync('bash', [join(ROOT, 'bench/pytorch/best-setup.sh'), join(ROOT, 'bench/pytorch', script), ...args], { encoding: 'utf8', timeout: timeoutMs });
  if (r.status !== 0) {
    console.error(`${suite}: PyTorch not measured (exit ${r.status}): ${(r.stderr || r.stdout || '').trim().split('\n').slice(-2).join(' ')}`);
    return null;
  }
  if (r.stderr) process.stderr.write(r.stderr.split('\n').filter((l) => l.startsWith('best-setup:')).map((l) => `  ${l}\n`).join(''));
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}
