// selfish-rnn for Node.js and Deno ('selfish-rnn/node'): everything in the main entry, plus the
// parts that read files. Browsers import 'selfish-rnn' instead.
export * from './index.js';
export { loadWordCorpus, loadTextCorpus, loadDefaultCorpus, defaultCorpusDocumentsSync, WORD_CORPUS_LAYOUTS } from './data/load.js';
export type { WordCorpus, WordCorpusReadOptions } from './data/load.js';
export { writeFileAtomic, writeFileAtomicSync, readFileBytes, readFileBytesSync } from './io/atomic-file.js';
export type { WriteFileAtomicOptions } from './io/atomic-file.js';
export { writeCheckpointFile, readCheckpointFile } from './io/checkpoint-file.js';
export { directoryStore, loadLMCheckpoint, corpusFor, describeData } from './train/checkpoint/files.js';
