// npm's `postprepare` script: the full build (`npm run build`) after `npm install`/`npm ci` in this
// checkout (npm runs `postprepare` for the root project only; `prepack` builds for `npm pack`).
// It is not `prepare`: npm 11 lists a `prepare` script for approval wherever the package is
// installed from a tarball, folder or git.
//
// `npx selfish-rnn` (npm exec) inside this repository links this checkout into npm's npx cache
// and runs its `prepare` script (there is none now) with the output hidden (npm_command=exec):
// that used to rebuild everything in half a minute of silence. Should an npm run this script
// there anyway, it does nothing when the checkout is built: the link points at this checkout,
// so the command runs this checkout's dist/ whatever `prepare` does: when dist/ is built, there is
// nothing to do. When it is not, the build is needed (npx would otherwise link a command that
// does not exist, and remember that), and the message goes to the terminal, which npm leaves
// open to scripts.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const built = existsSync(join(root, 'dist', 'cli', 'main.js')) && existsSync(join(root, 'dist', 'index.js'));

/** A line on the user's terminal (npm hides a linked package's script output); nothing without one. */
function tell(text) {
  try {
    const fd = openSync('/dev/tty', 'w');
    writeSync(fd, text + '\n');
    closeSync(fd);
  } catch {
    // no terminal (CI, a pipe): nobody is waiting for the message
  }
}

if (process.env.npm_command === 'exec') {
  if (built) process.exit(0);
  tell(`selfish-rnn: npx is running this checkout's own command, which is not built yet: building it once (npm run build: wasm kernels, corpus, TypeScript; about half a minute)`);
}
const npm = process.env.npm_execpath;
const r = npm
  ? spawnSync(process.execPath, [npm, 'run', 'build'], { cwd: root, stdio: 'inherit' })
  : spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
if (r.status !== 0 && process.env.npm_command === 'exec') {
  // npx leaves its cache entry for this checkout half-made after a failed prepare: say how to recover.
  const cache = process.env.npm_config_cache ? join(process.env.npm_config_cache, '_npx', createHash('sha512').update(root).digest('hex').slice(0, 16)) : "npx's cache entry for this directory";
  tell(`selfish-rnn: the build failed (see above if shown; the dev dependencies come with 'npm ci'). Run 'npm ci' in ${root}, remove ${cache}, then npx again; or run 'node dist/cli/main.js' after the build.`);
}
process.exit(r.status ?? 1);
