// The AWD-LSTM-MoS recipe on WikiText-2 (zihangdai/mos README), trained sparse with Selfish-RNN at
// density 0.45 (sparsity 0.55), as the paper's WikiText-2 result (65.96 valid / 63.05 test,
// without finetuning; the paper's exact sparse hyper-parameters were not published, so the MoS
// ones are used with death rate 0.5):
//   3 LSTMs 300 → 1150 → 650, 15 experts, tied; dropout 0.4, dropouth 0.2, dropouti 0.55,
//   dropoute 0.1, dropoutl 0.29, wdrop 0.5; AR 2, TAR 1; SGD lr 15 → SNT-ASGD (nonmono 5),
//   clip 0.25, wd 1.2e-6, batch 15, random bptt 70 (max delta 20), 1000 epochs, seed 1882;
//   validation batch 10, test batch 1.
// `--small` keeps the recipe and shrinks the model (3 LSTMs 64 → 128 → 64, 4 experts) and the run
// (6 epochs, nonmono 2). Finetuning (AWD's finetune.py) is `selfish-rnn train --finetune <best.ckpt>`.
//
//   node examples/wt2-awd-lstm-mos.mjs [--small] [--data data/wikitext-2] [--save DIR] [--max-steps N [--test]] [--epochs N]
//   node_modules/.bin/deno run --allow-read --allow-write --allow-env examples/wt2-awd-lstm-mos.mjs --small
// Data: a directory with wiki.train.tokens, wiki.valid.tokens, wiki.test.tokens (see README.md, "Data").
import { resolveTrainConfig, Trainer } from 'selfish-rnn';
import { directoryStore, loadWordCorpus } from 'selfish-rnn/node';

const args = globalThis.Deno?.args ?? process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const value = (name, fallback) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const small = flag('small');

const official = {
  model: 'awd-lstm-mos-wt2',
  lm: { emsize: 300, nhid: 1150, nhidlast: 650, nlayers: 3, nExperts: 15, dropout: 0.4, dropouth: 0.2, dropouti: 0.55, dropoute: 0.1, dropoutl: 0.29, wdrop: 0.5, alpha: 2, beta: 1 },
  method: 'selfish', density: 0.45, deathRate: 0.5, optimizer: 'sgd', lr: 15, clip: 0.25, wdecay: 1.2e-6, nonmono: 5, epochs: 1000,
  batchSize: 15, bptt: 70, randomBptt: true, maxSeqLenDelta: 20, evalBatchSize: 10, testBatchSize: 1, seed: 1882,
};
const shrunk = { ...official, lm: { ...official.lm, emsize: 64, nhid: 128, nhidlast: 64, nExperts: 4 }, bptt: 35, maxSeqLenDelta: 10, nonmono: 2, epochs: 6, testBatchSize: 10 };
const recipe = small ? shrunk : official;
if (value('epochs')) recipe.epochs = Number(value('epochs'));

const dataDir = value('data', 'data/wikitext-2');
const corpus = loadWordCorpus(dataDir);
recipe.data = { source: 'word', path: dataDir };
const config = resolveTrainConfig(recipe, corpus.vocab.size);
const save = value('save', `runs/wt2-awd-lstm-mos${small ? '-small' : ''}`);
const maxSteps = value('max-steps') ? Number(value('max-steps')) : undefined;
// A run stopped by --max-steps skips the test pass unless --test asks for it (a completed run always has it).
const test = flag('test') || undefined;

console.log(`WikiText-2: ${corpus.train.length} / ${corpus.valid.length} / ${corpus.test.length} tokens, vocabulary ${corpus.vocab.size}`);
console.log(`${small ? 'small' : 'official'} recipe: AWD-LSTM-MoS ${config.lm.emsize}→${config.lm.nhid}→${config.lm.nhidlast}, ${config.lm.nExperts} experts, density ${config.density}, ${config.epochs} epochs; run directory ${save}`);
const trainer = await Trainer.create({
  config, corpus, store: directoryStore(save), maxSteps, test, logInterval: 100,
  events: {
    onLog: (e) => { if (e.event === 'step') console.log(`  epoch ${e.epoch} step ${e.step}: loss ${e.loss.toFixed(3)}, ppl ${e.ppl.toFixed(1)}, ${Math.round(e.tokensPerSecond)} tokens/s`); },
    onEpoch: (r) => console.log(`epoch ${r.epoch}: valid ppl ${r.valPpl.toFixed(2)}${r.best ? ' (best)' : ''}, density ${r.density.toFixed(3)}, ${r.switched ? 'switched to SNT-ASGD' : r.phase}`),
  },
});
if (typeof process !== 'undefined') process.on('SIGINT', () => trainer.requestStop('SIGINT'));
const result = await trainer.run();
trainer.dispose();
if (result.status === 'interrupted') console.log(`interrupted; checkpoint ${result.files.last}`);
else console.log(`done (${result.status}): valid ppl ${result.valPpl.toFixed(2)}, ${result.testPpl !== null ? `test ppl ${result.testPpl.toFixed(2)}` : 'test split not evaluated (--test evaluates it)'} (paper: 65.96 / 63.05); best model ${result.files.best ?? result.files.last}`);
if (typeof process !== 'undefined') process.exit(result.status === 'interrupted' ? 130 : 0);
