// Sampling text from a language model (pytorch/examples generate.py): feed one token at a time
// through the model's stepper (src/models/stepper.ts: the state carried inside, no tape), draw the
// next word from softmax(log p / temperature).
import type { Vocabulary } from '../data/vocab.js';
import { EOS } from '../data/tokenize.js';
import { createStepper, type LanguageModel } from '../models/index.js';
import { Random } from '../random.js';

export interface GenerateOptions {
  /** Number of words to draw. */
  words: number;
  /** Softmax temperature (> 0): lower is more conservative. Default 1. */
  temperature?: number;
  /** Generator of the draws (default: a Random seeded with `seed`, default 0). */
  rng?: Random;
  seed?: number;
  /** Text to condition on (words split on whitespace; unknown words map to <unk>). Default: <eos>. */
  prompt?: string;
}

/** Draws `words` words; returns them as a list (`<eos>` included as a word). */
export function sample(model: LanguageModel, vocab: Vocabulary, opts: GenerateOptions): string[] {
  const temperature = opts.temperature ?? 1;
  if (!(temperature > 0 && Number.isFinite(temperature))) throw new RangeError(`selfish-rnn: temperature must be a finite number > 0, got ${temperature}`);
  if (!(Number.isInteger(opts.words) && opts.words >= 0)) throw new RangeError(`selfish-rnn: words must be an integer ≥ 0, got ${opts.words}`);
  const rng = opts.rng ?? new Random(opts.seed ?? 0);
  const promptWords = (opts.prompt ?? '').split(/\s+/).filter((w) => w !== '');
  const start = promptWords.length > 0 ? Array.from(vocab.encode(promptWords)) : [vocab.has(EOS) ? vocab.id(EOS) : rng.int(vocab.size)];
  const stepper = createStepper(model, { batch: 1 });
  const out: string[] = [];
  const weights = new Float64Array(stepper.vocab);
  try {
    let logp: Float32Array = new Float32Array(0);
    for (const id of start) logp = stepper.step([id]);
    for (let k = 0; k < opts.words; k++) {
      const next = draw(logp, temperature, rng, weights);
      out.push(vocab.word(next));
      if (k + 1 < opts.words) logp = stepper.step([next]);
    }
  } finally {
    stepper.dispose();
  }
  return out;
}

/** Words joined by spaces, with a line break for every <eos>. */
export function formatSample(words: readonly string[]): string {
  return words.map((w) => (w === EOS ? '\n' : w)).join(' ').replace(/ ?\n ?/g, '\n').trim();
}

/** One index drawn from softmax(logp / T), by inverse CDF with one uniform (w: scratch of logp's length). */
function draw(logp: Float32Array, T: number, rng: Random, w: Float64Array): number {
  let m = -Infinity;
  for (let i = 0; i < logp.length; i++) if (logp[i]! > m) m = logp[i]!;
  let sum = 0;
  for (let i = 0; i < logp.length; i++) sum += w[i] = Math.exp((logp[i]! - m) / T);
  let u = rng.uniform() * sum;
  for (let i = 0; i < w.length; i++) {
    u -= w[i]!;
    if (u < 0) return i;
  }
  return w.length - 1;
}
