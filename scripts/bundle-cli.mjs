// Bundles the command line's argument parser (yargs 18 and the packages it uses) into the
// compiled CLI entry, so that the published package has no runtime dependency: installing
// selfish-rnn installs nothing else, and `selfish-rnn --help` runs with no yargs in node_modules.
//
// Usage: node scripts/bundle-cli.mjs FILE… (each a compiled src/cli/main.ts: dist/cli/main.js,
// build/src/cli/main.js). Each FILE is rewritten in place: yargs is inlined, the CLI's own modules
// (relative imports: ./train-command.js, ../families/index.js, …) stay imports of the files beside
// it, so the library code is not duplicated and the wasm and corpus modules load as before. The
// licences of the inlined packages are written beside it (THIRD-PARTY-LICENSES.txt), as their MIT
// and ISC licences ask. Run after tsc (npm run build:ts does).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MARKER = '// selfish-rnn: yargs is bundled in this file (scripts/bundle-cli.mjs)';
const BUILTINS = new Set(builtinModules);

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.error('bundle-cli: the devDependency esbuild is not installed (run npm install); it bundles yargs into the CLI');
  process.exit(1);
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node scripts/bundle-cli.mjs FILE… (a compiled src/cli/main.ts, e.g. dist/cli/main.js)');
  process.exit(2);
}

/** The package directory (…/node_modules/NAME or …/node_modules/@SCOPE/NAME) that holds a file. */
function packageDirOf(file) {
  const parts = resolve(root, file).split(sep);
  const i = parts.lastIndexOf('node_modules');
  if (i < 0) return undefined;
  const n = parts[i + 1]?.startsWith('@') ? 2 : 1;
  return parts.slice(0, i + 1 + n).join(sep);
}

/** One section per inlined package: name, version, licence name and the licence text. */
function licenceText(packageDirs) {
  const sections = [...packageDirs].sort().map((dir) => {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
    if (file === undefined) throw new Error(`bundle-cli: ${pkg.name} has no LICENSE file in ${dir}; its licence text must ship with the bundle`);
    return `${pkg.name}@${pkg.version} (${pkg.license})\n\n${readFileSync(join(dir, file), 'utf8').trim()}\n`;
  });
  return `The selfish-rnn command line (cli/main.js) includes the following packages, bundled at build time.\n\n${sections.join(`\n${'-'.repeat(80)}\n\n`)}`;
}

const ownModulesStayImports = {
  name: 'own-modules-stay-imports',
  setup(build) {
    // The CLI's own modules and the library: left as they are (the files are next to the bundle).
    // Relative imports inside the inlined packages are theirs, resolved and bundled as usual.
    build.onResolve({ filter: /^\.\.?\// }, (args) => (packageDirOf(args.importer) === undefined ? { path: args.path, external: true } : undefined));
    // Node built-ins, which yargs imports bare ('assert', 'path', …): written with the node:
    // prefix, the form every runtime resolves as a built-in without configuration.
    build.onResolve({ filter: /^[a-z_]+(\/[a-z_]+)?$/ }, (args) => (BUILTINS.has(args.path) ? { path: `node:${args.path}`, external: true } : undefined));
  },
};

for (const file of files) {
  const path = resolve(root, file);
  if (!existsSync(path)) {
    console.error(`bundle-cli: ${file} does not exist (run tsc first: npm run build:ts)`);
    process.exit(1);
  }
  const source = readFileSync(path, 'utf8');
  if (source.includes(MARKER)) {
    console.log(`bundle-cli: ${file} already has yargs bundled`);
    continue;
  }
  if (!/from 'yargs'/.test(source)) {
    console.error(`bundle-cli: ${file} does not import yargs: not the compiled CLI entry (src/cli/main.ts)?`);
    process.exit(1);
  }
  const result = await esbuild.build({
    entryPoints: [path],
    absWorkingDir: root,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Whitespace and syntax only: names stay readable in a stack trace.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none', // the licences go to THIRD-PARTY-LICENSES.txt, in full
    banner: { js: MARKER },
    plugins: [ownModulesStayImports],
    logLevel: 'warning',
  });
  const packages = new Set(Object.keys(result.metafile.inputs).map(packageDirOf).filter((d) => d !== undefined));
  if (![...packages].some((d) => basename(d) === 'yargs')) throw new Error(`bundle-cli: yargs was not inlined into ${file}`);
  const [out] = result.outputFiles;
  writeFileSync(path, out.contents);
  writeFileSync(join(dirname(path), 'THIRD-PARTY-LICENSES.txt'), licenceText(packages));
  const names = [...packages].map((d) => relative(join(root, 'node_modules'), d)).sort();
  console.log(`bundle-cli: ${file}: ${names.length} packages inlined (${names.join(', ')}), ${(out.contents.length / 1000).toFixed(0)} kB`);
}
