// The package as a user gets it: `npm pack`, then installed from the tarball into a fresh
// CommonJS project (what `npm init -y` writes), offline. It must install nothing but itself and
// run no install script (npm 11 warns about any it would need to approve); import and train from
// an ES module, and from CommonJS TypeScript with import(); refuse require() with a message that
// says how to import it; and run its command line, under Node and Deno, with no yargs anywhere (it
// is bundled into dist/cli/main.js).
// Packs what the build made (`--ignore-scripts`: no rebuild), so run after `npm run build:ts`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string; dependencies?: Record<string, string> };
const denoBin = join(root, 'node_modules', '.bin', 'deno');
const work = mkdtempSync(join(tmpdir(), 'selfish-rnn-package-'));
const project = join(work, 'consumer');
const installed = join(project, 'node_modules', pkg.name);

/** The environment without npm's own variables (set when the suite runs under `npm test`), which a nested npm would read as its configuration. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', npm_config_update_notifier: 'false', ...extra };
}

function run(cmd: string, args: string[], cwd: string) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: cleanEnv(), timeout: 180_000 });
  return { status: r.status, out: r.stdout ?? '', err: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

// An isolated cache, offline: a package with no dependency must install without the registry.
const npmFlags = ['--offline', '--no-audit', '--no-fund', '--cache', join(work, 'npm-cache')];
let install: ReturnType<typeof run>;

test.before(() => {
  const packed = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work, ...npmFlags], root);
  assert.is(packed.status, 0, packed.err);
  const tarball = join(work, (JSON.parse(packed.out) as { filename: string }[])[0]!.filename);
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'commonjs' }, null, 2));
  install = run('npm', ['install', ...npmFlags, tarball], project);
});

test.after(() => rmSync(work, { recursive: true, force: true }));

test('the tarball installs offline, alone, with no install script and no warning', () => {
  assert.is(install.status, 0, install.err);
  // Any warning but one about the user's own npm configuration (npm 11 warns about install scripts to approve).
  const warnings = install.err.split('\n').filter((l) => /warn/i.test(l) && !/^npm warn config\b/i.test(l));
  assert.equal(warnings, [], `npm install warned:\n${install.err}`);
  const packages = readdirSync(join(project, 'node_modules')).filter((f) => !f.startsWith('.'));
  assert.equal(packages, [pkg.name], 'node_modules holds the package and nothing else');
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { dependencies?: object; scripts?: Record<string, string> };
  assert.is(manifest.dependencies, undefined, 'no runtime dependency');
  for (const s of ['preinstall', 'install', 'postinstall', 'prepare']) assert.is(manifest.scripts?.[s], undefined, `no ${s} script in the packed package.json`);
  assert.is(pkg.dependencies, undefined, "the repository's package.json declares no dependency");
});

test('an ES module imports the package and trains: loss falls over a few steps on one batch', () => {
  writeFileSync(join(project, 'train.mjs'), `
import { createModel, disposeState, IntTensor, lmStep, modelConfig, Random, SGD } from '${pkg.name}';
import { defaultCorpusDocumentsSync } from '${pkg.name}/node';
const rng = new Random(1);
const V = 30, T = 5, B = 4;
const model = createModel(modelConfig('zaremba-small', { vocab: V, emsize: 16, nhid: 16, dropout: 0 }), {}, rng);
const ids = Int32Array.from({ length: (T + 1) * B }, () => rng.int(V));
const input = new IntTensor(ids.subarray(0, T * B), [T, B], { persistent: true });
const target = new IntTensor(ids.subarray(B), [T * B], { persistent: true });
const opt = new SGD(model.parameters(), { lr: 1 });
const losses = [];
for (let s = 1; s <= 8; s++) {
  const r = lmStep(model, input, target, undefined, { optimizer: opt, clip: 0.25, step: s, epoch: 1 });
  disposeState(r.state);
  losses.push(r.loss);
}
console.log(JSON.stringify({ losses, documents: defaultCorpusDocumentsSync().length }));
`);
  const r = run(process.execPath, ['train.mjs'], project);
  assert.is(r.status, 0, r.err);
  const { losses, documents } = JSON.parse(r.out) as { losses: number[]; documents: number };
  assert.ok(losses.every(Number.isFinite), `finite losses: ${losses}`);
  assert.ok(Math.abs(losses[0]! - Math.log(30)) < 0.5, `the first loss is near ln(vocab) = ${Math.log(30).toFixed(2)}: ${losses[0]}`);
  assert.ok(losses.at(-1)! < losses[0]! - 0.05, `training on one batch lowers its loss: ${losses}`);
  assert.ok(documents > 100, `selfish-rnn/node loads the built-in corpus (${documents} documents)`);
});

test('require() of either entry throws an error saying the package is ESM-only and how to import it', () => {
  for (const entry of [pkg.name, `${pkg.name}/node`]) {
    writeFileSync(join(project, 'load.cjs'), `
try { require('${entry}'); console.log('loaded'); }
catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }
`);
    const r = run(process.execPath, ['load.cjs'], project);
    assert.is(r.status, 0, r.err);
    const e = JSON.parse(r.out) as { code: string; message: string };
    assert.is(e.code, 'ERR_REQUIRE_ESM', `${entry}: ${r.out}`);
    assert.match(e.message, /ESM-only/);
    assert.ok(e.message.includes(`import { … } from '${entry}'`), e.message);
    assert.ok(e.message.includes(`await import('${entry}')`), e.message);
  }
});

test('a CommonJS TypeScript project (strict, "module": "nodenext") type-checks against the shipped types and loads the package with import()', () => {
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', target: 'es2022', strict: true, skipLibCheck: false, types: [] }, files: ['load.ts'] }));
  writeFileSync(join(project, 'load.ts'), `
async function main(): Promise<void> {
  const { lmStep, modelNames } = await import('${pkg.name}');
  const names: string[] = modelNames();
  console.log(typeof lmStep, names.includes('zaremba-small'));
}
void main();
`);
  const tsc = run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], project);
  assert.is(tsc.status, 0, tsc.out + tsc.err);
  assert.match(readFileSync(join(project, 'load.js'), 'utf8'), /await import\(/, 'TypeScript kept the import() (a require() would throw)');
  const r = run(process.execPath, ['load.js'], project);
  assert.is(r.status, 0, r.err);
  assert.is(r.out.trim(), 'function true');
});

test('the installed bin runs without yargs: --help, a usage error, a repeated flag, a command', () => {
  assert.not.ok(existsSync(join(project, 'node_modules', 'yargs')));
  const bin = join(project, 'node_modules', '.bin', 'selfish-rnn');
  const help = run(bin, ['--help'], project);
  assert.is(help.status, 0, help.err);
  assert.match(help.out, /selfish-rnn <command> \[options\]/);
  assert.match(help.out, /selfish-rnn train/);
  assert.is(run(bin, ['--version'], project).out.trim(), pkg.version);
  const unknown = run(bin, ['train', '--bogus-flag', '3'], project);
  assert.is(unknown.status, 2);
  assert.match(unknown.err, /Unknown argument: bogus-flag/);
  const twice = run(bin, ['train', '--epochs', '3', '--epochs', '1'], project);
  assert.is(twice.status, 2);
  assert.match(twice.err, /--epochs was given 2 times \(3, 1\); give it once/);
  const models = run(bin, ['models', '--json'], project);
  assert.is(models.status, 0, models.err);
  assert.ok(JSON.stringify(JSON.parse(models.out)).includes('zaremba-small'));
});

test('the installed command line runs under Deno', () => {
  const probe = existsSync(denoBin) ? run(denoBin, ['--version'], project) : null;
  if (probe === null || probe.status !== 0) {
    console.log(`  skipped: Deno is not available (${denoBin}); install the 'deno' dev dependency`);
    return;
  }
  const main = join(installed, 'dist', 'cli', 'main.js');
  const help = run(denoBin, ['run', '--no-prompt', '--allow-read', '--allow-env', main, 'train', '--help'], project);
  assert.is(help.status, 0, help.err);
  assert.match(help.out, /--density/);
  const unknown = run(denoBin, ['run', '--no-prompt', '--allow-read', '--allow-env', main, 'evaluate', 'x'], project);
  assert.is(unknown.status, 2, unknown.err);
  assert.match(unknown.err, /Unknown argument|Did you mean/);
});

test.run();
