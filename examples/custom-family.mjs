// Your own model family, outside the library: a language model on a minimal gated unit (MGU,
// Zhou et al. 2016), written with public ops only, declared once with defineModelFamily. The same
// file is
//   - a CLI plugin: selfish-rnn train --plugin examples/custom-family.mjs --model mgu-small …
//     (and eval, generate, info, export, import, bench, models with the same --plugin);
//   - a library example: node examples/custom-family.mjs [--steps 60]
//     (or node_modules/.bin/deno run --allow-read --allow-env examples/custom-family.mjs).
//
// The cell, per time step (one layer; x: [B, E], h: [B, H]):
//   f  = σ(W_f x + U_f h + b_f)            the one gate
//   h̃  = tanh(W_h x + U_h (f ⊙ h) + b_h)
//   h' = (1 − f) ⊙ h + f ⊙ h̃
// Every weight matrix is a Linear, so the sparse engine stores it as CSR and every sparse method
// applies; the gate layout tells per-gate statistics which matrix belongs to which gate.
//
// The plugin contract: the default export is a function that receives the library and returns the
// family, so the file imports nothing and works wherever the library is (the CLI, Node, Deno, and
// the browser page's worker, which loads it from a URL).
export default function mguFamily(lib) {
  const {
    add, concat, defineModelFamily, Embedding, expectState, field, gateBlocks, Linear, Module, ModuleList, mul, reshape, sigmoid, slice, sub, tanh,
    zeros, checkForwardArgs, checkModelConfig, logSoftmax, dropout, ones,
  } = lib;

  /** One MGU layer: the four matrices and their biases. */
  class MGULayer extends Module {
    constructor(input, hidden, rng) {
      super();
      this.hidden = hidden;
      this.Wf = this.registerModule('Wf', new Linear(input, hidden, { rng }));
      this.Uf = this.registerModule('Uf', new Linear(hidden, hidden, { bias: false, rng }));
      this.Wh = this.registerModule('Wh', new Linear(input, hidden, { rng }));
      this.Uh = this.registerModule('Uh', new Linear(hidden, hidden, { bias: false, rng }));
    }

    /** x: [T, B, I], h: [B, H] → outputs [T, B, H] and the last h. */
    forward(x, h) {
      const [T, B] = x.shape;
      const one = ones([B, this.hidden]);
      const outs = [];
      for (let t = 0; t < T; t++) {
        const xt = reshape(slice(x, 0, t, t + 1), [B, x.shape[2]]);
        const f = sigmoid(add(this.Wf.forward(xt), this.Uf.forward(h)));
        const cand = tanh(add(this.Wh.forward(xt), this.Uh.forward(mul(f, h))));
        h = add(mul(sub(one, f), h), mul(f, cand));
        outs.push(reshape(h, [1, B, this.hidden]));
      }
      return { out: concat(outs, 0), h };
    }
  }

  /** Embedding → nlayers MGU layers (dropout between) → Linear decoder. */
  class MGULanguageModel extends Module {
    constructor(config, rng) {
      super();
      checkModelConfig(config);
      this.config = config;
      this.rng = rng;
      const c = config;
      this.encoder = this.registerModule('encoder', new Embedding(c.vocab, c.emsize, { initRange: 0.1, rng }));
      this.layers = this.registerModule('layers', new ModuleList(Array.from({ length: c.nlayers }, (_, l) => new MGULayer(l === 0 ? c.emsize : c.nhid, c.nhid, rng))));
      this.decoder = this.registerModule('decoder', new Linear(c.nhid, c.vocab, { rng }));
    }

    hidden(input, state) {
      const [T, B] = checkForwardArgs(input, state, this.config.nlayers);
      const p = this.config.dropout, opts = { training: this.training, rng: this.rng };
      let x = dropout(this.encoder.forward(input), p, opts);
      const next = [];
      this.layers.items.forEach((layer, l) => {
        const h0 = state ? expectState(state[l], ['h'], 'mgu').h : zeros([B, this.config.nhid]);
        const r = layer.forward(x, h0);
        next.push({ h: r.h.detach() }); // the carried state starts the next batch's graph afresh (truncated BPTT)
        x = dropout(r.out, p, opts);
      });
      return { h: reshape(x, [T * B, this.config.nhid]), state: next };
    }

    forward(input, target, state) {
      const { h, state: next } = this.hidden(input, state);
      const nll = this.decoder.crossEntropy(h, target);
      return { loss: nll, nll, state: next };
    }

    logProbs(input, state) {
      const { h, state: next } = this.hidden(input, state);
      return { logProbs: logSoftmax(this.decoder.forward(h)), state: next };
    }

    initState(batchSize) {
      return Array.from({ length: this.config.nlayers }, () => ({ h: zeros([batchSize, this.config.nhid], { persistent: true }) }));
    }

    /** W_f and U_f are the gate f, W_h and U_h the candidate h; other weights have no gates. */
    gateLayout(name, rows) {
      const m = /^layers\.\d+\.(W|U)(f|h)\.weight$/.exec(name);
      return m ? gateBlocks([[m[2] === 'f' ? 'f' : 'h', rows]]) : null;
    }
  }

  const mguFields = {
    emsize: field.int({ min: 1, max: 4096, default: 64, help: 'embedding size' }),
    nhid: field.int({ min: 1, max: 4096, default: 64, help: 'hidden units per MGU layer' }),
    nlayers: field.int({ min: 1, max: 8, default: 1, help: 'MGU layers' }),
    dropout: field.number({ min: 0, max: 1, openMax: true, default: 0, help: 'dropout on the embeddings, between layers and on the output' }),
  };

  /** The family: fields, named configurations with their recipes, and what the library needs to know. */
  return defineModelFamily({
    name: 'mgu',
    title: 'MGU',
    fields: mguFields,
    recipe: { batchSize: 20, bptt: 20, evalBatchSize: 10, testBatchSize: 10, optimizer: 'sgd', lr: 5, clip: 0.25, nonmono: 5 },
    presets: {
      'mgu-small': { config: { emsize: 64, nhid: 64, nlayers: 1 }, source: 'an example family (examples/custom-family.mjs)' },
      'mgu-two': { config: { emsize: 64, nhid: 64, nlayers: 2, dropout: 0.2 }, source: 'the same, two layers with dropout' },
    },
    create: (config, rng) => new MGULanguageModel(config, rng),
    stateNames: ['h'],
    describe: (c) => `MGU, ${c.nlayers} layer${c.nlayers > 1 ? 's' : ''} × ${c.nhid}, emsize ${c.emsize}`,
    sizesFromStateDict: (shapes) => {
      const enc = shapes.get('encoder.weight'), wf = shapes.get('layers.0.Wf.weight');
      if (!enc || !wf) return null;
      let nlayers = 0;
      while (shapes.has(`layers.${nlayers}.Wf.weight`)) nlayers++;
      return { vocab: enc[0], emsize: enc[1], nhid: wf[0], nlayers };
    },
    weightShapes: (c) => [
      { name: 'encoder.weight', rows: c.vocab, cols: c.emsize, role: 'embedding' },
      { name: 'layers.0.W{f,h}.weight', rows: c.nhid, cols: c.emsize, count: 2, role: 'recurrent' },
      { name: 'layers.{l}.W{f,h}.weight', rows: c.nhid, cols: c.nhid, count: 2 * (c.nlayers - 1), role: 'recurrent' },
      { name: 'layers.{l}.U{f,h}.weight', rows: c.nhid, cols: c.nhid, count: 2 * c.nlayers, role: 'recurrent' },
      { name: 'decoder.weight', rows: c.vocab, cols: c.nhid, role: 'output' },
    ],
  });
}

