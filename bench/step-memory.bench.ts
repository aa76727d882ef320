// Peak memory of a training step: ours (dense and at the paper's density, CSR) against PyTorch's
// dense step of the same model (bench/pytorch/lm_step.py, its best set-up), each measured as the
// peak resident set of a fresh process that builds the model and trains it for a few steps, so
// every figure includes its runtime (Node + wasm memory; Python + torch). Memory, unlike speed,
// does not depend on how loaded the machine is.
//
// Run: npm run bench -- step-memory   (MODELS=selfish-onlstm,selfish-rhn; STEPS=4; THREADS=2)
// Last line: {"suite":"step-memory","threads":n,"steps":s,"peak_rss_mib":{"selfish-onlstm":{"ours 1":m,"ours 0.45":m,"pytorch 1":m}},
//             "wasm_mib":{"selfish-onlstm":{"1":m,"0.45":m}}}
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { printJsonLine, runPytorch } from './common.js';
import { threadsFromEnv } from './lm-step.js';

const DENSITY: Record<string, number> = { 'selfish-onlstm': 0.45, 'selfish-rhn': 0.472, 'awd-lstm-mos-ptb': 0.45, 'zaremba-medium': 0.33, 'zaremba-small': 0.33 };
const NAMES = (process.env.MODELS ?? 'selfish-onlstm').split(',');
const STEPS = Number(process.env.STEPS ?? 4);
const threads = threadsFromEnv(2);
const child = fileURLToPath(new URL('./step-memory-child.js', import.meta.url));

interface Measured { peakRssMiB: number; wasmMiB?: number; tokensPerS?: number }

function ours(name: string, density: number): Measured {
  const r = spawnSync(process.execPath, [child, name, String(density), String(STEPS), String(threads)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`step-memory: ours ${name} d=${density} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Measured;
}

function pytorch(name: string): Measured | null {
  const last = runPytorch<{ peak_rss_mib: number; tokens_per_s: Record<string, Record<string, number>> }>('step-memory', 'lm_step.py',
    ['--models', name, '--threads', String(threads), '--steps', String(STEPS - 1), '--warmup', '1']);
  return last && { peakRssMiB: last.peak_rss_mib, tokensPerS: last.tokens_per_s[name]?.['1'] };
}

const peak: Record<string, Record<string, number>> = {};
const wasm: Record<string, Record<string, number>> = {};
const rows: Record<string, string | number>[] = [];
for (const name of NAMES) {
  peak[name] = {};
  wasm[name] = {};
  for (const d of [1, DENSITY[name] ?? 0.33]) {
    const m = ours(name, d);
    peak[name]![`ours ${d}`] = m.peakRssMiB;
    wasm[name]![String(d)] = m.wasmMiB!;
    rows.push({ model: name, side: 'ours', density: d, 'peak RSS MiB': m.peakRssMiB, 'wasm MiB': m.wasmMiB!, 'tokens/s (loaded?)': m.tokensPerS ?? '' });
  }
  const p = pytorch(name);
  if (p) {
    peak[name]!['pytorch 1'] = p.peakRssMiB;
    rows.push({ model: name, side: 'PyTorch', density: 1, 'peak RSS MiB': p.peakRssMiB, 'wasm MiB': '', 'tokens/s (loaded?)': p.tokensPerS ?? '' });
  }
}
console.log(`\nstep-memory: peak resident set of a process training ${STEPS} steps (fixed BPTT, each model's batch), ${threads} thread(s)`);
console.table(rows);
printJsonLine({ suite: 'step-memory', threads, steps: STEPS, peak_rss_mib: peak, wasm_mib: wasm });
