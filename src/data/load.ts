// Corpus loaders that read files. Node.js and Deno only: exported from 'selfish-rnn/node', not
// from the browser-safe main entry. They read text and hand it to the string-based builders.
import { buildTextCorpus, buildWordCorpus, SPLITS, type Corpus, type Split, type TextCorpus, type TextCorpusOptions } from './corpus.js';
import { base64Bytes, DEFAULT_CORPUS_OPTIONS, parseCorpusDocuments } from './builtin.js';
import { listTextFiles, pathKind, readText, readTextChunks, totalBytes } from './fs.js';
import { encodeWordLevel, UNK } from './tokenize.js';
import { Vocabulary } from './vocab.js';
import { buildTextCorpusFromPieces } from './text-corpus-stream.js';
import { DEFAULT_CORPUS_DOCUMENTS, DEFAULT_CORPUS_GZIP_BASE64 } from '../generated/default-corpus.js';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** File names of the two word-level layouts, checked in this order. */
export const WORD_CORPUS_LAYOUTS = [
  { name: 'Penn Treebank / pytorch-examples layout', files: { train: 'train.txt', valid: 'valid.txt', test: 'test.txt' } },
  { name: 'WikiText layout', files: { train: 'wiki.train.tokens', valid: 'wiki.valid.tokens', test: 'wiki.test.tokens' } },
] as const;

/** How the corpus loaders read large files (both only change memory use, never the corpus). */
export interface WordCorpusReadOptions {
  /** Corpora larger than this (bytes, all files) are read in pieces. Default 64 MiB. */
  streamAboveBytes?: number;
  /** Bytes per piece when streaming. Default 16 MiB. */
  chunkBytes?: number;
}

export interface WordCorpus extends Corpus {
  /** The three files read, by split. */
  files: Record<Split, string>;
}

/**
 * Loads a word-level benchmark corpus from a directory holding either `train.txt`, `valid.txt`,
 * `test.txt` (Penn Treebank, and pytorch/examples' copy of WikiText-2) or `wiki.train.tokens`,
 * `wiki.valid.tokens`, `wiki.test.tokens` (WikiText-2/103 as released). Tokens and ids are those
 * of awd-lstm-lm `data.py` (see `buildWordCorpus`). Node.js/Deno only.
 */
export function loadWordCorpus(dir: string, opts: WordCorpusReadOptions = {}): WordCorpus {
  const kind = pathKind(dir);
  if (kind === 'missing') throw new Error(`selfish-rnn: corpus directory not found: ${resolve(dir)}`);
  if (kind !== 'directory') throw new Error(`selfish-rnn: corpus path is not a directory: ${resolve(dir)}`);
  const expected = WORD_CORPUS_LAYOUTS.map((l) => `${Object.values(l.files).join(', ')} (${l.name})`).join(' or ');
  const layout = WORD_CORPUS_LAYOUTS.find((l) => Object.values(l.files).some((f) => pathKind(join(dir, f)) !== 'missing'));
  if (!layout) throw new Error(`selfish-rnn: no corpus files in ${resolve(dir)}: expected ${expected}`);
  const files = {} as Record<Split, string>;
  for (const split of SPLITS) {
    files[split] = join(dir, layout.files[split]);
    const kind = pathKind(files[split]);
    if (kind !== 'file') {
      const what = kind === 'missing' ? `has no ${layout.files[split]}` : `has a ${kind === 'directory' ? 'directory' : 'special file'} named ${layout.files[split]}, not a text file`;
      throw new Error(`selfish-rnn: ${resolve(dir)} ${what} (the ${layout.name} needs the files ${Object.values(layout.files).join(', ')})`);
    }
  }
  // Small files go through buildWordCorpus; large ones (WikiText-103 is 540 MB) are encoded as
  // they are read, piece by piece at line breaks, which gives the same ids (see encodeWordLevel).
  if (totalBytes(Object.values(files)) <= (opts.streamAboveBytes ?? WORD_CORPUS_IN_MEMORY_BYTES)) {
    const texts = {} as Record<Split, string>;
    for (const split of SPLITS) {
      texts[split] = readText(files[split]);
      if (texts[split].length === 0) throw new Error(`selfish-rnn: corpus file is empty: ${resolve(files[split])}`);
    }
    return { ...naming(resolve(dir), () => buildWordCorpus(texts, files)), files };
  }
  const vocab = new Vocabulary();
  const ids = {} as Record<Split, Int32Array>;
  for (const split of SPLITS) {
    const parts: Int32Array[] = [];
    for (const chunk of readTextChunks(files[split], opts.chunkBytes)) parts.push(encodeWordLevel(chunk, vocab));
    let n = 0;
    for (const p of parts) n += p.length;
    if (n === 0) throw new Error(`selfish-rnn: corpus file is empty: ${resolve(files[split])}`);
    ids[split] = new Int32Array(n);
    n = 0;
    for (const p of parts) { ids[split].set(p, n); n += p.length; }
  }
  if (vocab.has(UNK)) vocab.setUnk(UNK);
  return { vocab, ...ids, files };
}

