// One measurement of bench/step-memory.bench.ts, in its own process: builds a model, trains it
// STEPS steps (bench/lm-step.ts) and prints {peakRssMiB, wasmMiB, tokensPerS} as one JSON line.
import { memoryStats, setThreads } from '../src/index.js';
import { benchStep } from './lm-step.js';

const [name, density, steps, threads] = process.argv.slice(2);
await setThreads(Number(threads));
const lm = benchStep(name!, Number(density));
const t0 = performance.now();
for (let i = 0; i < Number(steps); i++) lm.step();
const seconds = (performance.now() - t0) / 1000;
// maxRSS is in KiB (Node's process.resourceUsage()).
console.log(JSON.stringify({
  peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  wasmMiB: Math.round(memoryStats().memoryBytes / 2 ** 20),
  tokensPerS: Math.round((lm.tokens * Number(steps)) / seconds),
}));
