// `selfish-rnn import FILE.safetensors`: a PyTorch state_dict (the official code's models, or our
// own export) → a checkpoint that eval, generate, info and the training page read.
/// <reference types="node" />
import { MAX_VOCAB } from '../models/index.js';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Args, Argv } from 'yargs';
import { readFileBytes, removeStaleTemporaries, writeFileAtomic } from '../io/atomic-file.js';
import { modelFamilies, modelFamily, modelNames } from '../models/index.js';
import { corpusFor } from '../train/checkpoint/files.js';
import { importSafetensors } from '../train/checkpoint/import.js';
import { bytes, grouped, int, str, UsageError } from './format.js';
import { dataSpec, type CliIO } from './train-command.js';

export function importBuilder(y: Argv): Argv {
  return y
    .positional('file', { type: 'string', describe: 'a PyTorch state_dict saved as .safetensors (see README: three lines of Python)' })
    .option('model', { type: 'string', choices: modelNames(), defaultDescription: `the file's metadata, else by architecture: ${modelFamilies().filter((f) => f.sizesFromStateDict).map((f) => Object.keys(f.presets)[0]).join(', ')}`, describe: 'named model configuration (dimensions come from the tensors)' })
    .option('data', { type: 'string', defaultDescription: "the file's metadata (our export), else the built-in corpus", describe: 'the corpus the model was trained on: its vocabulary numbers the embedding rows (PTB/WikiText: as the reference data.py builds it)' })
    .option('max-vocab', { type: 'number', describe: 'vocabulary cap of a text corpus (as in training)' })
    .option('out', { type: 'string', defaultDescription: 'FILE with .ckpt instead of .safetensors', describe: 'checkpoint to write' })
    .option('force', { type: 'boolean', default: false, describe: 'replace the output checkpoint if it exists (never replaced otherwise)' })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object' });
}

/** Runs `fn`; a selfish-rnn error (the file, its contents, the corpus) becomes a usage error with the same sentence. */
function asUsageError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('selfish-rnn: ')) throw new UsageError(e.message.slice('selfish-rnn: '.length));
    throw e;
  }
}

export async function importCommand(a: Args, io: CliIO): Promise<number> {
  const file = resolve(String(a.file));
  if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`no such file: ${file}`);
  const dataArg = str(a, 'data');
  const maxVocab = int(a, 'max-vocab', 3, MAX_VOCAB);
  const out = resolve(str(a, 'out') ?? file.replace(/\.safetensors$/i, '') + '.ckpt');
  if (out === file) throw new UsageError(`--out would overwrite the input ${file}`);
  const input = await readFileBytes(file).catch((e) => { throw asUsageError(() => { throw e; }); });
  // The default output sits next to the input: in a run directory that is the run's own last.ckpt.
  if (existsSync(out) && a.force !== true) {
    throw new UsageError(`${out} already exists${str(a, 'out') === undefined ? ' (the default output: FILE with .ckpt)' : ''}; give another --out, or --force to replace it`);
  }
  // Our own export carries its vocabulary; the official code's files need the corpus (default: the built-in one).
  const spec = dataArg !== undefined || maxVocab !== undefined ? dataSpec(dataArg, maxVocab) : undefined;
  // What is wrong with the input file or the corpus given for it is the user's to fix: exit 2.
  const r = asUsageError(() => importSafetensors(input, {
    model: str(a, 'model'), vocab: spec && corpusFor(spec).vocab, data: spec, source: file,
    fallbackVocab: () => corpusFor(dataSpec(undefined, undefined)).vocab,
  }));
  const stale = removeStaleTemporaries(out);
  await writeFileAtomic(out, r.checkpoint);
  const c = r.meta.config;
  if (a.json) {
    io.stdout.write(JSON.stringify({ file, out, model: c.model, kind: c.lm.kind, vocab: c.lm.vocab, density: r.density, weights: r.weights, renamed: r.renamed, ignored: r.ignored }) + '\n');
    return 0;
  }
  const sparse = r.weights.filter((w) => w.topology !== 'dense');
  const lines = [
    `imported ${file}`,
    `  model ${c.model} (${modelFamily(c.lm.kind).describe(c.lm)}), vocabulary ${grouped(c.lm.vocab)}`,
    `  ${sparse.length} of ${r.weights.length} weights stored as CSR (${sparse.some((w) => w.topology === 'mask') ? 'topology from .mask tensors' : 'topology from their zeros'}${sparse.length ? '' : ': none has a zero'}), density ${r.density.toFixed(4)} over the maskable weights`,
    ...(r.renamed.length ? [`  renamed ${r.renamed.length} tensors (${r.renamed.slice(0, 2).map(([f, t]) => `${f} → ${t}`).join(', ')}${r.renamed.length > 2 ? ', …' : ''})`] : []),
    ...(r.ignored.length ? [`  ignored ${r.ignored.join(', ')}`] : []),
    ...(stale.length ? [`  removed ${stale.length} temporary file(s) an interrupted import left: ${stale.join(', ')}`] : []),
    `wrote ${out} (${bytes(r.checkpoint.length)}); try: selfish-rnn eval ${out}`,
  ];
  io.stdout.write(lines.join('\n') + '\n');
  return 0;
}
