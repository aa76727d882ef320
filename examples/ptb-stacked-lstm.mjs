// The Selfish-RNN paper's stacked-LSTM recipe on Penn Treebank, with the official hyper-parameters
// (README of github.com/Shiweiliuiiiiiii/Selfish-RNN):
//   2-layer LSTM 1500/1500, dropout 0.65, untied; density 0.33 (sparsity 0.67), uniform sparse
//   init, magnitude death + random growth, no redistribution, death rate 0.8 (cosine to 0.005);
//   SGD lr 40 → SNT-ASGD (nonmono 5), clip 0.25, wd 1.2e-6, batch 20, bptt 35, 100 epochs, seed 1111.
// The paper reports 73.79 valid / 71.65 test perplexity (a GPU run: 100 epochs of a 66M-weight
// model are days of CPU time). `--small` keeps the recipe and shrinks the model (2×200) and the
// run (8 epochs, lr 20, nonmono 2) so it finishes on a laptop CPU.
//
//   node examples/ptb-stacked-lstm.mjs [--small] [--data data/ptb] [--save DIR] [--max-steps N [--test]] [--epochs N]
//   node_modules/.bin/deno run --allow-read --allow-write --allow-env examples/ptb-stacked-lstm.mjs --small
// Data: a directory with PTB's train.txt, valid.txt, test.txt (see README.md, "Data").
// Ctrl-C stops with a checkpoint; continue with: selfish-rnn train --resume <save dir>.
import { resolveTrainConfig, Trainer } from 'selfish-rnn';
import { directoryStore, loadWordCorpus } from 'selfish-rnn/node';

const args = globalThis.Deno?.args ?? process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const value = (name, fallback) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const small = flag('small');

const official = {
  model: 'selfish-lstm', lm: { emsize: 1500, nhid: 1500, nlayers: 2, dropout: 0.65 },
  method: 'selfish', density: 0.33, sparseInit: 'uniform', death: 'magnitude', growth: 'random', redistribution: 'none', deathRate: 0.8,
  optimizer: 'sgd', lr: 40, clip: 0.25, wdecay: 1.2e-6, nonmono: 5, epochs: 100, batchSize: 20, bptt: 35, seed: 1111,
};
const shrunk = { ...official, model: 'lstm-small', lm: { emsize: 200, nhid: 200, nlayers: 2, dropout: 0.2 }, lr: 20, nonmono: 2, epochs: 8 };
const recipe = small ? shrunk : official;
if (value('epochs')) recipe.epochs = Number(value('epochs'));

const dataDir = value('data', 'data/ptb');
const corpus = loadWordCorpus(dataDir); // throws a clear message when the files are missing
recipe.data = { source: 'word', path: dataDir };
const config = resolveTrainConfig(recipe, corpus.vocab.size);
const save = value('save', `runs/ptb-stacked-lstm${small ? '-small' : ''}`);
const maxSteps = value('max-steps') ? Number(value('max-steps')) : undefined;
// A run stopped by --max-steps skips the test pass unless --test asks for it (a completed run always has it).
const test = flag('test') || undefined;

console.log(`PTB: ${corpus.train.length} / ${corpus.valid.length} / ${corpus.test.length} tokens, vocabulary ${corpus.vocab.size}`);
console.log(`${small ? 'small' : 'official'} recipe: ${config.lm.nlayers}×${config.lm.nhid} LSTM at density ${config.density}, ${config.epochs} epochs; run directory ${save}`);
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
else console.log(`done (${result.status}): valid ppl ${result.valPpl.toFixed(2)}, ${result.testPpl !== null ? `test ppl ${result.testPpl.toFixed(2)}` : 'test split not evaluated (--test evaluates it)'} (paper: 73.79 / 71.65); best model ${result.files.best ?? result.files.last}`);
if (typeof process !== 'undefined') process.exit(result.status === 'interrupted' ? 130 : 0);
