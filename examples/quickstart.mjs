// Quickstart: a sparse LSTM language model with Selfish-RNN, trained for a few steps on the
// built-in corpus (Moby-Dick, shipped inside the package), then sampled. Runs unchanged in Node
// and Deno, in this repository (after `npm install`, which builds dist/) or copied into any project
// that has selfish-rnn installed (README.md, "Using the package"):
//   node examples/quickstart.mjs [--steps 200]
//   node_modules/.bin/deno run --allow-read --allow-env examples/quickstart.mjs [--steps 200]
import { defaultCorpus, formatSample, memoryStore, resolveTrainConfig, sample, Trainer, weightSummaries } from 'selfish-rnn';

const args = globalThis.Deno?.args ?? process.argv.slice(2);
const steps = Number(args[args.indexOf('--steps') + 1] ?? 200) || 200;

// 1. Data: token ids for train/valid/test and the vocabulary (the 2,000 most frequent words) of
//    the built-in corpus, which ships inside the package (the same call works in a browser).
const corpus = await defaultCorpus({ maxVocab: 2000 });

// 2. A run configuration: a 2-layer LSTM (64 units) where every weight matrix keeps 33% of its
//    weights (CSR), trained with Selfish-RNN (magnitude pruning + random regrowth each epoch) and
//    SGD → SNT-ASGD. Everything not given takes the recipe's default (clip 0.25, wd 1.2e-6, ...).
const config = resolveTrainConfig({
  model: 'lstm-small', lm: { emsize: 64, nhid: 64 }, method: 'selfish', density: 0.33, epochs: 1, seed: 1,
}, corpus.vocab.size);

// 3. Train. The trainer builds the model and the sparse engine; a run store (here: memory) keeps
//    checkpoints. `maxSteps` stops early, with a resumable checkpoint; such a run ends with a
//    validation pass only (`test: true` adds the test split, which a completed run always gets).
const trainer = await Trainer.create({
  config, corpus, store: memoryStore(), maxSteps: steps,
  events: { onStep: (s) => { if (s.step % Math.max(1, Math.floor(steps / 5)) === 0) console.log(`step ${s.step}: loss ${s.nll.toFixed(3)}, ppl ${s.ppl.toFixed(1)}`); } },
});
const sparse = weightSummaries(trainer.model).filter((w) => w.sparse);
console.log(`${sparse.length} sparse weight matrices, e.g. ${sparse[1].name} ${sparse[1].shape.join('×')} keeps ${sparse[1].nnz} weights (${(100 * sparse[1].density).toFixed(1)}%)`);
const result = await trainer.run();
console.log(`after ${result.steps} steps: validation ppl ${result.valPpl.toFixed(1)}${result.testPpl !== null ? `, test ppl ${result.testPpl.toFixed(1)}` : ''}`);

// 4. Sample 25 words from the model.
console.log(`sample: ${formatSample(sample(trainer.model, corpus.vocab, { words: 25, seed: 1 })).replace(/\n/g, ' / ')}`);
trainer.dispose();
