// How often gradient clipping is active in the paper's configurations, with the dense norm (the
// official semantics) and with the norm over the existing weights only: a short run of each recipe
// (`--model NAME`, its own data set), every step's pre-clip norms recorded, no evaluation.
//
// Run (after npm run build): node bench/clip-activity.mjs [STEPS] [NAME...]
//   default: 20 steps of selfish-lstm, awd-lstm-mos-ptb (sparse 0.33), awd-lstm-mos-wt2 (sparse 0.45), lstm-small, lstm-medium
// Prints a Markdown table and, last, one JSON line {"suite":"clip-activity",...}.
import { engineSparsity, memoryStore, resolveTrainConfig, Trainer } from '../dist/index.js';
import { loadWordCorpus } from '../dist/node.js';

const args = process.argv.slice(2);
const STEPS = Number(args.find((a) => /^\d+$/.test(a)) ?? 20);
const RUNS = {
  'selfish-lstm': { data: 'ptb', opts: {} },
  'awd-lstm-mos-ptb': { data: 'ptb', opts: { method: 'selfish', density: 0.33 } },
  'awd-lstm-mos-wt2': { data: 'wikitext-2', opts: { method: 'selfish', density: 0.45 } },
  'lstm-small': { data: 'ptb', opts: { method: 'selfish', density: 0.33 } },
  'lstm-medium': { data: 'ptb', opts: { method: 'selfish', density: 0.33 } },
};
const names = args.filter((a) => !/^\d+$/.test(a));
const out = {};
const rows = [];
for (const name of names.length > 0 ? names : Object.keys(RUNS)) {
  const { data, opts } = RUNS[name];
  const corpus = loadWordCorpus(`../shared/data/${data}`);
  const config = resolveTrainConfig({ model: name, data: { source: 'word', path: `../shared/data/${data}` }, ...opts }, corpus.vocab.size);
  const steps = [];
  let trainer;
  trainer = await Trainer.create({
    config, corpus, store: memoryStore(), sparsity: engineSparsity, logInterval: 1,
    events: { onLog: (e) => { if (e.event === 'step') { steps.push(e); if (steps.length >= STEPS) trainer.requestStop('clip-activity done'); } } },
  });
  const t0 = performance.now();
  try { await trainer.run(); } finally { trainer.dispose(); }
  const clip = config.clip;
  const frac = (key) => steps.filter((s) => s[key] > clip).length / steps.length;
  const mean = (key) => steps.reduce((a, s) => a + s[key], 0) / steps.length;
  const ratio = steps.reduce((a, s) => a + s.gradNorm / s.activeGradNorm, 0) / steps.length;
  out[name] = { steps: steps.length, clip, clipped_dense: frac('gradNorm'), clipped_active: frac('activeGradNorm'), mean_dense_norm: mean('gradNorm'), mean_active_norm: mean('activeGradNorm'), mean_ratio: ratio, seconds: (performance.now() - t0) / 1000 };
  rows.push(`| ${name} | ${config.method} ${config.density} | ${steps.length} | ${clip} | ${(frac('gradNorm') * 100).toFixed(0)}% | ${(frac('activeGradNorm') * 100).toFixed(0)}% | ${mean('gradNorm').toFixed(3)} | ${mean('activeGradNorm').toFixed(3)} | ${ratio.toFixed(3)} |`);
  console.error(rows.at(-1));
}
console.log('| model | method, density | steps | clip | clipped (dense norm) | clipped (active norm) | mean dense norm | mean active norm | mean dense/active |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
console.log(JSON.stringify({ suite: 'clip-activity', steps: STEPS, runs: out }));
