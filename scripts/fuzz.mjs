// Long fuzz campaigns: `npm run fuzz -- --iterations N [--seed S] [--only NAME[,NAME]]`.
// Runs every compiled target in build/test/fuzz/targets (each exports `target = { name, run }`,
// see test/fuzz/types.ts), one after the other in this process (the contract includes "no
// effect on later work in the same process"), prints each report, and exits 1 if any target found
// a failure. `npm test` runs the same targets briefly (test/fuzz.test.ts).
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

function flag(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const iterations = Number(flag('iterations', '2000'));
const seed = Number(flag('seed', String(Date.now() % 1_000_000)));
const only = flag('only', '').split(',').filter(Boolean);
if (!(Number.isInteger(iterations) && iterations > 0) || !Number.isSafeInteger(seed)) {
  console.error('usage: npm run fuzz -- --iterations N [--seed S] [--only NAME[,NAME]] (N a positive integer)');
  process.exit(2);
}

const dir = resolve('build/test/fuzz/targets');
let files;
try {
  files = readdirSync(dir).filter((f) => f.endsWith('.js')).sort();
} catch {
  console.error(`no compiled fuzz targets in ${dir}: run 'npm run build' first`);
  process.exit(2);
}
const targets = [];
for (const f of files) {
  const { target } = await import(pathToFileURL(join(dir, f)).href);
  if (!target || typeof target.name !== 'string' || typeof target.run !== 'function') throw new Error(`${f} does not export target = { name, run }`);
  if (only.length === 0 || only.includes(target.name)) targets.push(target);
}
if (targets.length === 0) {
  console.error(`no fuzz target matches --only ${only.join(',')}`);
  process.exit(2);
}

console.log(`fuzz: ${targets.map((t) => t.name).join(', ')}; ${iterations} inputs each; seed ${seed}`);
const reports = [];
for (const t of targets) {
  const t0 = Date.now();
  const r = await t.run(iterations, seed);
  const seconds = (Date.now() - t0) / 1000;
  reports.push({ ...r, seconds });
  console.log(`${r.failures.length === 0 ? 'ok  ' : 'FAIL'} ${r.name.padEnd(14)} ${String(r.iterations).padStart(8)} inputs  ${String(r.accepted).padStart(8)} accepted  ${String(r.refused).padStart(8)} refused  ${String(r.failures.length).padStart(4)} failures  ${seconds.toFixed(1)} s`);
  for (const f of r.failures) console.log(`     - ${f}`);
}
console.log(JSON.stringify({ seed, iterations, targets: reports.map(({ failures, ...r }) => ({ ...r, failures: failures.length })) }));
process.exit(reports.some((r) => r.failures.length > 0) ? 1 : 0);
