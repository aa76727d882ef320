// Runs every compiled test file (build/test/**/*.test.js) with uvu in one process each,
// so one file's wasm memory state cannot affect another's. Exit code 1 if any file fails.
// A test that cannot run here (no data, no Deno, no PyTorch, …) reports itself through
// test/helpers/skip.ts into the file named by SELFISH_RNN_SKIP_LOG; the run ends by counting and
// listing them, so a green run says what it did not check.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function find(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? find(p) : p.endsWith('.test.js') ? [p] : [];
  });
}

const only = process.argv.slice(2);
const files = find('build/test').filter((f) => only.length === 0 || only.some((o) => f.includes(o))).sort();
const skipDir = mkdtempSync(join(tmpdir(), 'selfish-rnn-tests-'));
const skipLog = join(skipDir, 'skipped.jsonl');
let failed = 0;
for (const f of files) {
  const t0 = Date.now();
  // The relaxed-SIMD tests need the feature, which Node < 22 has only behind a V8 flag.
  const flags = f.includes('relaxed') && Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-wasm-relaxed-simd'] : [];
  const r = spawnSync(process.execPath, [...flags, f], { stdio: 'inherit', env: { ...process.env, SELFISH_RNN_SKIP_LOG: skipLog } });
  console.log(`${r.status === 0 ? 'ok  ' : 'FAIL'} ${f} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  if (r.status !== 0) failed++;
}
const skips = existsSync(skipLog) ? readFileSync(skipLog, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)) : [];
rmSync(skipDir, { recursive: true, force: true });
console.log(`\n${files.length - failed}/${files.length} test files passed`);
if (skips.length > 0) {
  console.log(`${skips.length} test${skips.length === 1 ? ' was' : 's were'} skipped (not checked here):`);
  for (const s of skips) console.log(`  ${s.file}: ${s.test}: ${s.why}`);
} else {
  console.log('0 tests skipped');
}
process.exit(failed > 0 ? 1 : 0);
