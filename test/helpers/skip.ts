// A test (or a part of one) that cannot run here: uvu has no skip decided at run time, so such a
// test returns early and would count as passed. `skipped` makes it visible: a SKIPPED line in the
// output naming the test and what to do, and an entry in the file scripts/run-tests.mjs names in
// SELFISH_RNN_SKIP_LOG, which it counts and lists at the end of the run.
import { appendFileSync } from 'node:fs';
import { basename } from 'node:path';

/** Reports `test` as skipped because of `why` (say what is missing and how to get it). */
export function skipped(test: string, why: string): void {
  console.log(`\n  SKIPPED ${test}: ${why}`); // on its own line, after uvu's dots
  const log = process.env.SELFISH_RNN_SKIP_LOG;
  if (log) appendFileSync(log, JSON.stringify({ file: basename(process.argv[1] ?? '?').replace(/\.js$/, '.ts'), test, why }) + '\n');
}
