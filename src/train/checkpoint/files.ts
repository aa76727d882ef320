// Training runs and language-model checkpoints on disk (Node.js, Deno): a run directory as a
// RunStore, and checkpoint files read with errors that name the path.
/// <reference types="node" />
import { lstatSync, readlinkSync, statSync } from 'node:fs';
import { appendFile, mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Corpus } from '../../data/corpus.js';
import { accessError, pathKind } from '../../data/fs.js';
import { loadDefaultCorpus, loadTextCorpus, loadWordCorpus, WORD_CORPUS_LAYOUTS } from '../../data/load.js';
import { processAlive, readFileBytes, writeFailureReason, writeFileAtomic, type WriteFileAtomicOptions } from '../../io/atomic-file.js';
import { decodeLMCheckpoint, type LMCheckpoint } from './checkpoint.js';
import { TRAIN_DEFAULTS, type DataSpec } from '../config.js';
import { RUN_FILES, type RunStore } from './run-store.js';

/**
 * A run directory (created on first write): files are replaced atomically (temporary file, fsync,
 * rename), so a crash during a save leaves the previous checkpoint intact; logs are appended.
 * `beforeRename` is writeFileAtomic's test seam.
 */
export function directoryStore(dir: string, opts: WriteFileAtomicOptions = {}): RunStore & { dir: string } {
  const root = resolve(dir);
  let made: Promise<unknown> | null = null;
  const ensure = () => (made ??= mkdir(root, { recursive: true }));
  return {
    dir: root,
    async write(name, bytes) { await ensure(); await writeFileAtomic(join(root, name), bytes, opts); },
    async read(name) {
      try {
        return await readFileBytes(join(root, name));
      } catch (e) {
        if ((e as { code?: string }).code === 'ENOENT') return null;
        throw e;
      }
    },
    async append(name, text) {
      try {
        await ensure();
        await appendFile(join(root, name), text, 'utf8');
      } catch (e) {
        throw new Error(`selfish-rnn: could not append to ${join(root, name)}: ${writeFailureReason(join(root, name), e)}`, { cause: e });
      }
    },
    describe: (name) => join(root, name),
  };
}

/**
 * The temporary files writeFileAtomic leaves behind when a process is killed between writing and
 * renaming: `.<run file>.<pid>.<12 hex digits>.tmp`. Only the run's own file names match, so
 * nothing a user put in the directory is touched.
 */
const STALE_TEMP = new RegExp(`^\\.(${Object.values(RUN_FILES).map((f) => f.replace(/\./g, '\\.')).join('|')})\\.(\\d+)\\.[0-9a-f]{12}\\.tmp$`);

export { processAlive };

/**
 * Removes the stray temporary files of killed writers from a run directory (see STALE_TEMP);
 * a file whose writer is still running (its pid is alive) is left alone. Returns the names removed.
 */
export async function removeStaleTempFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = STALE_TEMP.exec(name);
    if (m === null || processAlive(Number(m[2]))) continue;
    await rm(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/** Reads and checks a 'selfish-rnn/lm' checkpoint file (errors name the path). */
export async function loadLMCheckpoint<T = unknown>(path: string): Promise<LMCheckpoint<T>> {
  return decodeLMCheckpoint<T>(await readFileBytes(path), resolve(path));
}

/**
 * The DataSpec for a --data argument: undefined → the built-in corpus; a directory with the
 * PTB/WikiText file names → word-level corpus; any other file or directory → text corpus.
 * Throws when the path does not exist.
 */
export function describeData(path: string | undefined, maxVocab: number = TRAIN_DEFAULTS.builtinMaxVocab): DataSpec {
  if (path === undefined) return { source: 'builtin', maxVocab };
  const full = resolve(path);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(full).isDirectory();
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw accessError(full, e); // a link loop, no permission: say so, not "not found"
    let dangling = false;
    try { dangling = lstatSync(full).isSymbolicLink(); } catch { /* not there at all */ }
    throw new Error(`selfish-rnn: data not found: ${full}${dangling ? ` is a symbolic link to ${readlinkSync(full)}, which does not exist` : ''} (give a PTB or WikiText-2 directory, a text file, or a directory of .txt files)`);
  }
  if (isDirectory && WORD_CORPUS_LAYOUTS.some((l) => pathKind(join(full, l.files.train)) !== 'missing')) return { source: 'word', path: full };
  return { source: 'text', path: full, maxVocab };
}

/** Loads the corpus a DataSpec describes. */
export function corpusFor(spec: DataSpec): Corpus {
  switch (spec.source) {
    case 'builtin': return loadDefaultCorpus({ maxVocab: spec.maxVocab });
    case 'word': return loadWordCorpus(spec.path);
    case 'text': return loadTextCorpus(spec.path, { maxVocab: spec.maxVocab });
    default: throw new TypeError(`selfish-rnn: unknown data source ${JSON.stringify((spec as { source?: unknown }).source)}`);
  }
}
