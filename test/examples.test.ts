// The examples run under Node and under Deno (installed from npm as a dev dependency) and print
// identical results: same kernels, same seeded generator.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('../../', import.meta.url));
const denoBin = join(root, 'node_modules', '.bin', 'deno');

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' }, timeout: 120_000 });
  return { status: r.status, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** The example's output without its timing, which differs between runs. */
const stable = (s: string) => s.replace(/ in \d+ ms/g, '');

test('examples/fit-function.mjs runs under Node and converges', () => {
  const r = run(process.execPath, ['examples/fit-function.mjs']);
  assert.is(r.status, 0, r.err);
  assert.match(r.out, /final mse/);
});

test('examples/fit-function.mjs runs under Deno with the same results', () => {
  const probe = existsSync(denoBin) ? run(denoBin, ['--version']) : null;
  if (probe === null || probe.status !== 0) {
    console.log(`  skipped: Deno is not available (${existsSync(denoBin) ? probe?.err.trim() : `${denoBin} not found`}); install the 'deno' dev dependency`);
    return;
  }
  const node = run(process.execPath, ['examples/fit-function.mjs']);
  const deno = run(denoBin, ['run', '--no-prompt', 'examples/fit-function.mjs']);
  assert.is(deno.status, 0, deno.err);
  assert.is(stable(deno.out), stable(node.out));
});

test.run();
