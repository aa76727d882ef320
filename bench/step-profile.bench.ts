// Where a training step's time goes, by kernel: every function of `kernels` is wrapped with a
// timer (performance.now, ≈ 0.1 µs per call), then STEPS training steps (bench/lm-step.ts) run
// after 2 warm-up steps. "other" is the step's time outside the kernels (JavaScript: the tape,
// allocation, the optimizer's bookkeeping). Use it to see what bounds a model at a density.
// Threads: THREADS=n (default 1). Model and density: PROFILE_MODEL (zaremba-small), PROFILE_DENSITY (0.33);
// PROFILE_LAYOUT=token-major profiles a sparse decoder in its former layout (see the decoder suite).
//
// Run: npm run bench -- step-profile
// Last line: {"suite":"step-profile","model":..,"density":..,"threads":n,"ms_per_step":t,"share":{"spmm":0.31,...,"other":0.05}}
import { kernels, setThreads } from '../src/index.js';
import { setDecoderLayoutForBench } from '../src/ops/mos-decoder.js';
import { formatTable, machineLine, printJsonLine, round } from './common.js';
import { benchStep, threadsFromEnv } from './lm-step.js';

const model = process.env.PROFILE_MODEL ?? 'zaremba-small';
const density = Number(process.env.PROFILE_DENSITY ?? 0.33);
const STEPS = Number(process.env.PROFILE_STEPS ?? 8);
const T = await setThreads(threadsFromEnv(1));
const layout = process.env.PROFILE_LAYOUT === 'token-major' ? 'token-major' : 'auto';
setDecoderLayoutForBench(layout);
const lm = benchStep(model, density);
for (let i = 0; i < 2; i++) lm.step();

const table = kernels as unknown as Record<string, unknown>;
const spent = new Map<string, { ms: number; calls: number }>();
const originals = new Map<string, (...a: number[]) => unknown>();
for (const [name, f] of Object.entries(table)) {
  if (typeof f !== 'function' || name === 'heap_base') continue;
  const fn = f as (...a: number[]) => unknown;
  originals.set(name, fn);
  const s = { ms: 0, calls: 0 };
  spent.set(name, s);
  table[name] = (...a: number[]) => {
    const t0 = performance.now();
    const r = fn(...a);
    s.ms += performance.now() - t0;
    s.calls++;
    return r;
  };
}
const t0 = performance.now();
for (let i = 0; i < STEPS; i++) lm.step();
const stepMs = (performance.now() - t0) / STEPS;
for (const [name, fn] of originals) table[name] = fn;
lm.dispose();
await setThreads(1);

console.log(machineLine());
console.log(`\n${model} d=${density}, ${T} thread(s), decoder layout ${layout}: ${stepMs.toFixed(1)} ms per step (${Math.round(lm.tokens / (stepMs / 1000))} tokens/s), mean of ${STEPS}`);
const rows = [...spent].filter(([, s]) => s.calls > 0).sort((a, b) => b[1].ms - a[1].ms);
const kernelMs = rows.reduce((t, [, s]) => t + s.ms, 0) / STEPS;
const share: Record<string, number> = {};
const out = rows.map(([name, s]) => {
  share[name] = round(s.ms / STEPS / stepMs, 3);
  return [name, (s.ms / STEPS).toFixed(2), `${((100 * s.ms) / STEPS / stepMs).toFixed(1)}%`, Math.round(s.calls / STEPS)];
});
share.other = round(1 - kernelMs / stepMs, 3);
out.push(['other (outside the kernels)', (stepMs - kernelMs).toFixed(2), `${(100 * share.other).toFixed(1)}%`, '']);
console.log(formatTable(['kernel', 'ms per step', 'share', 'calls per step'], out));
printJsonLine({ suite: 'step-profile', model, density, layout, threads: T, ms_per_step: round(stepMs, 1), share });
