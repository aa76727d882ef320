// Where the benchmark corpora are (PTB, WikiText-2): never copied into the project, found at
// $SELFISH_RNN_DATA when it is set (the only place then: set it to a missing path to see the
// skip), else in the shared data folder beside the project (main checkout, CI) or one level
// further up (a worktree in a subfolder). A test that needs one and finds none is reported as
// skipped (./skip.ts), naming the places it looked and the variable to set.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { skipped } from './skip.js';

/** The variable naming the folder that holds ptb/ and wikitext-2/ (the study command reads it too). */
export const DATA_ENV = 'SELFISH_RNN_DATA';

/** The repository root (tests run from build/test). */
const projectRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** The folders that may hold the corpora, in order. */
export function dataCandidates(): string[] {
  const env = process.env[DATA_ENV];
  if (env) return [env];
  return [join(projectRoot, '..', 'shared', 'data'), join(projectRoot, '..', '..', 'shared', 'data')];
}

/**
 * The directory of corpus `name` ('ptb', 'wikitext-2'), or null, after reporting `test` as
 * skipped, when no candidate folder has it.
 */
export function corpusDir(name: string, test: string): string | null {
  const candidates = dataCandidates().map((d) => join(d, name));
  const found = candidates.find((p) => existsSync(p));
  if (found !== undefined) return found;
  skipped(test, `the data directory was not found (looked for ${candidates.join(', ')}); set ${DATA_ENV} to the folder that holds ${name}/`);
  return null;
}
