// The platform-neutral data layer (strings in, ids and IntTensor batches out). The file-reading
// loaders are in ./load.ts and exported from 'selfish-rnn/node' only.
export { Vocabulary, VOCABULARY_FORMAT } from './vocab.js';
export type { VocabularyJSON } from './vocab.js';
export { EOS, UNK, encodeWordLevel, tokenizeText } from './tokenize.js';
export type { TokenizeOptions } from './tokenize.js';
export { buildWordCorpus, buildTextCorpus, SPLITS } from './corpus.js';
export type { Corpus, TextCorpus, TextCorpusOptions, Split } from './corpus.js';
export { batchify, getBatch, BpttIterator } from './batching.js';
export type { Batchified, Batch, BpttOptions, BpttPosition, BpttSpan, BpttBatch } from './batching.js';
export { defaultCorpus, defaultCorpusDocuments, DEFAULT_CORPUS_OPTIONS, DEFAULT_CORPUS_NAME } from './builtin.js';
