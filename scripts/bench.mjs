// Benchmark runner. `npm run bench` builds, then runs every suite (build/bench/<name>.bench.js,
// compiled from bench/<name>.bench.ts) one after another, each in its own node process;
// `npm run bench -- NAME [NAME...]` runs only those suites. `--no-build` skips the build (the
// compiled suites must then exist). Each suite prints a table and, last, one JSON line.
// Exit code 1 if a suite fails.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const noBuild = args.includes('--no-build');
const requested = args.filter((a) => a !== '--no-build');

const known = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length))
  .sort();

const unknown = requested.filter((name) => !known.includes(name));
if (unknown.length > 0) {
  console.error(`bench: unknown suite ${unknown.map((n) => `"${n}"`).join(', ')}; known suites: ${known.join(', ') || '(none)'}`);
  process.exit(2);
}
const suites = requested.length > 0 ? requested : known;

if (!noBuild) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const build = spawnSync(npm, ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) {
    console.error('bench: `npm run build` failed');
    process.exit(1);
  }
}

let failed = 0;
for (const name of suites) {
  const file = join(root, 'build', 'bench', `${name}.bench.js`);
  if (!existsSync(file)) {
    console.error(`bench: ${file} does not exist; run \`npm run build\` (or drop --no-build)`);
    failed++;
    continue;
  }
  console.log(`\n=== bench ${name} ===`);
  // The relaxed suite (and RELAXED_SIMD=1 for the others) needs relaxed SIMD, which Node < 22 has only behind a V8 flag.
  const flags = (name === 'relaxed' || process.env.RELAXED_SIMD === '1') && Number(process.versions.node.split('.')[0]) < 22 ? ['--experimental-wasm-relaxed-simd'] : [];
  const r = spawnSync(process.execPath, [...flags, file], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`bench: suite ${name} failed (exit ${r.status ?? r.signal})`);
    failed++;
  }
}
process.exit(failed > 0 ? 1 : 0);