/** Word-level corpora up to this size are read as whole strings; larger ones as a stream. */
const WORD_CORPUS_IN_MEMORY_BYTES = 64 * 2 ** 20;

/**
 * Text corpora up to this size are tokenised in memory (every token a string: a 127 MB text took
 * 2.5 GB); larger ones (one <eos> per line) are built from the file read in pieces, three times,
 * by buildTextCorpusFromPieces, which gives the same corpus.
 */
export const TEXT_CORPUS_IN_MEMORY_BYTES = 64 * 2 ** 20;

/** A text corpus from files, in memory or in pieces (see TEXT_CORPUS_IN_MEMORY_BYTES). */
function textCorpusFromFiles(paths: readonly string[], opts: TextCorpusOptions & WordCorpusReadOptions): TextCorpus {
  const { streamAboveBytes, chunkBytes, ...corpusOpts } = opts;
  const large = totalBytes(paths) > (streamAboveBytes ?? TEXT_CORPUS_IN_MEMORY_BYTES);
  if (!large || (corpusOpts.eosPer ?? 'line') !== 'line') return buildTextCorpus(paths.map(readText), corpusOpts);
  return buildTextCorpusFromPieces(function* () { for (const p of paths) yield* readTextChunks(p, chunkBytes); }, corpusOpts);
}

/**
 * A corpus from any plain text: `source` is a path to a text file, or to a directory whose `.txt`
 * files are read in natural name order (not recursively), or `{ text }` for text already in memory.
 * See `buildTextCorpus` for tokenisation, splits and vocabulary. Paths: Node.js/Deno only.
 */
export function loadTextCorpus(source: string | { text: string | readonly string[] }, opts: TextCorpusOptions & WordCorpusReadOptions = {}): TextCorpus {
  if (typeof source === 'object' && source !== null) {
    const { streamAboveBytes: _s, chunkBytes: _c, ...corpusOpts } = opts;
    return buildTextCorpus(source.text, corpusOpts);
  }
  if (typeof source !== 'string') throw new TypeError('selfish-rnn: loadTextCorpus needs a path or { text }');
  const kind = pathKind(source);
  if (kind === 'missing') throw new Error(`selfish-rnn: text corpus not found: ${resolve(source)}`);
  if (kind === 'file') return naming(resolve(source), () => textCorpusFromFiles([source], opts));
  if (kind !== 'directory') throw new Error(`selfish-rnn: text corpus is neither a file nor a directory: ${resolve(source)}`);
  const files = listTextFiles(source);
  if (files.length === 0) throw new Error(`selfish-rnn: no .txt files in ${resolve(source)}`);
  return naming(resolve(source), () => textCorpusFromFiles(files, opts));
}

/** Runs a corpus builder; its refusals (too little text, …) name the corpus path, as file errors do. */
function naming<T>(path: string, build: () => T): T {
  try {
    return build();
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('selfish-rnn: ') && !e.message.includes(path)) {
      e.message = `selfish-rnn: corpus ${path}: ${e.message.slice('selfish-rnn: '.length)}`;
    }
    throw e;
  }
}

/**
 * The built-in corpus's documents (see `defaultCorpusDocuments`), decompressed synchronously with
 * node:zlib from the same embedded bytes. Node.js/Deno only.
 */
export function defaultCorpusDocumentsSync(): string[] {
  const text = gunzipSync(base64Bytes(DEFAULT_CORPUS_GZIP_BASE64)).toString('utf8');
  return parseCorpusDocuments(text, DEFAULT_CORPUS_DOCUMENTS);
}

/**
 * The built-in corpus: *Moby-Dick* through `buildTextCorpus`, one `<eos>` per paragraph (each
 * paragraph is one line in these documents), lower-cased, 90/5/5 split, vocabulary capped at
 * 10,000. Options override those defaults. Synchronous, Node.js/Deno only; `defaultCorpus()` is
 * the same corpus anywhere, browsers included.
 */
export function loadDefaultCorpus(opts: TextCorpusOptions = {}): TextCorpus {
  return buildTextCorpus(defaultCorpusDocumentsSync(), { ...DEFAULT_CORPUS_OPTIONS, ...opts });
}