// Run directly: register the family and train it sparse with Selfish-RNN for a few steps, through
// the same Trainer the built-in models use.
// (Only under Deno or Node, and only when this file is the program: not as a plugin, not in a page.)
const isMain = globalThis.Deno
  ? import.meta.main
  : globalThis.process?.argv !== undefined && import.meta.url.startsWith('file:')
    && (await import('node:url')).fileURLToPath(import.meta.url) === (await import('node:path')).resolve(globalThis.process.argv[1] ?? '');
if (isMain) {
  const lib = await import('selfish-rnn');
  const { defaultCorpus, memoryStore, registerModelFamily, resolveTrainConfig, Trainer, sample, formatSample, modelGateStats } = lib;
  const args = globalThis.Deno?.args ?? process.argv.slice(2);
  const steps = Number(args[args.indexOf('--steps') + 1] ?? 60) || 60;
  registerModelFamily(mguFamily(lib));
  const corpus = await defaultCorpus({ maxVocab: 1000 });
  const config = resolveTrainConfig({ model: 'mgu-small', method: 'selfish', density: 0.33, epochs: 1, seed: 1, updateEvery: 20 }, corpus.vocab.size);
  const trainer = await Trainer.create({
    config, corpus, store: memoryStore(), maxSteps: steps,
    events: { onStep: (s) => { if (s.step % 20 === 0) console.log(`step ${s.step}: loss ${s.nll.toFixed(3)}`); } },
  });
  const result = await trainer.run();
  const gates = modelGateStats(trainer.model);
  console.log(`${result.status} after ${result.steps} steps; per-gate densities: ${gates.map((g) => `${g.name} ${g.gates.map((n, i) => `${n}=${g.density[i].toFixed(2)}`).join(' ')}`).join('; ')}`);
  console.log(`sample: ${formatSample(sample(trainer.model, corpus.vocab, { words: 12, seed: 1 }))}`);
  trainer.dispose();
}
