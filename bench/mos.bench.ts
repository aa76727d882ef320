// The Mixture-of-Softmaxes head with a sparse decoder: feature-major (assembly/mos-fm.ts, the
// layout the sparse products give) against token-major (assembly/mos.ts, with the four
// [tokens·K × V] transposes per chunk it needs), on awd-lstm-mos-ptb's whole training step
// (bench/lm-step.ts) at the paper's density 0.45. Rounds alternate the two; fastest sample kept.
// Threads: every core by default, THREADS=n to choose.
//
// Run: npm run bench -- mos
// Last line: {"suite":"mos","threads":n,"step_ms":{"token-major":a,"feature-major":b},"speedup":a/b,"tokens_per_s":{...}}
import { availableCores, setThreads } from '../src/index.js';
import { setMosDecoderLayoutForBench } from '../src/ops/mos-decoder.js';
import { bestTimes, formatTable, machineLine, printJsonLine, round } from './common.js';
import { lmStep, threadsFromEnv } from './lm-step.js';

const T = await setThreads(threadsFromEnv(await availableCores()));
console.log(machineLine());
const lm = lmStep('awd-lstm-mos-ptb', 0.45);
const best = { 'token-major': Infinity, 'feature-major': Infinity };
for (let r = 0; r < 2; r++) {
  for (const l of ['token-major', 'feature-major'] as const) {
    setMosDecoderLayoutForBench(l === 'token-major' ? 'token-major' : 'auto');
    const ms = (await bestTimes([{ name: l, fn: lm.step, iterations: 2 }], { rounds: 1, time: 0, warmupTime: 0 })).get(l)!;
    best[l] = Math.min(best[l], ms);
  }
}
setMosDecoderLayoutForBench('auto');
const tps = (ms: number) => Math.round(lm.tokens / (ms / 1000));
console.log(`\nawd-lstm-mos-ptb d=0.45 training step, ${T} thread(s) (best ms)`);
console.log(formatTable(['MoS head', 'step ms', 'tokens/s'], (['token-major', 'feature-major'] as const).map((l) => [l, best[l].toFixed(0), tps(best[l])])));
lm.dispose();
await setThreads(1);
printJsonLine({
  suite: 'mos', threads: T, step_ms: { 'token-major': round(best['token-major'], 0), 'feature-major': round(best['feature-major'], 0) },
  speedup: round(best['token-major'] / best['feature-major']), tokens_per_s: { 'token-major': tps(best['token-major']), 'feature-major': tps(best['feature-major']) },
});
