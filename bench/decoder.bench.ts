// Sparse decoders, feature-major against token-major: the softmax / MoS head on logits laid out
// as the sparse products give them (logitsT [V, tokens], assembly/mos-fm.ts; one chunk: exp kept
// in place for the backward) against the layout used before (token-major logits, transposed
// around every sparse product: three [tokens × V] transposes per step for a softmax decoder, four
// per chunk for MoS). Whole training steps (bench/lm-step.ts) of zaremba-small and zaremba-medium
// at density 0.33 and awd-lstm-mos-ptb at 0.45; rounds alternate the two layouts, fastest kept.
// Threads: every core by default, THREADS=n to choose. MODELS=a,b for a subset.
//
// Run: npm run bench -- decoder
// Last line: {"suite":"decoder","threads":n,"step_speedup":{"zaremba-small":x,...},"tokens_per_s":{"zaremba-small":{"token-major":a,"feature-major":b},...}}
import { availableCores, setThreads } from '../src/index.js';
import { setDecoderLayoutForBench } from '../src/ops/mos-decoder.js';
import { bestTimes, formatTable, machineLine, printJsonLine, round } from './common.js';
import { benchStep, threadsFromEnv } from './lm-step.js';

const RUNS: [string, number][] = [['zaremba-small', 0.33], ['zaremba-medium', 0.33], ['awd-lstm-mos-ptb', 0.45]];
const only = process.env.MODELS?.split(',');
const T = await setThreads(threadsFromEnv(await availableCores()));
console.log(machineLine());
const speedup: Record<string, number> = {};
const tps: Record<string, Record<string, number>> = {};
const rows: (string | number)[][] = [];
for (const [name, d] of RUNS.filter(([n]) => !only || only.includes(n))) {
  const lm = benchStep(name, d);
  const best = { 'token-major': Infinity, 'feature-major': Infinity };
  const iterations = name.startsWith('awd') ? 2 : 4;
  for (let r = 0; r < 2; r++) {
    for (const l of ['token-major', 'feature-major'] as const) {
      setDecoderLayoutForBench(l === 'token-major' ? 'token-major' : 'auto');
      const ms = (await bestTimes([{ name: l, fn: lm.step, iterations }], { rounds: 1, time: 0, warmupTime: 0 })).get(l)!;
      best[l] = Math.min(best[l], ms);
    }
  }
  setDecoderLayoutForBench('auto');
  const t = (ms: number) => Math.round(lm.tokens / (ms / 1000));
  speedup[name] = round(best['token-major'] / best['feature-major']);
  tps[name] = { 'token-major': t(best['token-major']), 'feature-major': t(best['feature-major']) };
  rows.push([`${name} d=${d}`, best['token-major'].toFixed(0), best['feature-major'].toFixed(0), t(best['token-major']), t(best['feature-major']), `${speedup[name]!.toFixed(2)}×`]);
  lm.dispose();
}
console.log(`\ntraining step, ${T} thread(s) (best ms, tokens/s)`);
console.log(formatTable(['model', 'token-major ms', 'feature-major ms', 'token-major tok/s', 'feature-major tok/s', 'speed-up'], rows));
await setThreads(1);
printJsonLine({ suite: 'decoder', threads: T, step_speedup: speedup, tokens_per_s: tps });
