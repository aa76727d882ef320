// A short, seeded pass of the CLI numeric-flags fuzz target (test/fuzz/targets/cli-flags.ts);
// long campaigns run through the fuzz runner. Any failure (crash, hang, exit 1, internal message)
// fails the test with the command line that caused it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { target } from './fuzz/targets/cli-flags.js';

test('CLI numeric flags: every value works or is refused with exit 2 and a plain message', async () => {
  const seed = Number(process.env.FUZZ_SEED ?? 13);
  const iterations = Number(process.env.FUZZ_CLI_ITERATIONS ?? 12);
  const r = await target.run(iterations, seed);
  assert.is(r.iterations, iterations);
  assert.is(r.accepted + r.refused + r.failures.length, iterations);
  assert.equal(r.failures, [], `seed ${seed}:\n${r.failures.join('\n')}`);
  assert.ok(r.refused > 0, 'hostile values were refused');
});

test.run();
